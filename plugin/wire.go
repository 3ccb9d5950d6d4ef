package plugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// runRequest is the run request of plugin-protocol section 4, as sent in
// the "plugin" event or the POST /plugin body. Unknown keys are ignored.
type runRequest struct {
	ProjectID  string          `json:"projectId"`
	APIKey     string          `json:"apiKey"`
	OrgID      string          `json:"orgId"`
	RunBy      string          `json:"runBy"`
	Session    string          `json:"session"`
	ConfigJSON json.RawMessage `json:"configJSON"`
	Stage      json.RawMessage `json:"stage"`
	Batches    []string        `json:"batches"`
	PluginID   string          `json:"pluginId"`
	NumTasks   float64         `json:"numTasks"`
	// TimeoutSeconds is ours: the run's timeout on the hub, so the
	// callback's ctx ends when the hub gives up on the run. 0 means none.
	TimeoutSeconds float64 `json:"timeoutSeconds"`
}

// decodeRunRequest parses a run request from JSON.
func decodeRunRequest(data []byte) (*runRequest, error) {
	var w runRequest
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("decode run request: %w", err)
	}
	if w.Session == "" {
		return nil, fmt.Errorf("decode run request: no session")
	}
	return &w, nil
}

// config returns the Config JSON text: the string's value, or the raw JSON
// of a hub that sent an object; "{}" when absent.
func (w *runRequest) config() string {
	raw := bytes.TrimSpace(w.ConfigJSON)
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

// stages returns the stage filter for the callback: the list of stage ids
// (Ango sends a list), a one-element list for a hub that sent a string;
// nil for none.
func (w *runRequest) stages() []string {
	raw := bytes.TrimSpace(w.Stage)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
		return list
	}
	return nil
}

// stageParam returns the JSON-encoded stage filter for the /v2/export query
// (as the Python SDK sends it), or "" for none.
func (w *runRequest) stageParam() string {
	raw := bytes.TrimSpace(w.Stage)
	if len(raw) == 0 || string(raw) == "null" || string(raw) == `""` {
		return ""
	}
	return string(raw)
}

// numTasks returns numTasks as an int (0 when absent or nonsense).
func (w *runRequest) numTasks() int {
	if w.NumTasks <= 0 || w.NumTasks > math.MaxInt32 || math.IsNaN(w.NumTasks) {
		return 0
	}
	return int(w.NumTasks)
}

// timeout returns the run's timeout on the hub, 0 for none.
func (w *runRequest) timeout() time.Duration {
	if w.TimeoutSeconds <= 0 || w.TimeoutSeconds > 365*24*3600 {
		return 0
	}
	return time.Duration(w.TimeoutSeconds * float64(time.Second))
}

// logBase returns the fixed keys of this run's "log" events.
func (w *runRequest) logBase(pluginID string) map[string]any {
	id := w.PluginID
	if id == "" {
		id = pluginID
	}
	return map[string]any{
		"organization": w.OrgID,
		"pluginId":     id,
		"runBy":        w.RunBy,
		"session":      w.Session,
	}
}

// exportPayload is the "response" of a successful export run.
func exportPayload(session, signedURL string) map[string]any {
	return map[string]any{"export": true, "response": signedURL, "session": session}
}

// errorPayload is the "response" of a failed run.
func errorPayload(session string) map[string]any {
	return map[string]any{"error": true, "session": session}
}
