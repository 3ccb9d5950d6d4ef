package e2e_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
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
	"github.com/exporthub/exporthub/plugin/plugintest"
)

// sample is the AAF file imported into every test project: 3 images.
const sample = "testdata/image_small.ndjson"

// waitTimeout bounds every wait of these tests.
const waitTimeout = 60 * time.Second

// listHandler writes "<externalId> <number of tools>" per asset into
// list.txt and logs the count with an extra attribute.
func listHandler(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
	z, err := req.NewZip(req.ProjectID + ".zip")
	if err != nil {
		return nil, err
	}
	defer z.Close()
	w, err := z.Create("list.txt")
	if err != nil {
		return nil, err
	}
	n := 0
	for a, err := range req.Export.All() {
		if err != nil {
			return nil, err
		}
		tools := 0
		if a.Task != nil {
			tools = len(a.Task.Tools)
		}
		fmt.Fprintf(w, "%s %d\n", a.ExternalID, tools)
		n++
	}
	req.Logger.Info("listed", "assets", n, "num_tasks", req.NumTasks)
	return z.Response()
}

// testHub is a real hub with a project holding the sample.
type testHub struct {
	url, key, project string
}

func (h *testHub) do(t *testing.T, method, path string, body any, want int, out any) {
	t.Helper()
	(&hubtest.Hub{URL: h.url}).JSON(t, method, path, h.key, body, want, out)
}

// setupHub prepares a hub served by s at url: a project with the sample.
func setupHub(t *testing.T, url, key string) *testHub {
	t.Helper()
	h := &testHub{url: url, key: key}
	var p hubapi.ProjectResponse
	h.do(t, http.MethodPost, "/api/projects", map[string]any{"name": "sdk e2e"}, http.StatusCreated, &p)
	body, err := os.ReadFile(sample)
	require.NoError(t, err)
	var imp hubapi.ImportResponse
	h.do(t, http.MethodPost, "/api/projects/"+p.ID+"/import", body, http.StatusOK, &imp)
	require.Equal(t, 3, imp.Imported)
	h.project = p.ID
	return h
}

// newPlugin registers a plugin, enables it on the project and returns its
// id and secret.
func (h *testHub) newPlugin(t *testing.T, req map[string]any) (id, secret string) {
	t.Helper()
	req["name"] = "sdk e2e " + store.NewID()[:6]
	var p hubapi.PluginSecretResponse
	h.do(t, http.MethodPost, "/api/plugins", req, http.StatusCreated, &p)
	h.do(t, http.MethodPost, "/api/projects/"+h.project+"/plugins/"+p.ID, nil, http.StatusOK, nil)
	return p.ID, p.Secret
}

func (h *testHub) instances(t *testing.T, pluginID string) int {
	t.Helper()
	var p hubapi.PluginResponse
	h.do(t, http.MethodGet, "/api/plugins/"+pluginID, nil, http.StatusOK, &p)
	return len(p.Instances)
}

func (h *testHub) waitInstances(t *testing.T, pluginID string, n int) {
	t.Helper()
	waittest.For(t, fmt.Sprintf("%d instances of %s", n, pluginID), func() bool { return h.instances(t, pluginID) == n })
}

func (h *testHub) startRun(t *testing.T, pluginID string, body map[string]any) string {
	t.Helper()
	var r hubapi.RunResponse
	h.do(t, http.MethodPost, "/api/projects/"+h.project+"/plugins/"+pluginID+"/runs", body, http.StatusCreated, &r)
	return r.ID
}

func (h *testHub) run(t *testing.T, id string) *hubapi.RunResponse {
	t.Helper()
	var r hubapi.RunResponse
	h.do(t, http.MethodGet, "/api/runs/"+id, nil, http.StatusOK, &r)
	return &r
}

func (h *testHub) waitEnd(t *testing.T, id string) *hubapi.RunResponse {
	t.Helper()
	var r *hubapi.RunResponse
	waittest.For(t, "run "+id+" to end", func() bool {
		r = h.run(t, id)
		return store.RunStatus(r.Status).Final()
	})
	return r
}

// logLine is a run log line with its extra keys decoded.
type logLine struct {
	Level, Msg string
	Extra      map[string]any
}

