package gateway

import (
	"github.com/exporthub/exporthub/internal/wire"
)

// The plugin protocol is declared in package wire; these names keep the
// hub's code reading in the gateway's terms.

// Event names of the plugin protocol (plugin-protocol.md section 2).
const (
	// EventHeartbeat authenticates an instance: {"id", "secret"}.
	EventHeartbeat = wire.EventHeartbeat
	// EventLog carries one log line of a run.
	EventLog = wire.EventLog
	// EventResponse carries the result of a run.
	EventResponse = wire.EventResponse
	// EventPlugin carries a run request to an instance.
	EventPlugin = wire.EventPlugin
	// EventError tells a socket why it is being disconnected (ours).
	EventError = wire.EventError
	// EventCancel tells an instance that a run was cancelled (ours): old
	// clients ignore it; the Go SDK cancels the callback's context.
	EventCancel = wire.EventCancel
)

// Namespace is the Socket.IO namespace plugins connect to.
const Namespace = wire.Namespace

// RunRequest is the run request sent to a plugin (plugin-protocol.md
// section 4) as the `plugin` event or the body of POST {base}/plugin.
type RunRequest = wire.RunRequest

// Log levels as the hub stores them.
const (
	LevelDebug   = wire.LevelDebug
	LevelInfo    = wire.LevelInfo
	LevelWarning = wire.LevelWarning
	LevelError   = wire.LevelError
)

// LogEvent is one `log` event (or POST /v2/pluginLog body). The gateway
// hands it on with its Level normalized (wire.NormalizeLevel).
type LogEvent = wire.Log

// ResponseEvent is one `response` event (or POST /v2/pluginResponse
// body).
type ResponseEvent = wire.Response

// DecodeLogEvent parses a log payload from JSON, its level normalized. It
// fails when b is not a JSON object.
func DecodeLogEvent(b []byte) (*LogEvent, error) {
	ev := new(LogEvent)
	if err := ev.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	ev.Level = wire.NormalizeLevel(ev.Level)
	return ev, nil
}

// DecodeResponseEvent parses a response payload from JSON. It fails when
// b is not a JSON object.
func DecodeResponseEvent(b []byte) (*ResponseEvent, error) {
	ev := new(ResponseEvent)
	if err := ev.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	return ev, nil
}

// logEventOf reads the log payload of a Socket.IO event, its level
// normalized.
func logEventOf(args []any) (*LogEvent, error) {
	ev := new(LogEvent)
	if err := wire.FromArgs(args, ev); err != nil {
		return nil, err
	}
	ev.Level = wire.NormalizeLevel(ev.Level)
	return ev, nil
}
