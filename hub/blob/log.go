package blob

// Log attribute keys. Presigned URLs and secrets are never logged; object
// keys are not secret.
const (
	logKeyCode      = "code"
	logKeyComponent = "component"
	logKeyError     = "error"
	logKeyKey       = "object_key"
	logKeyMethod    = "method"
	logKeySize      = "size"
	logKeyStatus    = "status"
	logKeyStorageID = "storage_id"
)
