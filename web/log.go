package web

import "log/slog"

// Log attribute keys used by the web UI (snake_case, one place).
const (
	logKeyComponent = "component"
	logKeyError     = "error"
	logKeyPath      = "path"
	logKeyPage      = "page"
	logKeyUserID    = "user_id"
	logKeyRunID     = "run_id"
	logKeyRemote    = "remote"
)

// errAttr returns the attribute logging err.
func errAttr(err error) slog.Attr { return slog.Any(logKeyError, err) }
