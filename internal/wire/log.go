package wire

import (
	"strings"
)

// Log levels of a log event, as the Python SDK's logger names them.
const (
	LevelDebug   = "DEBUG"
	LevelInfo    = "INFO"
	LevelWarning = "WARNING"
	LevelError   = "ERROR"
)

// Keys of a log event; an extra key with one of these names cannot be
// sent (see Log.Extra).
const (
	LogKeyLevel        = "level"
	LogKeyOrganization = "organization"
	LogKeyPluginID     = "pluginId"
	LogKeyRunBy        = "runBy"
	LogKeySession      = "session"
	LogKeyMsg          = "msg"
)

// IsLogKey reports whether k is one of the standard keys of a log event.
func IsLogKey(k string) bool {
	switch k {
	case LogKeyLevel, LogKeyOrganization, LogKeyPluginID, LogKeyRunBy, LogKeySession, LogKeyMsg:
		return true
	}
	return false
}

// Log is one log line of a run: the payload of EventLog and the body of
// POST /v2/pluginLog.
type Log struct {
	// Level is the line's level, normally one of LevelDebug, LevelInfo,
	// LevelWarning and LevelError; decoding keeps what the peer sent (see
	// NormalizeLevel).
	Level string
	// Organization is the run's organization (the run request's orgId).
	Organization string
	// PluginID is the plugin's id.
	PluginID string
	// RunBy is the user who started the run.
	RunBy string
	// Session is the run's session.
	Session string
	// Msg is the message. A peer's non-string message is read as its
	// JSON text.
	Msg string
	// Extra holds the keys beyond the standard ones (the keyword
	// arguments of the Python logger, the attributes of the Go SDK's
	// slog records), as JSON values: string, float64, bool, nil, []any or
	// map[string]any. nil when there are none. A key that is a standard
	// key is never sent; the standard field wins.
	Extra map[string]any
}

// MarshalJSON encodes the log line as one flat JSON object.
func (l Log) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(l.Extra)+6)
	for k, v := range l.Extra {
		m[k] = v
	}
	m[LogKeyLevel] = l.Level
	m[LogKeyOrganization] = l.Organization
	m[LogKeyPluginID] = l.PluginID
	m[LogKeyRunBy] = l.RunBy
	m[LogKeySession] = l.Session
	m[LogKeyMsg] = l.Msg
	return marshal(m)
}

// UnmarshalJSON reads a log line; it fails only when b is not a JSON
// object.
func (l *Log) UnmarshalJSON(b []byte) error {
	return unmarshalObject(b, "log event", l.fromObject)
}

func (l *Log) fromObject(m map[string]any) error {
	*l = Log{
		Level:        stringOf(m[LogKeyLevel]),
		Organization: stringOf(m[LogKeyOrganization]),
		PluginID:     stringOf(m[LogKeyPluginID]),
		RunBy:        stringOf(m[LogKeyRunBy]),
		Session:      stringOf(m[LogKeySession]),
		Msg:          stringOf(m[LogKeyMsg]),
	}
	for k, v := range m {
		if IsLogKey(k) {
			continue
		}
		if l.Extra == nil {
			l.Extra = make(map[string]any, len(m)-6)
		}
		l.Extra[k] = v
	}
	return nil
}

// NormalizeLevel maps the level names plugin loggers send ("warn",
// "critical", "trace", ...) to the four of the protocol; anything else is
// LevelInfo.
func NormalizeLevel(s string) string {
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
