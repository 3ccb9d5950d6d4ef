package convert

import (
	"io"
	"log/slog"

	"github.com/exporthub/exporthub/aaf"
)

// Env is the environment of one conversion run. The zero value is usable:
// no schema, the default logger and the system temp directory.
type Env struct {
	// ProjectID is the id of the exported project; used in file names and
	// dataset descriptions. May be empty.
	ProjectID string
	// Schema is the project's category schema. It fixes the class order
	// (see [Classes]); when it is empty, classes are numbered in the order
	// they are first seen in the export.
	Schema aaf.CategorySchema
	// Logger receives progress, every per-asset problem and the final
	// report. Defaults to slog.Default().
	Logger *slog.Logger
	// TempDir is where converters spool secondary streams (e.g. COCO
	// annotations while images are written). Defaults to os.TempDir().
	TempDir string
}

// Log returns the logger to use: Env.Logger or slog.Default().
func (e *Env) Log() *slog.Logger {
	if e == nil || e.Logger == nil {
		return slog.Default()
	}
	return e.Logger
}

// Archive is where a converter writes its files: one entry at a time, the
// previous entry's writer becomes invalid on the next Create.
// *archive/zip.Writer and *zipstream.Writer satisfy it.
type Archive interface {
	Create(name string) (io.Writer, error)
}
