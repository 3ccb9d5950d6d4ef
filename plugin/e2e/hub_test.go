package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/waittest"
	"github.com/exporthub/exporthub/plugin"
	"github.com/exporthub/exporthub/plugin/internal/scenario"
)

// TestScenarios runs the SDK's scenario suite against the real hub; package
// plugin runs the same suite against plugintest.Hub.
func TestScenarios(t *testing.T) {
	t.Parallel()
	scenario.Run(t, func(t *testing.T) scenario.Hub { return startRealHub(t) })
}

// TestHub_StageAndBatchFilters checks what only the real hub does: the
// batch filter of a run reaches the plugin and narrows its export.
func TestHub_StageAndBatchFilters(t *testing.T) {
	t.Parallel()
	h := startRealHub(t)
	p := h.NewPlugin(t, scenario.PluginParams{})
	got := make(chan [2]any, 1)
	scenario.StartPlugin(t, h, p, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
		got <- [2]any{req.Stage, req.Batches}
		return scenario.ListHandler(ctx, req)
	})
	h.WaitConnected(t, p, 1)
	run := h.waitEnd(t, h.startRun(t, p.ID, map[string]any{"batches": []string{"night-shots"}}))
	require.Equal(t, string(store.RunSucceeded), run.Status, "message: %s", run.Message)
	require.Equal(t, map[string]string{"list.txt": "street-001.jpg 6\n"}, scenario.Entries(t, h.download(t, run.ExportID)),
		"the export holds only the batch's assets")
	filters := <-got
	require.Equal(t, "", filters[0])
	require.Len(t, filters[1], 1, "the request carries the batch filter")
}

// realHub is a real hub (SQLite in a temporary directory) with a project
// holding scenario.Sample; it implements scenario.Hub.
type realHub struct {
	url, key, project string

	cfg    hub.Config
	addr   string
	stop   func()
	restLn net.Listener // the one REST plugin's listener, allowed by cfg
}

var _ scenario.Hub = (*realHub)(nil)

// startRealHub starts a hub on a free loopback port, allowing REST plugins
// on one more free port.
func startRealHub(t *testing.T) *realHub {
	t.Helper()
	key, _, _ := auth.NewKey(auth.KeyPrefix)
	restLn, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h := &realHub{key: key, restLn: restLn}
	h.cfg = hub.Config{DataDir: t.TempDir(), BootstrapKey: key, Logger: hubtest.NewLogger(t)}
	h.cfg.Runs.AnonymousTimeout = 5 * time.Second
	h.cfg.Runs.RESTPollInterval = 100 * time.Millisecond
	h.cfg.Runs.LogFlushInterval = 20 * time.Millisecond
	h.cfg.Runs.RESTAllowedURLs = []string{"http://127.0.0.1:" + strconv.Itoa(restLn.Addr().(*net.TCPAddr).Port)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h.addr = ln.Addr().String()
	h.url = "http://" + h.addr
	h.serve(t, ln)

	var p hubapi.ProjectResponse
	h.do(t, http.MethodPost, "/api/projects", map[string]any{"name": "sdk e2e"}, http.StatusCreated, &p)
	var imp hubapi.ImportResponse
	h.do(t, http.MethodPost, "/api/projects/"+p.ID+"/import", scenario.Sample, http.StatusOK, &imp)
	require.Equal(t, scenario.SampleAssets, imp.Imported)
	h.project = p.ID
	return h
}

// serve serves the hub on ln until Stop (a hard stop, like a crash) or
// the end of the test.
func (h *realHub) serve(t *testing.T, ln net.Listener) {
	t.Helper()
	cfg := h.cfg
	cfg.Listen, cfg.PublicURL = h.addr, h.url
	s, err := hub.New(context.Background(), &cfg)
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }() // returns ErrServerClosed at stop
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			_ = srv.Close()
			require.NoError(t, s.Close())
		})
	}
	t.Cleanup(h.stop)
}

func (h *realHub) do(t *testing.T, method, path string, body any, want int, out any) {
	t.Helper()
	(&hubtest.Hub{URL: h.url}).JSON(t, method, path, h.key, body, want, out)
}

func (h *realHub) URL() string { return h.url }

