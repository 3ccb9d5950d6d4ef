package runs

// Log attribute keys.
const (
	logKeyComponent = "component"
	logKeyError     = "error"
	logKeyInstance  = "instance_id"
	logKeyNode      = "node_id"
	logKeyPlugin    = "plugin_id"
	logKeyRun       = "run_id"
	logKeyStatus    = "status"
	logKeyURL       = "url"
)
