package hubapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// RunCreateRequest is the body of POST
// /api/projects/{pid}/plugins/{id}/runs.
type RunCreateRequest struct {
	// ConfigJSON is the Config JSON text (a string) or a JSON value; absent
	// means the plugin's default config.
	ConfigJSON json.RawMessage `json:"configJSON,omitempty"`
	// Stage filters assets by stage ids or names: a list (as Ango's run
	// request), one string, or absent for every stage.
	Stage StageList `json:"stage,omitempty"`
	// Batches filters assets by batch ids or names.
	Batches []string `json:"batches,omitempty"`
	// Retries is how many times the run is dispatched again when its
	// plugin instance is lost mid-run, 0 to runs.MaxRetries; absent means
	// 0.
	Retries int `json:"retries,omitempty"`
}

// StageList is a stage filter on the wire: in requests a JSON list of
// stage ids or names, one string, or null.
type StageList []string

// UnmarshalJSON accepts a list of strings, a string or null.
func (l *StageList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*l = nil
		if strings.TrimSpace(one) != "" {
			*l = StageList{one}
		}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("stage must be a list of stage ids, a stage id or null: %v", err)
	}
	*l = list
	return nil
}

// RunResponse is a run on the wire.
type RunResponse struct {
	ID        string `json:"id"`
	ProjectID string `json:"projectId"`
	PluginID  string `json:"pluginId"`
	UserID    string `json:"userId"`
	Status    string `json:"status"`
	Message   string `json:"message"`
	// ConfigJSON is the run's Config JSON text; run lists leave it out
	// unless asked (?config=true).
	ConfigJSON string `json:"configJSON,omitempty"`
	// Stage is the stage filter: stage ids, empty for none.
	Stage   []string `json:"stage"`
	Batches []string `json:"batches"`
	// InstanceID is the plugin instance the run went to.
	InstanceID string `json:"instanceId,omitempty"`
	// ExportID is set once the run succeeded.
	ExportID string `json:"exportId,omitempty"`
	NumTasks int64  `json:"numTasks"`
	// Retries is how many times the run may be dispatched again when its
	// plugin instance is lost.
	Retries int `json:"retries"`
	// Attempt is the current (or last) dispatch of the run: 1, then one
	// more per retry.
	Attempt      int        `json:"attempt"`
	CreatedAt    time.Time  `json:"createdAt"`
	Deadline     *time.Time `json:"deadline,omitempty"`
	DispatchedAt *time.Time `json:"dispatchedAt,omitempty"`
	StartedAt    *time.Time `json:"startedAt,omitempty"`
	EndedAt      *time.Time `json:"endedAt,omitempty"`
}

// RunListResponse is the body of the run lists.
type RunListResponse struct {
	Runs []*RunResponse `json:"runs"`
}

// RunLogLine is a log line on the wire.
type RunLogLine struct {
	Seq   int64     `json:"seq"`
	Time  time.Time `json:"time"`
	Level string    `json:"level"`
	Msg   string    `json:"msg"`
	// Extra holds the keys the plugin sent beyond the standard ones.
	Extra json.RawMessage `json:"extra,omitempty"`
}

// RunLogsResponse is the body of GET /api/runs/{id}/logs.
type RunLogsResponse struct {
	Logs []*RunLogLine `json:"logs"`
	// Status is the run's status when the lines were read.
	Status string `json:"status"`
}

// RunEndEvent is the data of the `end` event that closes a live log
// stream.
type RunEndEvent struct {
	Status   string `json:"status"`
	Message  string `json:"message"`
	ExportID string `json:"exportId,omitempty"`
}

// ConfigText returns the request's config as text; nil when absent.
func (r *RunCreateRequest) ConfigText() *string {
	if len(r.ConfigJSON) == 0 || string(r.ConfigJSON) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(r.ConfigJSON, &s) == nil {
		return &s
	}
	s = string(r.ConfigJSON)
	return &s
}
