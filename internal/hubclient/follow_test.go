package hubclient_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/internal/hubclient"
)

// TestFollowRunLogs_AcrossRestart: a hub that goes away (connections
// refused by a proxy, 503 while starting) for longer than a few retries
// is followed until the run ends, and each reconnection is reported.
func TestFollowRunLogs_AcrossRestart(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	const down = 20 // failed connections in a row, more than the old 5 retries
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		switch {
		case n == 1:
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "event: log\nid: 1\ndata: {\"seq\":1,\"level\":\"INFO\",\"msg\":\"before\"}\n\n")
			// the stream ends: the hub shuts down
		case n <= 1+down/2:
			http.Error(w, "upstream down", http.StatusBadGateway)
		case n <= 1+down:
			hj, _ := w.(http.Hijacker)
			c, _, _ := hj.Hijack()
			c.Close() // connection dropped
		default:
			require.Equal(t, "1", r.Header.Get("Last-Event-ID"), "resumes after the last line")
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "event: log\nid: 2\ndata: {\"seq\":2,\"level\":\"INFO\",\"msg\":\"after\"}\n\n")
			fmt.Fprint(w, "event: end\ndata: {\"status\":\"succeeded\",\"message\":\"\"}\n\n")
		}
	}))
	defer srv.Close()
	var lines []string
	var reconnects atomic.Int32
	end, err := hubclient.New(srv.URL, "k").FollowRunLogsWith(context.Background(), "r1", 0, func(l *hubapi.RunLogLine) error {
		lines = append(lines, l.Msg)
		return nil
	}, &hubclient.FollowOptions{Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, GiveUpAfter: 10 * time.Second,
		OnReconnect: func(error, time.Duration) { reconnects.Add(1) }})
	require.NoError(t, err)
	require.Equal(t, "succeeded", end.Status)
	require.Equal(t, []string{"before", "after"}, lines)
	require.GreaterOrEqual(t, reconnects.Load(), int32(down), "each reconnection is reported")

	t.Run("GivesUp", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}))
		defer srv.Close()
		_, err := hubclient.New(srv.URL, "k").FollowRunLogsWith(context.Background(), "r1", 0, func(*hubapi.RunLogLine) error { return nil },
			&hubclient.FollowOptions{Backoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, GiveUpAfter: 200 * time.Millisecond})
		require.ErrorContains(t, err, "no answer from the hub for 200ms")
	})

	t.Run("ClientErrorsEndAtOnce", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			n.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"status":"fail","message":"not found","code":"not_found"}`)
		}))
		defer srv.Close()
		_, err := hubclient.New(srv.URL, "k").FollowRunLogs(context.Background(), "r1", 0, func(*hubapi.RunLogLine) error { return nil })
		require.Error(t, err)
		require.Equal(t, int32(1), n.Load())
	})
}
