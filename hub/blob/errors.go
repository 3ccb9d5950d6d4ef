package blob

import (
	"context"
	"errors"

	"gocloud.dev/gcerrors"
)

// ErrNotFound is returned when an object does not exist.
var ErrNotFound = errors.New("blob: object not found")

// ErrTooLarge is returned when an object is larger than Config.MaxObjectSize.
var ErrTooLarge = errors.New("blob: object too large")

// ErrInvalidKey is returned when an object key, file name, type or object
// URL is malformed. The wrapping error says which and why.
var ErrInvalidKey = errors.New("blob: invalid object key")

// ErrForbidden is returned when an object key or URL belongs to another
// organization or project than the caller's, or a storage belongs to
// another organization.
var ErrForbidden = errors.New("blob: object belongs to another organization or project")

// ErrInvalidStorage is returned when an organization storage cannot be
// used: unsupported provider, missing bucket, malformed endpoint or a
// secret key that does not decrypt with the hub key.
var ErrInvalidStorage = errors.New("blob: invalid organization storage")

// ErrClosed is returned by every method of a Service or Bucket after
// Service.Close.
var ErrClosed = errors.New("blob: service closed")

// interpretError maps gocloud and provider errors to this package's
// sentinels so that no gocloud or AWS error type escapes hub/blob. The
// provider's message is kept as text.
func interpretError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return ErrNotFound
	case gcerrors.Canceled:
		return context.Canceled
	case gcerrors.DeadlineExceeded:
		return context.DeadlineExceeded
	}
	return errors.New(err.Error())
}
