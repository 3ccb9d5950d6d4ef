package hubtype

import "errors"

// ErrNotFound is returned when a row does not exist or is not visible to
// the organization asking for it.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a unique key is already taken or when a
// conditional update finds the row in another state.
var ErrConflict = errors.New("store: conflict")
