package plugin

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

// Retries of idempotent hub calls (GET /v2/export, getUploadUrl,
// getSignedUrl, the export download): a load balancer in front of
// several hub replicas answers 502, 503 or 504 while a replica stops or
// restarts, and connections to it break.
const (
	// retryMinDelay and retryMaxDelay bound the jittered back-off
	// between tries.
	retryMinDelay = 250 * time.Millisecond
	retryMaxDelay = 5 * time.Second
	// maxIdempotentTries bounds the tries of a call (about 20 s of
	// back-off); a run's deadline may end them sooner.
	maxIdempotentTries = 8
)

// retryIdempotent calls fn until it succeeds, fails in a way a retry
// cannot fix, maxIdempotentTries were made, or the next try would start
// after ctx's deadline (the run's); it returns fn's last error.
func retryIdempotent(ctx context.Context, fn func(ctx context.Context) error) error {
	deadline, bounded := ctx.Deadline()
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		d := backoffDelay(attempt, retryMinDelay, retryMaxDelay)
		if attempt >= maxIdempotentTries || bounded && time.Now().Add(d).After(deadline) {
			return err
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// transient reports whether err is a failure another try may not meet: a
// 502, 503 or 504 answer (a load balancer without a live replica, a
// replica that stops), or a connection that was refused or broke.
func transient(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}
