package gateway

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
)

// Event names of the plugin protocol (plugin-protocol.md section 2).
const (
	// EventHeartbeat authenticates an instance: {"id", "secret"}.
	EventHeartbeat = "heartbeat"
	// EventLog carries one log line of a run.
	EventLog = "log"
	// EventResponse carries the result of a run.
	EventResponse = "response"
	// EventPlugin carries a run request to an instance.
	EventPlugin = "plugin"
	// EventError tells a socket why it is being disconnected (ours).
	EventError = "error"
	// EventCancel tells an instance that a run was cancelled (ours): old
	// clients ignore it; the Go SDK cancels the callback's context.
	EventCancel = "cancel"
)

// Namespace is the Socket.IO namespace plugins connect to.
const Namespace = "/plugin"

// RunRequest is the run request sent to a plugin (plugin-protocol.md
// section 4) as the `plugin` event or the body of POST {base}/plugin.
type RunRequest struct {
	ProjectID string `json:"projectId"`
	// APIKey is the run-scoped token the plugin calls the hub with. It is a
	// credential: it never appears in logs (see LogValue).
	APIKey string `json:"apiKey"`
	OrgID  string `json:"orgId"`
	RunBy  string `json:"runBy"`
	// Session is the run id.
	Session string `json:"session"`
	// ConfigJSON is the Config JSON text as a string; "{}" when empty.
	ConfigJSON string `json:"configJSON"`
	// Stage is the stage filter, a list of stage ids as in Ango (plugins
	// do ', '.join(stage)); nil, no stage chosen, is sent as JSON null.
	Stage []string `json:"stage"`
	// Batches is the batch filter; nil is sent as an empty list.
	Batches  []string `json:"batches"`
	PluginID string   `json:"pluginId"`
	NumTasks int64    `json:"numTasks"`
}

// MarshalJSON encodes r with an empty list for nil Batches, null for no
// Stage and "{}" for an empty ConfigJSON, as the protocol requires.
func (r RunRequest) MarshalJSON() ([]byte, error) {
	type plain RunRequest
	p := plain(r)
	if len(p.Stage) == 0 {
		p.Stage = nil
	}
	if p.Batches == nil {
		p.Batches = []string{}
	}
	if p.ConfigJSON == "" {
		p.ConfigJSON = "{}"
	}
	return json.Marshal(p)
}

// LogValue logs a run request without its token.
func (r RunRequest) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("session", r.Session),
		slog.String("plugin_id", r.PluginID),
		slog.String("project_id", r.ProjectID),
	)
}

// wire returns r as the generic value the Socket.IO encoder sends.
func (r *RunRequest) wire() (map[string]any, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode run request: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode run request: %w", err)
	}
	return m, nil
}

// Log levels as the hub stores them.
const (
	LevelDebug   = "DEBUG"
	LevelInfo    = "INFO"
	LevelWarning = "WARNING"
	LevelError   = "ERROR"
)

// LogEvent is one `log` event (or POST /v2/pluginLog body).
type LogEvent struct {
	// Level is one of LevelDebug, LevelInfo, LevelWarning, LevelError
	// (aliases such as "warn" or "critical" are mapped; anything else is
	// LevelInfo).
	Level        string
	Organization string
	PluginID     string
	RunBy        string
	Session      string
	Msg          string
	// Extra holds every key beyond the standard ones, as sent; nil when
	// there are none.
	Extra map[string]any
}

// standardLogKeys are the keys of a log payload that are not extra.
var standardLogKeys = map[string]bool{
	"level": true, "organization": true, "pluginId": true, "runBy": true, "session": true, "msg": true,
}

// ParseLogEvent reads a log payload decoded as a JSON object.
func ParseLogEvent(m map[string]any) *LogEvent {
	ev := &LogEvent{
		Level:        normalizeLevel(stringOf(m["level"])),
		Organization: stringOf(m["organization"]),
		PluginID:     stringOf(m["pluginId"]),
		RunBy:        stringOf(m["runBy"]),
		Session:      stringOf(m["session"]),
		Msg:          stringOf(m["msg"]),
	}
	for k, v := range m {
		if standardLogKeys[k] {
			continue
		}
		if ev.Extra == nil {
			ev.Extra = make(map[string]any)
		}
		ev.Extra[k] = v
	}
	return ev
}

// DecodeLogEvent parses a log payload from JSON. It fails when b is not a
// JSON object.
func DecodeLogEvent(b []byte) (*LogEvent, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode log event: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("decode log event: want a JSON object, got null")
	}
	return ParseLogEvent(m), nil
}

// normalizeLevel maps the level names plugin loggers send to ours.
func normalizeLevel(s string) string {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "DEBUG", "TRACE":
		return LevelDebug
	case "WARNING", "WARN":
		return LevelWarning
	case "ERROR", "CRITICAL", "FATAL", "EXCEPTION":
		return LevelError
	default:
		return LevelInfo
	}
}

// ResponseEvent is one `response` event (or POST /v2/pluginResponse body).
type ResponseEvent struct {
	Session string
	// Export is true for an export plugin's success: Response holds the
	// signed GET URL of the uploaded file.
	Export bool
	// Error is true when the plugin's callback failed.
	Error bool
	// Response is the raw JSON of the "response" key; nil when absent.
	Response json.RawMessage
}

// URL returns the response as a string (the export's signed URL) and
// whether it was one.
func (e *ResponseEvent) URL() (string, bool) {
	var s string
	if len(e.Response) == 0 || json.Unmarshal(e.Response, &s) != nil {
		return "", false
	}
	return s, true
}

// ParseResponseEvent reads a response payload decoded as a JSON object.
func ParseResponseEvent(m map[string]any) *ResponseEvent {
	ev := &ResponseEvent{
		Session: stringOf(m["session"]),
		Export:  truthy(m["export"]),
		Error:   truthy(m["error"]),
	}
	if v, ok := m["response"]; ok {
		if b, err := json.Marshal(v); err == nil {
			ev.Response = b
		}
	}
	return ev
}

// DecodeResponseEvent parses a response payload from JSON. It fails when b
// is not a JSON object.
func DecodeResponseEvent(b []byte) (*ResponseEvent, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode response event: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("decode response event: want a JSON object, got null")
	}
	return ParseResponseEvent(m), nil
}

// heartbeat is the `heartbeat` payload.
type heartbeat struct {
	ID     string
	Secret string
}

func parseHeartbeat(args []any) (heartbeat, bool) {
	if len(args) == 0 {
		return heartbeat{}, false
	}
	m, ok := args[0].(map[string]any)
	if !ok {
		return heartbeat{}, false
	}
	hb := heartbeat{ID: stringOf(m["id"]), Secret: stringOf(m["secret"])}
	return hb, hb.ID != "" && hb.Secret != ""
}

// stringOf returns v as text: strings as they are, nil as "", anything
// else as its JSON.
func stringOf(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}

// truthy reports whether a JSON value counts as true the way the Python
// SDK's payloads mean it (true, a non-zero number or a non-empty string).
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x != 0
	case int, int64:
		return x != 0
	case string:
		return x != "" && !strings.EqualFold(x, "false")
	}
	return false
}