func (h *testHub) logs(t *testing.T, id string) []logLine {
	t.Helper()
	var out hubapi.RunLogsResponse
	h.do(t, http.MethodGet, "/api/runs/"+id+"/logs", nil, http.StatusOK, &out)
	lines := make([]logLine, 0, len(out.Logs))
	for _, l := range out.Logs {
		line := logLine{Level: l.Level, Msg: l.Msg}
		if len(l.Extra) > 0 {
			require.NoError(t, json.Unmarshal(l.Extra, &line.Extra))
		}
		lines = append(lines, line)
	}
	return lines
}

// download returns the entries of the run's export zip.
func (h *testHub) download(t *testing.T, exportID string) map[string]string {
	t.Helper()
	resp := (&hubtest.Hub{URL: h.url}).Do(t, http.MethodGet, "/api/exports/"+exportID+"/download", h.key, nil)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "download: %s", data)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		out[f.Name] = string(b)
	}
	return out
}

// hubConfig returns the config of a test hub: SQLite in dir, fast run
// bookkeeping, REST plugins allowed on restPorts.
func hubConfig(t *testing.T, dir, key string, restPorts ...int) hub.Config {
	cfg := hub.Config{DataDir: dir, BootstrapKey: key, Logger: hubtest.NewLogger(t)}
	cfg.Runs.AnonymousTimeout = 5 * time.Second
	cfg.Runs.RESTPollInterval = 100 * time.Millisecond
	cfg.Runs.LogFlushInterval = 20 * time.Millisecond
	for _, p := range restPorts {
		cfg.Runs.RESTAllowedURLs = append(cfg.Runs.RESTAllowedURLs, "http://127.0.0.1:"+strconv.Itoa(p))
	}
	return cfg
}

// serveHub serves a hub built from cfg on ln until stop (a hard stop, like
// a crash) or the end of the test.
func serveHub(t *testing.T, cfg hub.Config, ln net.Listener) (s *hub.Server, stop func()) {
	t.Helper()
	url := "http://" + ln.Addr().String()
	cfg.Listen, cfg.PublicURL = ln.Addr().String(), url
	s, err := hub.New(context.Background(), &cfg)
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }() // returns ErrServerClosed at stop
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = srv.Close()
			require.NoError(t, s.Close())
		})
	}
	t.Cleanup(stop)
	return s, stop
}

// startHub starts a hub on a free loopback port.
func startHub(t *testing.T, restPorts ...int) *testHub {
	t.Helper()
	key, _, _ := auth.NewKey(auth.KeyPrefix)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	serveHub(t, hubConfig(t, t.TempDir(), key, restPorts...), ln)
	return setupHub(t, "http://"+ln.Addr().String(), key)
}

// startPlugin runs an SDK plugin until the test ends.
func startPlugin(t *testing.T, host, id, secret string, h plugin.HandlerFunc, opts ...plugin.Option) {
	t.Helper()
	e, err := plugin.New(h, append([]plugin.Option{
		plugin.WithHost(host),
		plugin.WithCredentials(id, secret),
		plugin.WithLogger(plugintest.Logger(t)),
		plugin.WithReconnect(50*time.Millisecond, 500*time.Millisecond, 0),
		plugin.WithShutdownTimeout(5 * time.Second),
	}, opts...)...)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(waitTimeout):
			t.Error("the plugin did not stop")
		}
	})
}

func freePort(t *testing.T) (int, net.Listener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln.Addr().(*net.TCPAddr).Port, ln
}

const wantList = "street-001.jpg 6\nstreet-002.jpg 0\nstreet-003.jpg 0\n"

