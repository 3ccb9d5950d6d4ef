// Package waittest waits in tests for something that happens
// asynchronously: the one polling helper of the module's tests (hub,
// gateway, runs, SDK, interop, CLI), so every wait reads and fails the
// same way.
//
// A wait polls a condition on the test's goroutine, so the condition may
// call t.Fatal or require (a helper that queries the hub, say). It never
// stands in for a timed assertion: the timeout only bounds how long a
// failing test hangs.
package waittest

import (
	"testing"
	"time"
)

// Timeout bounds For. It is generous because the tests share a busy
// machine; a passing test never waits that long.
const Timeout = 60 * time.Second

// Interval is the time between two polls.
const Interval = 10 * time.Millisecond

// For calls cond every Interval until it returns true, and fails the test
// with "timed out after 1m0s waiting for <what>" when Timeout passes first.
func For(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Within(t, Timeout, what, cond)
}

// Within is For with another timeout.
func Within(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(Interval)
	}
}
