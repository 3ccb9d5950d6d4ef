// Package exportplugin is the ready export plugin of the built-in formats,
// built on the Go plugin SDK: its [Handler] reads the run's Config JSON
// ({"format": "coco", ...options}, see package formats), converts the
// export stream with that format into a zip in a temporary file, and hands
// the file to the SDK for upload. The conversion report goes to the run's
// log.
//
// Class ids and order come from the "classes" option when the Config JSON
// has one, else from [Handler.Schema] when it is set, else from the
// project's category schema, which the handler asks the hub for
// ([plugin.Request.Project]; in a local run, the schema of the run's
// LocalOptions). When the project has no schema, or the hub cannot
// answer, the run logs a WARNING and numbers classes in the order they
// first appear in the export.
package exportplugin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
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
	// Schema is the category schema used for class order in every run.
	// Defaults to none: each run then uses its project's category schema
	// (see the package doc), unless the Config JSON lists the classes
	// ("classes").
	Schema aaf.CategorySchema
	// TempDir holds the result zip and spool files while a run converts.
	// Defaults to os.TempDir().
	TempDir string
}

var _ plugin.Handler = (*Handler)(nil)

// MsgNoSchema is the WARNING a run logs when its project has no category
// schema (and the Config JSON lists no "classes").
const MsgNoSchema = "the project has no category schema: class ids follow the order classes first appear in the export, " +
	"so they can change between exports; give the project a schema (exporthub project update PROJECT --schema FILE) " +
	`or list the classes in the Config JSON ("classes")`

// Attribute keys of the handler's own log records.
const (
	logKeyError         = "error"
	logKeySchemaClasses = "schema_classes"
)

// ServeExport converts the run's export with the format its Config JSON
// names. A bad Config JSON or an unusable export fails the run with a
// message saying what is wrong; per-asset problems are logged and, unless
// the config sets "strict", do not fail it.
func (h *Handler) ServeExport(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
	conv, err := formats.New(req.ConfigJSON)
	if err != nil {
		return nil, err
	}
	// Decode only what the format reads (the SDK's reader trusts the hub's
	// validation; with StrictExport this changes nothing).
	if err := req.Export.Configure(aaf.WithFields(formats.Fields(conv))); err != nil {
		return nil, err
	}
	schema := h.schema(ctx, req)
	f, err := os.CreateTemp(h.TempDir, "exporthub-"+conv.Name()+"-*.zip")
	if err != nil {
		return nil, fmt.Errorf("create result file: %w", err)
	}
	env := &convert.Env{ProjectID: req.ProjectID, Schema: schema, Logger: req.Logger, TempDir: h.TempDir}
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

// schema returns the category schema of a run: Handler.Schema, else the
// project's (not needed when the config lists the classes).
func (h *Handler) schema(ctx context.Context, req *plugin.Request) aaf.CategorySchema {
	if !schemaEmpty(h.Schema) || listsClasses(req.ConfigJSON) {
		return h.Schema
	}
	p, err := req.Project(ctx)
	if err != nil {
		// Best effort with a valid fallback: the export is still correct,
		// only its class order is first-seen. Warn in the run's log so
		// the user knows why.
		req.Logger.WarnContext(ctx, "no category schema: classes are numbered in the order first seen in the export",
			slog.String(logKeyError, err.Error()))
		return aaf.CategorySchema{}
	}
	if len(p.CategorySchema.Tools) == 0 {
		// Class ids (COCO category ids, YOLO class numbers, ...) would
		// change with the export's content: say so, and how to fix it.
		req.Logger.WarnContext(ctx, MsgNoSchema)
		return p.CategorySchema
	}
	req.Logger.InfoContext(ctx, "class order from the project's category schema", slog.Int(logKeySchemaClasses, len(p.CategorySchema.Tools)))
	return p.CategorySchema
}

// listsClasses reports whether the (already validated) Config JSON has a
// "classes" list.
func listsClasses(configJSON string) bool {
	var c struct {
		Classes []string `json:"classes"`
	}
	return json.Unmarshal([]byte(configJSON), &c) == nil && len(c.Classes) > 0
}

func schemaEmpty(s aaf.CategorySchema) bool {
	return len(s.Tools) == 0 && len(s.Classifications) == 0 && len(s.Relations) == 0
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
