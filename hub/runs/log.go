package runs

// Log attribute keys.
const (
	logKeyAttempt   = "attempt"
	logKeyComponent = "component"
	logKeyError     = "error"
	logKeyInstance  = "instance_id"
	logKeyNode      = "node_id"
	logKeyPlugin    = "plugin_id"
	logKeyRun       = "run_id"
	logKeyStatus    = "status"
	logKeyURL       = "url"
)
