package plugin

import (
	"errors"
	"fmt"
)

// Error codes of the hub's {"status":"fail","code":...} answers that the SDK
// gives names to. Other codes still arrive in [APIError.Code].
const (
	CodeUnauthorized = "unauthorized"
	CodeForbidden    = "forbidden"
	CodeNotFound     = "not_found"
	CodeRunNotFound  = "run_not_found"
	CodeUnavailable  = "unavailable"
)

// Sentinel errors. The API sentinels are [*APIError] values: errors.Is
// matches any APIError with the same Code, whatever its status and message.
var (
	// ErrUnauthorized matches a hub answer with code "unauthorized": a
	// wrong plugin id/secret (the hub rejected the heartbeat) or an expired
	// or wrong run API key.
	ErrUnauthorized = &APIError{Code: CodeUnauthorized, Message: "unauthorized"}
	// ErrForbidden matches a hub answer with code "forbidden": the run's
	// API key may not touch that project or storage.
	ErrForbidden = &APIError{Code: CodeForbidden, Message: "forbidden"}
	// ErrNotFound matches a hub answer with code "not_found".
	ErrNotFound = &APIError{Code: CodeNotFound, Message: "not found"}
	// ErrRunNotFound matches a hub answer with code "run_not_found": the
	// session is unknown or already finished (timed out, cancelled).
	ErrRunNotFound = &APIError{Code: CodeRunNotFound, Message: "run not found"}
	// ErrUnavailable matches a hub answer with code "unavailable".
	ErrUnavailable = &APIError{Code: CodeUnavailable, Message: "unavailable"}

	// ErrInvalidOption is wrapped by every error of an [Option] or of an
	// [Export] field that does not validate.
	ErrInvalidOption = errors.New("plugin: invalid option")
	// ErrExportFailed is wrapped when the export could not be downloaded or
	// is not a zip holding an AAF file.
	ErrExportFailed = errors.New("plugin: export download failed")
	// ErrUploadFailed is wrapped when the result could not be uploaded.
	ErrUploadFailed = errors.New("plugin: upload failed")
	// ErrNoResponse is returned for a callback that returned neither a
	// response nor an error, or a response without a File.
	ErrNoResponse = errors.New("plugin: callback returned no file")
	// ErrPanic is wrapped by the error of a callback that panicked.
	ErrPanic = errors.New("plugin: callback panicked")
	// ErrShuttingDown is the cause given to runs refused or cancelled
	// because the plugin is shutting down.
	ErrShuttingDown = errors.New("plugin: shutting down")
	// ErrReconnectFailed is returned by [Export.Run] when the maximum number
	// of reconnect attempts was reached.
	ErrReconnectFailed = errors.New("plugin: reconnect attempts exhausted")
	// ErrClosed is returned by [Export.Run] when it is called again after it
	// returned, or after [Export.Shutdown].
	ErrClosed = errors.New("plugin: export closed")
)

// APIError is an error answered by the hub: an HTTP status with the
// {"status":"fail","message":...,"code":...} body, or an "error" event on
// the socket. Match it with errors.Is against the sentinels (which compares
// Code) or read it with errors.As.
type APIError struct {
	// StatusCode is the HTTP status, 0 for a socket event.
	StatusCode int
	// Code is the machine-readable code ("unauthorized", "not_found", ...);
	// may be empty for hubs that send none (Ango Hub).
	Code string
	// Message is the hub's message.
	Message string
}

// Error returns "hub: <message> (<code>, HTTP <status>)".
func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "request failed"
	}
	switch {
	case e.Code != "" && e.StatusCode != 0:
		return fmt.Sprintf("hub: %s (%s, HTTP %d)", msg, e.Code, e.StatusCode)
	case e.Code != "":
		return fmt.Sprintf("hub: %s (%s)", msg, e.Code)
	case e.StatusCode != 0:
		return fmt.Sprintf("hub: %s (HTTP %d)", msg, e.StatusCode)
	}
	return "hub: " + msg
}

// Is reports whether target is an *APIError with the same non-empty Code.
func (e *APIError) Is(target error) bool {
	t, ok := target.(*APIError)
	return ok && t.Code != "" && t.Code == e.Code
}
