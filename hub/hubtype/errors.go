package hubtype

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned when a row does not exist or is not visible to
// the organization asking for it.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a unique key is already taken or when a
// conditional update finds the row in another state.
var ErrConflict = errors.New("store: conflict")

// ErrUnavailable is returned when the database connection failed in a
// way that leaves unknown whether a change was made (the connection broke
// after the statement was sent): the caller may try again later.
var ErrUnavailable = errors.New("store: the database connection failed")

// ErrForbidden is matched (errors.Is) by the errors a service returns
// when the caller may not do what they asked (a member where an
// organization admin is needed, another user's plugin).
var ErrForbidden = errors.New("forbidden")

// RuleError is an error of a service whose Message is meant for the user:
// what was refused and why, in words that suit every front end (no HTTP
// path, no form field label). Err is the sentinel it matches with
// errors.Is: ErrForbidden, ErrNotFound or ErrConflict.
type RuleError struct {
	Err     error
	Message string
}

// Error returns the message.
func (e *RuleError) Error() string { return e.Message }

// Unwrap returns the sentinel.
func (e *RuleError) Unwrap() error { return e.Err }

// Forbiddenf returns a *RuleError matching ErrForbidden.
func Forbiddenf(format string, args ...any) error {
	return &RuleError{Err: ErrForbidden, Message: fmt.Sprintf(format, args...)}
}

// Conflictf returns a *RuleError matching ErrConflict.
func Conflictf(format string, args ...any) error {
	return &RuleError{Err: ErrConflict, Message: fmt.Sprintf(format, args...)}
}

// FieldError is invalid input: Field names the input field (as the JSON
// API names it: "name", "defaultConfig", "batches[2]") and Message says
// what is wrong, naming the field ("name is required").
type FieldError struct {
	Field   string
	Message string
	// Err, when set, classifies the error (ErrTooLarge).
	Err error
}

// Error returns the message.
func (e *FieldError) Error() string { return e.Message }

// Unwrap returns Err.
func (e *FieldError) Unwrap() error { return e.Err }

// ErrTooLarge classifies a FieldError for a value over a size limit (the
// HTTP API answers 413).
var ErrTooLarge = errors.New("too large")

// Fieldf returns a *FieldError for field with a formatted message.
func Fieldf(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}
