package gateway

// Log attribute keys.
const (
	logKeyComponent = "component"
	logKeyError     = "error"
	logKeyInstance  = "instance_id"
	logKeyPlugin    = "plugin_id"
	logKeyRemote    = "remote_addr"
	logKeyRun       = "run_id"
	logKeyStatus    = "status"
)
