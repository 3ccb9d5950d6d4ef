package hub_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/runs/runstest"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/waittest"
	"github.com/exporthub/exporthub/web"
)

// received is a run request as an instance of a retry test got it.
type received struct {
	instance string
	req      gateway.RunRequest
}

// retryPlugin is a plugin whose instances log "started on NAME", block
// until released (or killed), then log "finished on NAME" and answer
// with the tiny zip; requests receives what each instance got.
type retryPlugin struct {
	rb        *runsBundle
	plugin    *hubapi.PluginSecretResponse
	instances map[string]*runstest.Plugin
	requests  chan received
	release   chan struct{}
}

func newRetryPlugin(t *testing.T, rb *runsBundle, names ...string) *retryPlugin {
	t.Helper()
	rp := &retryPlugin{
		rb: rb, plugin: rb.plugin(t, nil), instances: map[string]*runstest.Plugin{},
		requests: make(chan received, 10), release: make(chan struct{}),
	}
	t.Cleanup(func() {
		select {
		case <-rp.release:
		default:
			close(rp.release)
		}
	})
	for _, name := range names {
		rp.connect(t, name)
	}
	return rp
}

// connect connects an instance called name.
func (rp *retryPlugin) connect(t *testing.T, name string) {
	t.Helper()
	rp.instances[name] = rp.rb.connect(t, rp.plugin, runstest.Options{
		SkipExport: true,
		OnRequest:  func(req *gateway.RunRequest, _ time.Time) { rp.requests <- received{instance: name, req: *req} },
		Handler: func(ctx context.Context, r *runstest.Run) (string, []byte, error) {
			r.Log("INFO", "started on "+name, nil)
			select {
			case <-rp.release:
			case <-ctx.Done():
				return "", nil, ctx.Err()
			}
			r.Log("INFO", "finished on "+name, nil)
			return runstest.TinyZip(ctx, r)
		},
	})
}

// next returns the next run request an instance received.
func (rp *retryPlugin) next(t *testing.T) received {
	t.Helper()
	select {
	case got := <-rp.requests:
		return got
	case <-time.After(20 * time.Second):
		t.Fatal("no instance received a run request within 20s")
		return received{}
	}
}

// waitLine waits until the run's log holds msg.
func (rb *runsBundle) waitLine(t *testing.T, runID, msg string) {
	t.Helper()
	waittest.For(t, "log line "+msg, func() bool {
		for _, l := range rb.logs(t, runID) {
			if l.Msg == msg {
				return true
			}
		}
		return false
	})
}

// logLines returns a run's log lines as "LEVEL msg".
func (rb *runsBundle) logLines(t *testing.T, runID string) []string {
	t.Helper()
	var out []string
	for _, l := range rb.logs(t, runID) {
		out = append(out, l.Level+" "+l.Msg)
	}
	return out
}

