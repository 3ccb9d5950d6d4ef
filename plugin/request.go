package plugin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/exporthub/exporthub/aaf"
)

// Request is one run of the plugin as the callback sees it: the fields of
// the hub's run request plus the export stream and a logger.
//
// A Request is valid only during the callback. Its Export reader, and the
// files made by [Request.NewZip] that were not turned into a response, are
// closed and removed when the run ends.
type Request struct {
	// ProjectID is the id of the exported project ("projectId").
	ProjectID string
	// Export streams the project's assets, read straight from the
	// downloaded zip entry: iterate Export.All() or call Export.Next() until
	// io.EOF. The stream can be read once.
	Export *aaf.Reader
	// Logger sends each record to the hub as a "log" event of this run
	// (level, message and attributes as extra keys) and to the plugin's
	// local logger. Never log secrets with it.
	Logger *slog.Logger
	// APIKey is the key for the hub's REST API during this run ("apiKey");
	// on exporthub a token scoped to this run's project that expires with
	// the run. Never log it.
	APIKey string
	// OrgID is the organization that owns the project ("orgId").
	OrgID string
	// RunBy is the id of the user who started the run ("runBy").
	RunBy string
	// Session is the run's id ("session").
	Session string
	// ConfigJSON is the Config JSON the user typed, as text ("configJSON");
	// "{}" when empty. Decode it with [Request.DecodeConfig].
	ConfigJSON string
	// NumTasks is the number of assets in the export when the hub knows it
	// ("numTasks"), else 0.
	NumTasks int
	// Stage is the stage filter of the run ("stage") as text: its stage
	// ids joined by ", " (what Ango plugins print), "" for none.
	Stage string
	// Stages holds the stage filter of the run ("stage", a list of stage
	// ids), empty for none.
	Stages []string
	// Batches holds the batch filter of the run ("batches"), empty for none.
	Batches []string
	// PluginID is the id of this plugin ("pluginId", or the configured id).
	PluginID string

	run *runState
}

// LogValue logs the request's identifiers only: never the API key.
func (r *Request) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String(LogKeySession, r.Session),
		slog.String(LogKeyProject, r.ProjectID),
		slog.String("org_id", r.OrgID),
		slog.String("run_by", r.RunBy),
		slog.Int("num_tasks", r.NumTasks),
	)
}

// DecodeConfig parses ConfigJSON into v (as encoding/json does; unknown keys
// are ignored). An empty or blank config decodes as {}. A malformed config
// returns a [*ConfigError] whose message names the line, e.g.
// `config JSON: line 1: invalid character 'x' looking for beginning of value (column 2)`.
func (r *Request) DecodeConfig(v any) error {
	return decodeConfig(r.ConfigJSON, v)
}

// ConfigError is a Config JSON that does not parse into the callback's type.
type ConfigError struct {
	// Line and Column locate the problem, both 1-based.
	Line, Column int
	// Field is the dotted path of the offending field for a type mismatch.
	Field string
	// Err is the underlying encoding/json error.
	Err error
}

// Error returns "config JSON: line L: <problem> (column C)".
func (e *ConfigError) Error() string {
	msg := e.Err.Error()
	var te *json.UnmarshalTypeError
	if errors.As(e.Err, &te) {
		msg = fmt.Sprintf("cannot use JSON %s as %s", te.Value, te.Type)
		if e.Field != "" {
			msg = fmt.Sprintf("field %q: %s", e.Field, msg)
		}
	}
	return fmt.Sprintf("config JSON: line %d: %s (column %d)", e.Line, msg, e.Column)
}

// Unwrap returns the encoding/json error.
func (e *ConfigError) Unwrap() error { return e.Err }

func decodeConfig(text string, v any) error {
	if strings.TrimSpace(text) == "" {
		text = "{}"
	}
	data := []byte(text)
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return configError(data, err, dec.InputOffset())
	}
	end := dec.InputOffset()
	if rest := bytes.TrimLeft(data[end:], " \t\r\n"); len(rest) > 0 {
		at := int64(len(data)-len(rest)) + 1 // just past the first extra byte
		return configError(data, errors.New("unexpected data after the JSON value"), at)
	}
	return nil
}

func configError(data []byte, err error, fallback int64) error {
	off := fallback
	field := ""
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		field = te.Field
	case errors.Is(err, io.ErrUnexpectedEOF):
		off = int64(len(data))
	}
	line, col := lineCol(data, off)
	return &ConfigError{Line: line, Column: col, Field: field, Err: err}
}

// lineCol converts a byte offset to a 1-based line and column. The offset
// encoding/json reports points just past the offending byte.
func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off > 0 {
		off-- // point at the offending byte
	}
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	col = int(off) - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}