func TestHub_WebSocket(t *testing.T) {
	t.Parallel()

	t.Run("ExportSucceeds", func(t *testing.T) {
		t.Parallel()
		h := startHub(t)
		id, secret := h.newPlugin(t, map[string]any{})
		startPlugin(t, h.url, id, secret, listHandler)
		h.waitInstances(t, id, 1)

		run := h.waitEnd(t, h.startRun(t, id, map[string]any{"configJSON": `{"x": 1}`}))
		require.Equal(t, string(store.RunSucceeded), run.Status, "message: %s", run.Message)
		require.Equal(t, map[string]string{"list.txt": wantList}, h.download(t, run.ExportID))

		var found bool
		for _, l := range h.logs(t, run.ID) {
			if l.Msg == "listed" {
				found = true
				require.Equal(t, "INFO", l.Level)
				require.Equal(t, float64(3), l.Extra["assets"])
				require.Equal(t, float64(3), l.Extra["num_tasks"])
			}
		}
		require.True(t, found, "the run's log must hold the plugin's record")
	})

	t.Run("StageAndBatchFilters", func(t *testing.T) {
		t.Parallel()
		h := startHub(t)
		id, secret := h.newPlugin(t, map[string]any{})
		got := make(chan [2]any, 1)
		startPlugin(t, h.url, id, secret, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			got <- [2]any{req.Stage, req.Batches}
			return listHandler(ctx, req)
		})
		h.waitInstances(t, id, 1)
		run := h.waitEnd(t, h.startRun(t, id, map[string]any{"batches": []string{"night-shots"}}))
		require.Equal(t, string(store.RunSucceeded), run.Status, "message: %s", run.Message)
		require.Equal(t, map[string]string{"list.txt": "street-001.jpg 6\n"}, h.download(t, run.ExportID),
			"the export holds only the batch's assets")
		filters := <-got
		require.Equal(t, "", filters[0])
		require.Len(t, filters[1], 1, "the request carries the batch filter")
	})

	t.Run("CallbackErrorFailsTheRunAndKeepsServing", func(t *testing.T) {
		t.Parallel()
		h := startHub(t)
		id, secret := h.newPlugin(t, map[string]any{})
		var calls atomic.Int32
		startPlugin(t, h.url, id, secret, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			if calls.Add(1) == 1 {
				panic("first run explodes")
			}
			return listHandler(ctx, req)
		})
		h.waitInstances(t, id, 1)
		failed := h.waitEnd(t, h.startRun(t, id, nil))
		require.Equal(t, string(store.RunFailed), failed.Status)
		var logged bool
		for _, l := range h.logs(t, failed.ID) {
			if l.Msg == "run failed" {
				logged = true
				require.Equal(t, "ERROR", l.Level)
				require.Contains(t, l.Extra["error"], "first run explodes")
				require.Contains(t, l.Extra["stack"], "hub_test.go")
			}
		}
		require.True(t, logged)

		ok := h.waitEnd(t, h.startRun(t, id, nil))
		require.Equal(t, string(store.RunSucceeded), ok.Status, "message: %s", ok.Message)
	})

	t.Run("CancelReachesTheCallback", func(t *testing.T) {
		t.Parallel()
		h := startHub(t)
		id, secret := h.newPlugin(t, map[string]any{})
		started := make(chan struct{}, 1)
		cause := make(chan error, 1)
		startPlugin(t, h.url, id, secret, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			started <- struct{}{}
			<-ctx.Done()
			cause <- context.Cause(ctx)
			return nil, context.Cause(ctx)
		})
		h.waitInstances(t, id, 1)
		runID := h.startRun(t, id, nil)
		<-started
		h.do(t, http.MethodPost, "/api/runs/"+runID+"/cancel", nil, http.StatusOK, nil)
		select {
		case err := <-cause:
			require.EqualError(t, err, "run cancelled by the hub")
		case <-time.After(waitTimeout):
			t.Fatal("the callback's ctx was not cancelled")
		}
		require.Equal(t, string(store.RunCancelled), h.waitEnd(t, runID).Status)
	})

	t.Run("TimeoutReachesTheCallback", func(t *testing.T) {
		t.Parallel()
		h := startHub(t)
		id, secret := h.newPlugin(t, map[string]any{"runTimeout": "1s"})
		cause := make(chan error, 1)
		startPlugin(t, h.url, id, secret, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			<-ctx.Done()
			cause <- context.Cause(ctx)
			return nil, context.Cause(ctx)
		})
		h.waitInstances(t, id, 1)
		runID := h.startRun(t, id, nil)
		select {
		case err := <-cause:
			require.Error(t, err)
		case <-time.After(waitTimeout):
			t.Fatal("the callback's ctx was not cancelled when the run timed out")
		}
		require.Equal(t, string(store.RunTimedOut), h.waitEnd(t, runID).Status)
	})

	t.Run("Concurrency", func(t *testing.T) {
		t.Parallel()
		h := startHub(t)
		id, secret := h.newPlugin(t, map[string]any{})
		var running, peak atomic.Int32
		release := make(chan struct{})
		startPlugin(t, h.url, id, secret, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			n := running.Add(1)
			defer running.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			select {
			case <-release:
			case <-ctx.Done():
				return nil, context.Cause(ctx)
			}
			return listHandler(ctx, req)
		}, plugin.WithConcurrency(3))
		h.waitInstances(t, id, 1)
		runs := []string{h.startRun(t, id, nil), h.startRun(t, id, nil), h.startRun(t, id, nil)}
		waittest.For(t, "3 runs at once in one plugin process", func() bool { return running.Load() == 3 })
		close(release)
		for _, r := range runs {
			end := h.waitEnd(t, r)
			require.Equal(t, string(store.RunSucceeded), end.Status, "message: %s", end.Message)
			require.Equal(t, map[string]string{"list.txt": wantList}, h.download(t, end.ExportID))
		}
		require.Equal(t, int32(3), peak.Load())
	})
}

