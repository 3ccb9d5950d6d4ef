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

// HealthResponse is the body of GET /healthz.
type HealthResponse struct {
	Status string `json:"status"`
}
