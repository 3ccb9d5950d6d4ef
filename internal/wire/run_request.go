package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"time"
)

// RunRequest is the run request of plugin-protocol.md section 4: the
// payload of EventPlugin and the body of the REST connector's
// POST {base}/plugin.
type RunRequest struct {
	// ProjectID is the project to export.
	ProjectID string
	// APIKey is the key the plugin calls the hub's /v2 API with during
	// the run (on exporthub a run-scoped token). It is a credential: it
	// never appears in logs (see LogValue).
	APIKey string
	// OrgID is the project's organization.
	OrgID string
	// RunBy is the id of the user who started the run.
	RunBy string
	// Session is the run's id; every log line and the response carry it.
	Session string
	// ConfigJSON is the Config JSON text the user typed, sent as a JSON
	// string; "{}" when empty. A peer that sent a JSON object instead is
	// read as that object's text.
	ConfigJSON string
	// Stage is the stage filter, a list of stage ids (Ango's plugins do
	// ', '.join(stage)); no stage chosen is nil, sent as JSON null. A peer
	// that sent one string is read as a one-element list.
	Stage []string
	// Batches is the batch filter, a list of batch ids; nil (no filter)
	// is sent as an empty list, and an empty list is read as nil.
	Batches []string
	// PluginID is the plugin's id (ours; harmless to old clients).
	PluginID string
	// NumTasks is the size of the export, if known (ours). Negative or
	// fractional values sent by a peer are read as 0 or truncated.
	NumTasks int64
	// TimeoutSeconds is the run's timeout on the hub (ours): the SDK ends
	// the callback's context when it elapses. 0, left out of the JSON,
	// means none.
	TimeoutSeconds float64
}

// runRequestJSON is the JSON shape of a RunRequest, keys in the order
// the hub sends them.
type runRequestJSON struct {
	ProjectID      string   `json:"projectId"`
	APIKey         string   `json:"apiKey"`
	OrgID          string   `json:"orgId"`
	RunBy          string   `json:"runBy"`
	Session        string   `json:"session"`
	ConfigJSON     string   `json:"configJSON"`
	Stage          []string `json:"stage"`
	Batches        []string `json:"batches"`
	PluginID       string   `json:"pluginId"`
	NumTasks       int64    `json:"numTasks"`
	TimeoutSeconds float64  `json:"timeoutSeconds,omitempty"`
}

// MarshalJSON encodes r as the protocol requires: "{}" for an empty
// ConfigJSON, null for no Stage, an empty list for nil Batches.
func (r RunRequest) MarshalJSON() ([]byte, error) {
	j := runRequestJSON(r)
	if j.ConfigJSON == "" {
		j.ConfigJSON = "{}"
	}
	if len(j.Stage) == 0 {
		j.Stage = nil
	}
	if j.Batches == nil {
		j.Batches = []string{}
	}
	return marshal(j)
}

// UnmarshalJSON reads a run request. It accepts what older or foreign
// hubs send besides the exact shape: configJSON as a JSON object, stage
// as one string, numTasks as any number. It fails when b is not a JSON
// object or a field has another type, naming the field.
func (r *RunRequest) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return fmt.Errorf("decode run request: %w", ErrNotObject)
	}
	var w struct {
		ProjectID      string          `json:"projectId"`
		APIKey         string          `json:"apiKey"`
		OrgID          string          `json:"orgId"`
		RunBy          string          `json:"runBy"`
		Session        string          `json:"session"`
		ConfigJSON     json.RawMessage `json:"configJSON"`
		Stage          json.RawMessage `json:"stage"`
		Batches        []string        `json:"batches"`
		PluginID       string          `json:"pluginId"`
		NumTasks       float64         `json:"numTasks"`
		TimeoutSeconds float64         `json:"timeoutSeconds"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("decode run request: %w", err)
	}
	stage, err := decodeStage(w.Stage)
	if err != nil {
		return fmt.Errorf("decode run request: %w", err)
	}
	if len(w.Batches) == 0 {
		w.Batches = nil
	}
	*r = RunRequest{
		ProjectID:      w.ProjectID,
		APIKey:         w.APIKey,
		OrgID:          w.OrgID,
		RunBy:          w.RunBy,
		Session:        w.Session,
		ConfigJSON:     decodeConfig(w.ConfigJSON),
		Stage:          stage,
		Batches:        w.Batches,
		PluginID:       w.PluginID,
		NumTasks:       wholeNumber(w.NumTasks),
		TimeoutSeconds: max(w.TimeoutSeconds, 0),
	}
	return nil
}

// decodeConfig returns the Config JSON text of a configJSON value: the
// string's value, or the text of another JSON value; "{}" for none.
func decodeConfig(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "{}"
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if s == "" {
				return "{}"
			}
			return s
		}
	}
	return string(raw)
}

// decodeStage reads a stage filter: a list of stage ids, one id as a
// string, or null; empty means none (nil).
func decodeStage(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return nil, nil
		}
		return []string{s}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("stage: want a list of stage ids, a string or null, got %.40s", raw)
	}
	if len(list) == 0 {
		return nil, nil
	}
	return list, nil
}

// wholeNumber truncates a JSON number to an int64; negative is 0.
func wholeNumber(f float64) int64 {
	switch {
	case f <= 0 || math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	}
	return int64(f)
}

// maxTimeout bounds Timeout: anything longer is taken as none.
const maxTimeout = 365 * 24 * time.Hour

// Timeout returns TimeoutSeconds as a duration; 0 for none or for more
// than a year.
func (r *RunRequest) Timeout() time.Duration {
	d := time.Duration(r.TimeoutSeconds * float64(time.Second))
	if r.TimeoutSeconds <= 0 || r.TimeoutSeconds > maxTimeout.Seconds() {
		return 0
	}
	return d
}

// StageQuery returns the stage filter JSON-encoded for the stage
// parameter of GET /v2/export (a list, as the Python SDK sends it), or ""
// for none.
func (r *RunRequest) StageQuery() string {
	if len(r.Stage) == 0 {
		return ""
	}
	b, _ := json.Marshal(r.Stage) // a []string always encodes
	return string(b)
}

// LogValue logs a run request without its API key.
func (r RunRequest) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("session", r.Session),
		slog.String("plugin_id", r.PluginID),
		slog.String("project_id", r.ProjectID),
	)
}
