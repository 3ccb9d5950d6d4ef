// Package exportplugin is the ready export plugin of the built-in formats,
// built on the Go plugin SDK: its [Handler] reads the run's Config JSON
// ({"format": "coco", ...options}, see package formats), converts the
// export stream with that format into a zip in a temporary file, and hands
// the file to the SDK for upload. The conversion report goes to the run's
// log.
package exportplugin

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats"
	"github.com/exporthub/exporthub/formats/convert"
	"github.com/exporthub/exporthub/plugin"
)

// Handler converts export runs with the built-in formats. The zero value
// is ready to use; fields are read on every run and must not change while
// runs are in flight. A Handler is safe for concurrent use.
type Handler struct {
	// Schema is the category schema used for class order. Defaults to
	// none: classes are numbered in the order first seen in the export,
	// unless the Config JSON lists them ("classes").
	Schema aaf.CategorySchema
	// TempDir holds the result zip and spool files while a run converts.
	// Defaults to os.TempDir().
	TempDir string
}

var _ plugin.Handler = (*Handler)(nil)

// ServeExport converts the run's export with the format its Config JSON
// names. A bad Config JSON or an unusable export fails the run with a
// message saying what is wrong; per-asset problems are logged and, unless
// the config sets "strict", do not fail it.
func (h *Handler) ServeExport(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
	conv, err := formats.New(req.ConfigJSON)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(h.TempDir, "exporthub-"+conv.Name()+"-*.zip")
	if err != nil {
		return nil, fmt.Errorf("create result file: %w", err)
	}
	env := &convert.Env{ProjectID: req.ProjectID, Schema: h.Schema, Logger: req.Logger, TempDir: h.TempDir}
	if _, err := formats.Run(ctx, conv, req.Export.All(), f, env); err != nil {
		discard(f)
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		discard(f)
		return nil, fmt.Errorf("rewind result file: %w", err)
	}
	return &plugin.Response{File: &tempFile{File: f}, FileName: formats.FileName(req.ProjectID, conv.Name())}, nil
}

// discard closes and removes an unfinished result file; failing to remove a
// temporary file loses only disk space.
func discard(f *os.File) {
	_ = f.Close()
	_ = os.Remove(f.Name())
}

// tempFile is the result file; the SDK closes it after the upload, which
// removes it.
type tempFile struct {
	*os.File
	once sync.Once
	err  error
}

// Close closes and removes the file. Later calls return the first result.
func (t *tempFile) Close() error {
	t.once.Do(func() {
		t.err = t.File.Close()
		if err := os.Remove(t.File.Name()); err != nil && t.err == nil {
			t.err = fmt.Errorf("remove result file: %w", err)
		}
	})
	return t.err
}
