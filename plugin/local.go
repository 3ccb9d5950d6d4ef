package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/exporthub/exporthub/aaf"
)

// LocalOptions configures [RunLocal]. The zero value of each optional field
// means its default.
type LocalOptions struct {
	// Export is the AAF file to convert: a JSON array, NDJSON, or a zip
	// whose first entry is one (as the hub serves it). Required.
	Export string
	// Config is the Config JSON text handed to the callback. Defaults to
	// "{}".
	Config string
	// Out is the directory the result is written to, created if needed.
	// Defaults to the current directory.
	Out string
	// ProjectID is the run's project id. Defaults to the export file's name
	// without its extensions.
	ProjectID string
	// ProjectName is the project name that Request.Project returns.
	// Defaults to the project id.
	ProjectName string
	// Schema is the category schema that Request.Project returns. Defaults
	// to the schema in SchemaFile, else an empty schema.
	Schema aaf.CategorySchema
	// SchemaFile is a JSON file holding the category schema that
	// Request.Project returns when Schema is empty (see [ReadSchemaFile]
	// for the accepted documents). Empty by default.
	SchemaFile string
	// Session is the run's session id. Defaults to "local".
	Session string
	// OrgID, RunBy and Stage fill the request's fields of the same names;
	// empty by default. Stage is also the one stage of the local project.
	OrgID, RunBy, Stage string
	// Batches fills Request.Batches; empty by default. Each is also a batch
	// of the local project (its id and name).
	Batches []string
	// Logger receives the run's log records. Defaults to a text logger on
	// LogOutput without timestamps.
	Logger *slog.Logger
	// LogOutput is where the default Logger writes. Defaults to os.Stderr.
	LogOutput io.Writer
	// TempDir is where the run's temporary files go. Defaults to
	// os.TempDir().
	TempDir string
	// Strict makes the export reader validate every asset fully, as
	// Export.StrictExport does. Off by default.
	Strict bool
}

// LocalResult describes the file a local run wrote.
type LocalResult struct {
	// Path is the written file: Out joined with the response's FileName.
	Path string
	// Size is its size in bytes.
	Size int64
	// StorageID and Bucket are what the callback asked for; a local run
	// ignores them.
	StorageID, Bucket string
}

// RunLocal runs callback once on a local AAF file, with no hub: the request
// carries the file as its export, [Request.Project] returns the project
// that opts describe (ProjectName, Schema or SchemaFile, Batches, Stage;
// an unreadable SchemaFile fails the run before the callback is called),
// the logger prints, and the response's
// file is written into opts.Out (atomically: a temp file renamed into
// place). It returns the callback's error (a panic becomes an error
// wrapping ErrPanic, its stack is logged), or ErrNoResponse.
func RunLocal(ctx context.Context, callback HandlerFunc, opts LocalOptions) (*LocalResult, error) {
	if callback == nil {
		return nil, fmt.Errorf("%w: callback is nil", ErrInvalidOption)
	}
	if opts.Export == "" {
		return nil, fmt.Errorf("%w: no export file given", ErrInvalidOption)
	}
	out := orDefault(opts.Out, ".")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("create output dir: %w", err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(newDevHandler(orDefault[io.Writer](opts.LogOutput, os.Stderr)))
	}
	projectID := opts.ProjectID
	if projectID == "" {
		projectID = baseName(opts.Export)
	}
	config := opts.Config
	if strings.TrimSpace(config) == "" {
		config = "{}"
	}
	if err := decodeConfig(config, new(any)); err != nil {
		return nil, err
	}
	project, err := localProject(&opts, projectID)
	if err != nil {
		return nil, err
	}

	dir, err := os.MkdirTemp(opts.TempDir, "exporthub-local-*")
	if err != nil {
		return nil, fmt.Errorf("create temp dir: %w", err)
	}
	defer os.RemoveAll(dir) // best effort: temp files of a finished run

	export, closeExport, err := openLocalExport(opts.Export, opts.Strict)
	if err != nil {
		return nil, err
	}
	defer closeExport()

	req := &Request{
		ProjectID:  projectID,
		Export:     export,
		Logger:     logger,
		OrgID:      opts.OrgID,
		RunBy:      opts.RunBy,
		Session:    orDefault(opts.Session, "local"),
		ConfigJSON: config,
		Stage:      opts.Stage,
		Stages:     localStages(opts.Stage),
		Batches:    opts.Batches,
		PluginID:   "local",
		run:        &runState{dir: dir, projectID: projectID, project: project},
	}
	resp, err := callHandler(ctx, callback, req)
	if err != nil {
		var pe *panicError
		if errors.As(err, &pe) {
			logger.Error("run failed", slog.String(LogKeyError, err.Error()), slog.String(LogKeyStack, string(pe.stack)))
		}
		return nil, err
	}
	defer closeFile(resp.File)
	name := orDefault(resp.FileName, projectID+".zip")
	if filepath.Base(name) != name || name == "." || name == ".." {
		return nil, fmt.Errorf("response FileName %q: want a plain file name", name)
	}
	path := filepath.Join(out, name)
	n, err := writeFileAtomic(path, resp.File)
	if err != nil {
		return nil, err
	}
	return &LocalResult{Path: path, Size: n, StorageID: resp.StorageID, Bucket: resp.Bucket}, nil
}

// openLocalExport opens an AAF file, or the first entry of a zip.
func openLocalExport(path string, strict bool) (*aaf.Reader, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open export: %w", err)
	}
	magic := make([]byte, 4)
	n, _ := io.ReadFull(f, magic) // a short file is simply not a zip
	if n == 4 && string(magic) == "PK\x03\x04" {
		_ = f.Close() // reopened as a zip
		r, closeFn, err := openExportZip(path, strict)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		return r, closeFn, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		_ = f.Close() // nothing was read from it
		return nil, nil, fmt.Errorf("open export: %w", err)
	}
	r, closeFn := newExportReader(f, func() { _ = f.Close() }, strict)
	return r, closeFn, nil
}

// writeFileAtomic copies r into path through a temp file renamed into
// place, so a failed run never leaves a half-written result.
func writeFileAtomic(path string, r io.Reader) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("write result: %w", err)
	}
	n, err := io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name()) // never leave a partial result
		return 0, fmt.Errorf("write result %s: %w", path, err)
	}
	return n, nil
}

// baseName returns the file name of path without its extensions.
func baseName(path string) string {
	name := filepath.Base(path)
	if i := strings.IndexByte(name, '.'); i > 0 {
		name = name[:i]
	}
	return name
}

// newDevHandler is the text handler of local runs: level, message and
// attributes, no timestamp.
func newDevHandler(w io.Writer) slog.Handler {
	return slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
}

// localStages is the stage list of a local run: its one stage, if any.
func localStages(stage string) []string {
	if stage == "" {
		return nil
	}
	return []string{stage}
}
