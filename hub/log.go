package hub

// Log attribute keys used by the hub (snake_case, one place).
const (
	logKeyComponent = "component"
	logKeyError     = "error"
	logKeyMethod    = "method"
	logKeyPath      = "path"
	logKeyStatus    = "status"
	logKeyDuration  = "duration"
	logKeyURL       = "url"
	logKeyOrgID     = "org_id"
	logKeyUserID    = "user_id"
	logKeyKeyID     = "key_id"
	logKeyProjectID = "project_id"
	logKeyCount     = "count"
	logKeyRunID     = "run_id"
)
