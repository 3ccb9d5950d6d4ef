package plugin_test

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/internal/waittest"
	"github.com/exporthub/exporthub/plugin/internal/scenario"
	"github.com/exporthub/exporthub/plugin/plugintest"
)

// TestScenarios runs the SDK's scenario suite against plugintest.Hub;
// plugin/e2e runs the same suite against the real hub.
func TestScenarios(t *testing.T) {
	t.Parallel()
	scenario.Run(t, func(t *testing.T) scenario.Hub {
		hub := plugintest.NewHub(t)
		export := filepath.Join(t.TempDir(), "sample.ndjson")
		require.NoError(t, os.WriteFile(export, scenario.Sample, 0o600))
		hub.SetExportFile(t, export)
		return &fakeHub{Hub: hub, runs: map[string]*fakeRun{}}
	})
}

// fakeHub adapts plugintest.Hub to the suite. The stand-in sees only the
// plugin's side of a run, so the adapter keeps what a hub decides itself:
// a run it cancelled ends as cancelled, one answered with an error after
// its timeout as timed out.
type fakeHub struct {
	*plugintest.Hub
	timeout time.Duration
	rest    string // base URL of the REST plugin

	mu   sync.Mutex
	runs map[string]*fakeRun
}

type fakeRun struct {
	rest      *plugintest.RESTRun
	deadline  time.Time
	cancelled bool
}

func (h *fakeHub) NewPlugin(t *testing.T, p scenario.PluginParams) *scenario.Plugin {
	h.timeout = p.RunTimeout
	out := &scenario.Plugin{ID: h.ID, Secret: h.Secret}
	if p.REST {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		out.Listener, h.rest = ln, "http://"+ln.Addr().String()
	}
	return out
}

func (h *fakeHub) WaitConnected(t *testing.T, p *scenario.Plugin, n int) {
	t.Helper()
	if p.Listener == nil {
		h.Hub.WaitConnected(t, n)
		return
	}
	waittest.For(t, "the REST plugin's heartbeat", func() bool {
		status, _ := h.HeartbeatREST(t, h.rest, h.Secret)
		return status == http.StatusOK
	})
}

func (h *fakeHub) StartRun(t *testing.T, p *scenario.Plugin, r scenario.RunParams) string {
	t.Helper()
	req := plugintest.RunRequest{ConfigJSON: r.ConfigJSON, NumTasks: scenario.SampleAssets, TimeoutSeconds: h.timeout.Seconds()}
	run := &fakeRun{}
	if h.timeout > 0 {
		run.deadline = time.Now().Add(h.timeout)
	}
	if p.Listener != nil {
		run.rest = h.PostRun(t, h.rest, req)
		req.Session = run.rest.Session
	} else {
		req.Session = h.Dispatch(t, req)
	}
	h.mu.Lock()
	h.runs[req.Session] = run
	h.mu.Unlock()
	return req.Session
}

func (h *fakeHub) Cancel(t *testing.T, p *scenario.Plugin, session string) {
	t.Helper()
	h.mu.Lock()
	h.runs[session].cancelled = true
	h.mu.Unlock()
	if p.Listener != nil {
		require.Equal(t, http.StatusOK, h.CancelREST(t, h.rest, session))
		return
	}
	h.Hub.Cancel(t, session)
}

func (h *fakeHub) WaitEnd(t *testing.T, session string) *scenario.Outcome {
	t.Helper()
	res := h.WaitResult(t, session)
	h.mu.Lock()
	run := h.runs[session]
	h.mu.Unlock()
	if run.rest != nil {
		require.Equal(t, http.StatusOK, run.rest.Wait(t), "the REST plugin answers the run's POST when it is over")
	}
	out := &scenario.Outcome{Status: scenario.StatusFailed}
	switch {
	case res.Export:
		out.Status = scenario.StatusSucceeded
		out.File = h.Download(t, res)
	case run.cancelled:
		out.Status = scenario.StatusCancelled
	case !run.deadline.IsZero() && time.Now().After(run.deadline):
		out.Status = scenario.StatusTimedOut
	}
	for _, l := range h.Logs(session) {
		out.Logs = append(out.Logs, scenario.Log{Level: l.Level, Msg: l.Msg, Extra: l.Extra})
	}
	return out
}

func (h *fakeHub) Stop(*testing.T) { h.Hub.Stop() }

func (h *fakeHub) Start(t *testing.T) { h.Hub.Start(t) }