func TestHub_REST(t *testing.T) {
	t.Parallel()
	port, ln := freePort(t)
	h := startHub(t, port)
	id, secret := h.newPlugin(t, map[string]any{"connector": "rest", "baseUrl": "http://127.0.0.1:" + strconv.Itoa(port)})
	var calls atomic.Int32
	startPlugin(t, h.url, id, secret, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
		if calls.Add(1) == 1 {
			return nil, fmt.Errorf("config rejected")
		}
		return listHandler(ctx, req)
	}, plugin.WithConnector(plugin.ConnectorREST), plugin.WithListener(ln))
	h.waitInstances(t, id, 1)

	failed := h.waitEnd(t, h.startRun(t, id, nil))
	require.Equal(t, string(store.RunFailed), failed.Status)

	run := h.waitEnd(t, h.startRun(t, id, nil))
	require.Equal(t, string(store.RunSucceeded), run.Status, "message: %s", run.Message)
	require.Equal(t, map[string]string{"list.txt": wantList}, h.download(t, run.ExportID))
	var found bool
	for _, l := range h.logs(t, run.ID) {
		found = found || (l.Msg == "listed" && l.Extra["assets"] == float64(3))
	}
	require.True(t, found, "REST logs reach the run through /v2/pluginLog")
}

// TestHub_Restart restarts the hub (same address, same database) while the
// plugin waits: the plugin reconnects on its own and serves the next run.
func TestHub_Restart(t *testing.T) {
	t.Parallel()
	key, _, _ := auth.NewKey(auth.KeyPrefix)
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	_, crash := serveHub(t, hubConfig(t, dir, key), ln)
	h := setupHub(t, "http://"+addr, key)
	id, secret := h.newPlugin(t, map[string]any{})

	disconnected := make(chan error, 4)
	reconnected := make(chan int, 4)
	startPlugin(t, h.url, id, secret, listHandler,
		plugin.WithOnDisconnect(func(err error) { disconnected <- err }),
		plugin.WithOnReconnect(func(n int) { reconnected <- n }),
	)
	h.waitInstances(t, id, 1)

	crash()
	select {
	case <-disconnected:
	case <-time.After(waitTimeout):
		t.Fatal("OnDisconnect was not called")
	}
	var ln2 net.Listener
	waittest.For(t, "the hub's address to be free", func() bool {
		ln2, err = net.Listen("tcp", addr)
		return err == nil
	})
	serveHub(t, hubConfig(t, dir, key), ln2)
	h.waitInstances(t, id, 1)
	select {
	case n := <-reconnected:
		require.GreaterOrEqual(t, n, 1)
	case <-time.After(waitTimeout):
		t.Fatal("OnReconnect was not called")
	}

	run := h.waitEnd(t, h.startRun(t, id, nil))
	require.Equal(t, string(store.RunSucceeded), run.Status, "message: %s", run.Message)
	require.Equal(t, map[string]string{"list.txt": wantList}, h.download(t, run.ExportID))
}
