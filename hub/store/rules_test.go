package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

func TestEmailKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"ada@example.com", "ada@example.com"},
		{"Ada@Example.COM", "ada@example.com"},
		{"  ada@example.com\t", "ada@example.com"},
		{"", ""},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, store.EmailKey(tt.in), "EmailKey(%q)", tt.in)
	}
}

func TestCheckRunStatus(t *testing.T) {
	t.Parallel()
	for _, st := range []store.RunStatus{store.RunQueued, store.RunDispatched, store.RunRunning, store.RunUploaded,
		store.RunSucceeded, store.RunFailed, store.RunTimedOut, store.RunLost, store.RunCancelled} {
		require.NoError(t, store.CheckRunStatus(st), "status %s", st)
	}
	tests := []struct {
		st   store.RunStatus
		want string
	}{
		{"", `unknown run status ""`},
		{"done", `unknown run status "done"`},
		{"Queued", `unknown run status "Queued"`},
	}
	for _, tt := range tests {
		require.EqualError(t, store.CheckRunStatus(tt.st), tt.want)
	}
}