func TestRunAPI_Retries(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		rb := setupRuns(t, b, nil)

		t.Run("RetriedOnAnotherInstance", func(t *testing.T) {
			t.Parallel()
			rp := newRetryPlugin(t, rb, "A", "B")
			r := rb.start(t, rp.plugin.ID, map[string]any{"retries": 1})
			require.Equal(t, 1, r.Retries)
			require.Equal(t, 1, r.Attempt)
			first := rp.next(t)
			require.Equal(t, r.ID, first.req.Session)
			rb.waitLine(t, r.ID, "started on "+first.instance)
			lostInstance := rb.run(t, r.ID).InstanceID

			rp.instances[first.instance].Kill()
			second := rp.next(t)
			require.NotEqual(t, first.instance, second.instance, "the retry goes to the other instance")
			require.Equal(t, r.ID, second.req.Session, "the same run, the same session")
			require.Equal(t, first.req.ConfigJSON, second.req.ConfigJSON)
			require.NotEqual(t, first.req.APIKey, second.req.APIKey, "a new run token")
			resp := rb.h.Do(t, http.MethodGet, "/v2/project/"+rb.project.ID, first.req.APIKey, nil)
			resp.Body.Close()
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the lost attempt's token is revoked")
			rb.waitLine(t, r.ID, "started on "+second.instance)
			mid := rb.run(t, r.ID)
			require.Equal(t, 2, mid.Attempt)
			require.Equal(t, string(store.RunRunning), mid.Status)
			require.NotEqual(t, lostInstance, mid.InstanceID)
			require.True(t, mid.Deadline.After(*r.Deadline), "a new deadline: got %s, first %s", mid.Deadline, r.Deadline)

			// The killed process comes back (a new socket) and answers for
			// the session it lost: the run belongs to the other instance
			// now, so its log line and response are ignored.
			rp.connect(t, "A again")
			late := rp.instances["A again"]
			require.NoError(t, late.Emit(gateway.EventLog, map[string]any{"level": "ERROR", "session": r.ID, "msg": "late line"}))
			require.NoError(t, late.Emit(gateway.EventResponse, map[string]any{"error": true, "session": r.ID}))
			// A run it does answer, sent after, proves those events were
			// handled (events of a socket are handled in order): it goes
			// to the least busy instance, the one that came back.
			marker := rb.start(t, rp.plugin.ID, nil)
			require.Equal(t, "A again", rp.next(t).instance)
			got := rb.run(t, r.ID)
			require.Equal(t, string(store.RunRunning), got.Status, "got %s (%s), want the run untouched", got.Status, got.Message)

			close(rp.release)
			end := rb.waitEnd(t, r.ID)
			require.Equal(t, string(store.RunSucceeded), end.Status, end.Message)
			require.Equal(t, 2, end.Attempt)
			require.Equal(t, 1, end.Retries)
			require.NotEmpty(t, end.ExportID)
			require.Equal(t, []string{
				"INFO started on " + first.instance,
				"WARNING plugin instance lost; retrying (attempt 2 of 2)",
				"INFO started on " + second.instance,
				"INFO finished on " + second.instance,
			}, rb.logLines(t, r.ID))
			// The hub's own line says it is the hub's (the run dialog
			// does not show it as the plugin's last error); the
			// plugin's lines do not.
			logs := rb.logs(t, r.ID)
			require.JSONEq(t, runs.NoteExtra, string(logs[1].Extra))
			require.Empty(t, logs[0].Extra)
			require.Equal(t, string(store.RunSucceeded), rb.waitEnd(t, marker.ID).Status)
		})

		t.Run("NoRetriesLostAsBefore", func(t *testing.T) {
			t.Parallel()
			rp := newRetryPlugin(t, rb, "A", "B")
			r := rb.start(t, rp.plugin.ID, nil)
			require.Equal(t, 0, r.Retries)
			first := rp.next(t)
			rb.waitLine(t, r.ID, "started on "+first.instance)
			rp.instances[first.instance].Kill()
			end := rb.waitEnd(t, r.ID)
			require.Equal(t, string(store.RunLost), end.Status)
			require.Equal(t, gateway.MsgInstanceDisconnected, end.Message)
			require.Equal(t, 1, end.Attempt)
			require.Equal(t, []string{"INFO started on " + first.instance}, rb.logLines(t, r.ID))
			select {
			case got := <-rp.requests:
				t.Fatalf("the run went to instance %s again, want no retry", got.instance)
			default:
			}
		})

		t.Run("NoOtherInstanceOnline", func(t *testing.T) {
			t.Parallel()
			rp := newRetryPlugin(t, rb, "A")
			r := rb.start(t, rp.plugin.ID, map[string]any{"retries": 1})
			rb.waitLine(t, r.ID, "started on A")
			rp.instances["A"].Kill()
			end := rb.waitEnd(t, r.ID)
			const msg = "plugin instance disconnected during the run; no plugin instance was online to retry it"
			require.Equal(t, string(store.RunLost), end.Status)
			require.Equal(t, msg, end.Message)
			require.Equal(t, 2, end.Attempt)
			require.Equal(t, []string{
				"INFO started on A",
				"WARNING plugin instance lost; retrying (attempt 2 of 2)",
				"ERROR " + msg,
			}, rb.logLines(t, r.ID))
			// The notification is stored just after the run's final status.
			var titles []string
			waittest.For(t, "the run's notification", func() bool {
				var notes hubapi.NotificationListResponse
				rb.h.JSON(t, http.MethodGet, "/api/notifications", rb.h.AdminKey, nil, http.StatusOK, &notes)
				titles = nil
				for _, n := range notes.Notifications {
					if n.RunID == r.ID {
						titles = append(titles, n.Title)
					}
				}
				return len(titles) > 0
			})
			require.Equal(t, []string{"Export failed: " + rp.plugin.Name + " — " + msg}, titles, "one notification, at the end")
		})

		t.Run("RetriesExhausted", func(t *testing.T) {
			t.Parallel()
			rp := newRetryPlugin(t, rb, "A", "B")
			r := rb.start(t, rp.plugin.ID, map[string]any{"retries": 1})
			first := rp.next(t)
			rb.waitLine(t, r.ID, "started on "+first.instance)
			rp.instances[first.instance].Kill()
			second := rp.next(t)
			rb.waitLine(t, r.ID, "started on "+second.instance)
			rp.instances[second.instance].Kill()
			end := rb.waitEnd(t, r.ID)
			require.Equal(t, string(store.RunLost), end.Status)
			require.Equal(t, "plugin instance disconnected during the run; retries exhausted after 2 attempts", end.Message)
			require.Equal(t, 2, end.Attempt)
		})
	})
}

func TestRunAPI_RetriesBound(t *testing.T) {
	t.Parallel()
	require.Equal(t, runs.MaxRetries, web.MaxRetries, "the web UI's run dialog offers the hub's bound")
}