func (h *realHub) NewPlugin(t *testing.T, p scenario.PluginParams) *scenario.Plugin {
	t.Helper()
	req := map[string]any{"name": "sdk e2e " + store.NewID()[:6]}
	if p.RunTimeout > 0 {
		req["runTimeout"] = p.RunTimeout.String()
	}
	var ln net.Listener
	if p.REST {
		require.NotNil(t, h.restLn, "the test hub allows one REST plugin")
		ln, h.restLn = h.restLn, nil
		req["connector"], req["baseUrl"] = "rest", "http://"+ln.Addr().String()
	}
	var created hubapi.PluginSecretResponse
	h.do(t, http.MethodPost, "/api/plugins", req, http.StatusCreated, &created)
	h.do(t, http.MethodPost, "/api/projects/"+h.project+"/plugins/"+created.ID, nil, http.StatusOK, nil)
	return &scenario.Plugin{ID: created.ID, Secret: created.Secret, Listener: ln}
}

func (h *realHub) WaitConnected(t *testing.T, p *scenario.Plugin, n int) {
	t.Helper()
	waittest.For(t, strconv.Itoa(n)+" instances of "+p.ID, func() bool {
		var got hubapi.PluginResponse
		h.do(t, http.MethodGet, "/api/plugins/"+p.ID, nil, http.StatusOK, &got)
		return len(got.Instances) == n
	})
}

func (h *realHub) StartRun(t *testing.T, p *scenario.Plugin, r scenario.RunParams) string {
	t.Helper()
	body := map[string]any{}
	if r.ConfigJSON != "" {
		body["configJSON"] = r.ConfigJSON
	}
	return h.startRun(t, p.ID, body)
}

func (h *realHub) startRun(t *testing.T, pluginID string, body map[string]any) string {
	t.Helper()
	var r hubapi.RunResponse
	h.do(t, http.MethodPost, "/api/projects/"+h.project+"/plugins/"+pluginID+"/runs", body, http.StatusCreated, &r)
	return r.ID
}

func (h *realHub) Cancel(t *testing.T, _ *scenario.Plugin, run string) {
	t.Helper()
	h.do(t, http.MethodPost, "/api/runs/"+run+"/cancel", nil, http.StatusOK, nil)
}

func (h *realHub) waitEnd(t *testing.T, id string) *hubapi.RunResponse {
	t.Helper()
	var r hubapi.RunResponse
	waittest.For(t, "run "+id+" to end", func() bool {
		h.do(t, http.MethodGet, "/api/runs/"+id, nil, http.StatusOK, &r)
		return store.RunStatus(r.Status).Final()
	})
	return &r
}

func (h *realHub) WaitEnd(t *testing.T, id string) *scenario.Outcome {
	t.Helper()
	r := h.waitEnd(t, id)
	out := &scenario.Outcome{Status: scenario.Status(r.Status), Message: r.Message}
	if r.ExportID != "" {
		out.File = h.download(t, r.ExportID)
	}
	var logs hubapi.RunLogsResponse
	h.do(t, http.MethodGet, "/api/runs/"+id+"/logs", nil, http.StatusOK, &logs)
	for _, l := range logs.Logs {
		line := scenario.Log{Level: l.Level, Msg: l.Msg}
		if len(l.Extra) > 0 {
			require.NoError(t, json.Unmarshal(l.Extra, &line.Extra))
		}
		out.Logs = append(out.Logs, line)
	}
	return out
}

// download returns the export's file.
func (h *realHub) download(t *testing.T, exportID string) []byte {
	t.Helper()
	resp := (&hubtest.Hub{URL: h.url}).Do(t, http.MethodGet, "/api/exports/"+exportID+"/download", h.key, nil)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "download: %s", data)
	return data
}

// Stop stops the hub hard; the database stays for Start.
func (h *realHub) Stop(*testing.T) { h.stop() }

// Start serves a new hub on the same address and database.
func (h *realHub) Start(t *testing.T) {
	t.Helper()
	var ln net.Listener
	waittest.For(t, "the hub's address to be free", func() bool {
		var err error
		ln, err = net.Listen("tcp", h.addr)
		return err == nil
	})
	h.serve(t, ln)
}
