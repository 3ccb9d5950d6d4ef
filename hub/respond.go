package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/hub/store"
)

// Error is an error with its HTTP status, wire code and user-facing
// message. Handlers return it (through [WriteError]) to answer
// {"status":"fail","message":...,"code":...}.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// Code is the machine-readable code (CodeXxx).
	Code string
	// Message is the user-facing message.
	Message string
	// Errors lists detailed problems (e.g. AAF validation errors); omitted
	// when nil.
	Errors any
	// Err is the underlying cause, logged but never sent.
	Err error
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with status, code and a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// badRequest returns a 400 bad_request *Error with a formatted message;
// the validators use it for messages that name the field.
func badRequest(format string, args ...any) error {
	return Errorf(http.StatusBadRequest, hubapi.CodeBadRequest, format, args...)
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing left to tell it
}

// WriteData writes the /v2 success envelope {"status":"success","data":data}.
func WriteData(w http.ResponseWriter, data any) {
	WriteJSON(w, http.StatusOK, hubapi.SuccessResponse{Status: "success", Data: data})
}

// WriteError answers err as {"status":"fail","message","code"} with the
// matching HTTP status: an *Error as it says, store.ErrNotFound as 404,
// store.ErrConflict as 409, a body over its bound as 413, a cancelled
// request as 499 (not logged), anything else as 500 with a generic message
// (the cause is logged, never sent).
func (s *Server) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.classify(r, err)
	WriteJSON(w, e.Status, hubapi.FailResponse{Status: "fail", Message: e.Message, Code: e.Code, Errors: e.Errors})
}

// classify maps err to the *Error sent to the client and logs server-side
// failures.
func (s *Server) classify(r *http.Request, err error) *Error {
	var he *Error
	var mbe *http.MaxBytesError
	var fe *hubtype.FieldError
	var re *hubtype.RuleError
	switch {
	case errors.As(err, &he):
		if he.Status >= 500 {
			s.log.ErrorContext(r.Context(), "request failed", slog.String(logKeyPath, r.URL.Path), slog.Any(logKeyError, err))
		}
		return he
	case errors.As(err, &fe) && errors.Is(fe, hubtype.ErrTooLarge):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: hubapi.CodeBodyTooLarge, Message: fe.Message, Err: err}
	case errors.As(err, &fe):
		return &Error{Status: http.StatusBadRequest, Code: hubapi.CodeBadRequest, Message: fe.Message, Err: err}
	case errors.As(err, &re):
		switch {
		case errors.Is(re.Err, hubtype.ErrForbidden):
			return &Error{Status: http.StatusForbidden, Code: hubapi.CodeForbidden, Message: re.Message, Err: err}
		case errors.Is(re.Err, hubtype.ErrConflict):
			return &Error{Status: http.StatusConflict, Code: hubapi.CodeConflict, Message: re.Message, Err: err}
		case errors.Is(re.Err, hubtype.ErrNotFound):
			return &Error{Status: http.StatusNotFound, Code: hubapi.CodeNotFound, Message: re.Message, Err: err}
		}
	case errors.As(err, &mbe):
		return Errorf(http.StatusRequestEntityTooLarge, hubapi.CodeBodyTooLarge,
			"request body is larger than the limit of %d bytes", mbe.Limit)
	case errors.Is(err, blob.ErrForbidden):
		// Another organization's object or storage: answer as if it did
		// not exist, so nothing leaks.
		return Errorf(http.StatusNotFound, hubapi.CodeNotFound, "not found")
	case errors.Is(err, blob.ErrInvalidKey):
		return &Error{Status: http.StatusBadRequest, Code: hubapi.CodeBadRequest, Message: err.Error(), Err: err}
	case errors.Is(err, blob.ErrInvalidStorage):
		return &Error{Status: http.StatusBadRequest, Code: "invalid_storage", Message: err.Error(), Err: err}
	case errors.Is(err, blob.ErrTooLarge):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: hubapi.CodeBodyTooLarge, Message: err.Error(), Err: err}
	case errors.Is(err, blob.ErrNotFound):
		return Errorf(http.StatusNotFound, hubapi.CodeNotFound, "no such object")
	case errors.Is(err, store.ErrNotFound):
		return Errorf(http.StatusNotFound, hubapi.CodeNotFound, "%s", notFoundMessage(r, err))
	case errors.Is(err, store.ErrConflict):
		return Errorf(http.StatusConflict, hubapi.CodeConflict, "conflict: %v", err)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return Errorf(499, "client_closed", "request cancelled")
	case errors.Is(err, store.ErrUnavailable):
		s.log.WarnContext(r.Context(), "request failed: database unavailable", slog.String(logKeyPath, r.URL.Path), slog.Any(logKeyError, err))
		return Errorf(http.StatusServiceUnavailable, hubapi.CodeUnavailable, "the database is unavailable; try again in a moment")
	}
	s.log.ErrorContext(r.Context(), "request failed", slog.String(logKeyPath, r.URL.Path), slog.Any(logKeyError, err))
	return Errorf(http.StatusInternalServerError, hubapi.CodeInternal, "internal error")
}

// DecodeJSON decodes the request body into v. Unknown fields are ignored
// (clients may be newer than the hub); malformed JSON is a 400 naming the
// problem, a body over the bound a 413.
func DecodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		if errors.Is(err, io.EOF) {
			return Errorf(http.StatusBadRequest, hubapi.CodeInvalidJSON, "request body is empty, want a JSON object")
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return Errorf(http.StatusBadRequest, hubapi.CodeInvalidJSON, "request body is not valid JSON at byte %d: %v", se.Offset, err)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Errorf(http.StatusBadRequest, hubapi.CodeInvalidJSON, "field %q: want %s, got JSON %s", te.Field, te.Type, te.Value)
		}
		return Errorf(http.StatusBadRequest, hubapi.CodeInvalidJSON, "request body: %v", err)
	}
	if dec.More() {
		return Errorf(http.StatusBadRequest, hubapi.CodeInvalidJSON, "request body holds more than one JSON value")
	}
	return nil
}

// isConflict reports whether err is a store conflict.
func isConflict(err error) bool { return errors.Is(err, store.ErrConflict) }

// storeGetError matches the "get KIND ID: " prefix the stores give the
// errors of their Get methods.
var storeGetError = regexp.MustCompile(`get (export|issue|org|plugin|project|run|storage|user) ([^\s:]+): `)

// notFoundMessage names what was not found, e.g. `project
// "0123456789abcdef01234567" not found`, or says "not found" when the
// error does not tell. The id is repeated only when the request itself
// holds it: an id the hub looked up on the way (a task's project) is
// never shown to a caller who may not know it.
func notFoundMessage(r *http.Request, err error) string {
	m := storeGetError.FindStringSubmatch(err.Error())
	if m == nil {
		return "not found"
	}
	kind := m[1]
	if kind == "org" {
		kind = "organization"
	}
	if m[2] == "" || !strings.Contains(r.URL.RequestURI(), m[2]) {
		return kind + " not found"
	}
	return fmt.Sprintf("%s %q not found", kind, m[2])
}
