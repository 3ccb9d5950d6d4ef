package hubapi

// Error codes of the "code" field of error responses. Clients match on
// the code, never on the message.
const (
	CodeBadRequest     = "bad_request"
	CodeInvalidJSON    = "invalid_json"
	CodeInvalidAAF     = "invalid_aaf"
	CodeUnauthorized   = "unauthorized"
	CodeForbidden      = "forbidden"
	CodeNotFound       = "not_found"
	CodeConflict       = "conflict"
	CodeBodyTooLarge   = "body_too_large"
	CodeInternal       = "internal"
	CodeUnavailable    = "unavailable"
	CodeMethodNotAllow = "method_not_allowed"
)

// FailResponse is the body of every error response.
type FailResponse struct {
	Status  string `json:"status"` // always "fail"
	Message string `json:"message"`
	Code    string `json:"code"`
	Errors  any    `json:"errors,omitempty"`
}

// SuccessResponse is the /v2 success envelope.
type SuccessResponse struct {
	Status string `json:"status"` // always "success"
	Data   any    `json:"data"`
}

// HealthResponse is the body of GET /livez, /readyz and /healthz.
type HealthResponse struct {
	// Status is "ok", or "fail" when the replica is not ready (503).
	Status string `json:"status"`
	// Message and Code say why a replica is not ready (as a fail
	// envelope does); empty when it is.
	Message string `json:"message,omitempty"`
	Code    string `json:"code,omitempty"`
	// Database and Blob report the state of the database and the blob
	// store ("ok" or "unavailable") on /readyz and /healthz.
	Database string `json:"database,omitempty"`
	Blob     string `json:"blob,omitempty"`
}
