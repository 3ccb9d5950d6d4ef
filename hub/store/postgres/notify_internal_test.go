package postgres

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store/postgres/postgrestest"
)

// newTestStore opens a store in a fresh schema.
func newTestStore(t *testing.T) *Store {
	t.Helper()
	url, schema := postgrestest.NewSchema(t)
	s, err := New(t.Context(), &Config{URL: url, Schema: schema, MaxConns: 2})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// startListen listens on topic and returns the received payloads and a
// count of the times the listener (re)started listening.
func startListen(t *testing.T, s *Store, topic string) (<-chan string, *atomic.Int32) {
	t.Helper()
	got := make(chan string, 10)
	var listening atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.Listen(ctx, []string{topic}, func(_ string, p []byte) { got <- string(p) }, func() { listening.Add(1) })
	}()
	t.Cleanup(func() {
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})
	require.Eventually(t, func() bool { return listening.Load() == 1 }, 10*time.Second, 5*time.Millisecond, "listening")
	return got, &listening
}

func TestListen_SchemaIsolation(t *testing.T) {
	t.Parallel()
	a, b := newTestStore(t), newTestStore(t)
	gotA, _ := startListen(t, a, "runs")
	gotB, _ := startListen(t, b, "runs")
	require.NoError(t, b.Notify(t.Context(), "runs", []byte("for b")))
	require.NoError(t, a.Notify(t.Context(), "runs", []byte("for a")))
	select {
	case p := <-gotA:
		require.Equal(t, "for a", p, "a hub hears only its own schema's notifications")
	case <-time.After(10 * time.Second):
		t.Fatal("no notification within 10s")
	}
	select {
	case p := <-gotB:
		require.Equal(t, "for b", p)
	case <-time.After(10 * time.Second):
		t.Fatal("no notification within 10s")
	}
}

func TestListen_Reconnects(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	got, listening := startListen(t, s, "node:a")

	// Kill the listener's connection, as a database restart or a network
	// failure would.
	var killed bool
	require.NoError(t, s.pool.QueryRow(t.Context(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND query = 'listen "' || $1 || '"'`, s.channel("node:a")).Scan(&killed))
	require.True(t, killed)
	require.Eventually(t, func() bool { return listening.Load() == 2 }, 20*time.Second, 10*time.Millisecond,
		"the listener connects again and says so")
	require.NoError(t, s.Notify(t.Context(), "node:a", []byte("after")))
	select {
	case p := <-got:
		require.Equal(t, "after", p)
	case <-time.After(10 * time.Second):
		t.Fatal("no notification after the reconnection within 10s")
	}
}
