package scenario

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/internal/waittest"
	"github.com/exporthub/exporthub/plugin"
	"github.com/exporthub/exporthub/plugin/plugintest"
)

// WantList is what ListHandler writes for Sample.
const WantList = "street-001.jpg 6\nstreet-002.jpg 0\nstreet-003.jpg 0\n"

// waitTimeout bounds the waits on the plugin's side (callbacks, hooks).
const waitTimeout = waittest.Timeout

// largeSize is the size of the large export's entry: big enough that the
// SDK must stream it (several upload buffers), small enough for a slow
// machine under -race.
const largeSize = 8 << 20

// ListHandler writes "<externalId> <number of tools>" per asset into the
// entry list.txt of <project>.zip and logs the count with attributes.
func ListHandler(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
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

// StartPlugin runs an SDK plugin with h against hub until the test ends,
// with short reconnect delays, and returns a function that stops it and
// returns Run's error.
func StartPlugin(t *testing.T, hub Hub, p *Plugin, h plugin.HandlerFunc, opts ...plugin.Option) (stop func() error) {
	t.Helper()
	all := []plugin.Option{
		plugin.WithHost(hub.URL()),
		plugin.WithCredentials(p.ID, p.Secret),
		plugin.WithLogger(plugintest.Logger(t)),
		plugin.WithReconnect(50*time.Millisecond, 500*time.Millisecond, 0),
		plugin.WithShutdownTimeout(5 * time.Second),
	}
	if p.Listener != nil {
		all = append(all, plugin.WithConnector(plugin.ConnectorREST), plugin.WithListener(p.Listener))
	}
	e, err := plugin.New(h, append(all, opts...)...)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	var stopped atomic.Bool
	var result error
	stop = func() error {
		if stopped.Swap(true) {
			return result
		}
		cancel()
		select {
		case result = <-done:
		case <-time.After(waitTimeout):
			t.Error("the plugin did not stop")
		}
		return result
	}
	t.Cleanup(func() { require.NoError(t, stop()) })
	return stop
}

// Entries returns the entries of a zip export.
func Entries(t *testing.T, file []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, b := range plugintest.ZipEntries(t, file) {
		out[name] = string(b)
	}
	return out
}

// findLog returns the first line with msg.
func findLog(t *testing.T, out *Outcome, msg string) Log {
	t.Helper()
	for _, l := range out.Logs {
		if l.Msg == msg {
			return l
		}
	}
	t.Fatalf("got no log line %q, want one; lines: %+v", msg, out.Logs)
	return Log{}
}

// requireSucceeded checks that a run succeeded with the list of Sample.
func requireSucceeded(t *testing.T, out *Outcome) {
	t.Helper()
	require.Equal(t, StatusSucceeded, out.Status, "message: %s", out.Message)
	require.Equal(t, map[string]string{"list.txt": WantList}, Entries(t, out.File))
}

// Run runs every scenario against a hub from newHub, one hub per
// scenario, in parallel subtests.
func Run(t *testing.T, newHub func(t *testing.T) Hub) {
	t.Run("ExportSucceeds", func(t *testing.T) {
		t.Parallel()
		h := newHub(t)
		p := h.NewPlugin(t, PluginParams{})
		StartPlugin(t, h, p, ListHandler)
		h.WaitConnected(t, p, 1)

		out := h.WaitEnd(t, h.StartRun(t, p, RunParams{ConfigJSON: `{"x": 1}`}))
		requireSucceeded(t, out)
		l := findLog(t, out, "listed")
		require.Equal(t, "INFO", l.Level)
		require.Equal(t, float64(SampleAssets), l.Extra["assets"])
		require.Equal(t, float64(SampleAssets), l.Extra["num_tasks"], "the run request counts the project's assets")
	})

	t.Run("LogLevels", func(t *testing.T) {
		t.Parallel()
		h := newHub(t)
		p := h.NewPlugin(t, PluginParams{})
		StartPlugin(t, h, p, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			req.Logger.Debug("not sent: below the hub log level")
			req.Logger.Info("starting", "format", "list")
			req.Logger.With("component", "converter").WithGroup("asset").Warn("odd box",
				"index", 7, "took", 1500*time.Millisecond, "cause", errors.New("negative width"), slog.Group("box", "w", -3))
			req.Logger.Error("skipped an asset", "external_id", "street-002.jpg")
			return ListHandler(ctx, req)
		})
		h.WaitConnected(t, p, 1)

		out := h.WaitEnd(t, h.StartRun(t, p, RunParams{}))
		requireSucceeded(t, out)
		var got []Log // the handler's lines; the SDK and the hub add their own
		for _, l := range out.Logs {
			require.NotEqual(t, "DEBUG", l.Level, "got a debug line %q", l.Msg)
			if l.Msg == "starting" || l.Msg == "odd box" || l.Msg == "skipped an asset" {
				got = append(got, l)
			}
		}
		require.Equal(t, []Log{
			{Level: "INFO", Msg: "starting", Extra: map[string]any{"format": "list"}},
			{Level: "WARNING", Msg: "odd box", Extra: map[string]any{
				"component": "converter", "asset.index": float64(7), "asset.took": "1.5s",
				"asset.cause": "negative width", "asset.box.w": float64(-3),
			}},
			{Level: "ERROR", Msg: "skipped an asset", Extra: map[string]any{"external_id": "street-002.jpg"}},
		}, got, "the lines in order, with levels and attributes")
	})

	t.Run("CallbackErrorFailsTheRunAndKeepsServing", func(t *testing.T) {
		t.Parallel()
		h := newHub(t)
		p := h.NewPlugin(t, PluginParams{})
		var calls atomic.Int32
		StartPlugin(t, h, p, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			switch calls.Add(1) {
			case 1:
				return nil, errors.New("separator must be one character")
			case 2:
				panic("second run explodes")
			}
			return ListHandler(ctx, req)
		})
		h.WaitConnected(t, p, 1)

		failed := h.WaitEnd(t, h.StartRun(t, p, RunParams{}))
		require.Equal(t, StatusFailed, failed.Status)
		require.Nil(t, failed.File, "a failed run uploads nothing")
		l := findLog(t, failed, "run failed")
		require.Equal(t, "ERROR", l.Level)
		require.Contains(t, l.Extra["error"], "separator must be one character")

		panicked := h.WaitEnd(t, h.StartRun(t, p, RunParams{}))
		require.Equal(t, StatusFailed, panicked.Status)
		l = findLog(t, panicked, "run failed")
		require.Equal(t, "ERROR", l.Level)
		require.Contains(t, l.Extra["error"], "second run explodes")
		require.Contains(t, l.Extra["stack"], "scenario.go", "the log carries the panic's stack")

		requireSucceeded(t, h.WaitEnd(t, h.StartRun(t, p, RunParams{})))
	})

	for _, c := range []struct {
		name string
		rest bool
	}{{"CancelReachesTheCallback", false}, {"RESTCancelReachesTheCallback", true}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHub(t)
			p := h.NewPlugin(t, PluginParams{REST: c.rest})
			started := make(chan struct{}, 1)
			cause := make(chan error, 1)
			StartPlugin(t, h, p, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
				started <- struct{}{}
				<-ctx.Done()
				cause <- context.Cause(ctx)
				return nil, context.Cause(ctx)
			})
			h.WaitConnected(t, p, 1)
			run := h.StartRun(t, p, RunParams{})
			<-started
			h.Cancel(t, p, run)
			select {
			case err := <-cause:
				require.EqualError(t, err, "run cancelled by the hub")
			case <-time.After(waitTimeout):
				t.Fatal("the callback's ctx was not cancelled")
			}
			require.Equal(t, StatusCancelled, h.WaitEnd(t, run).Status)
		})
	}

	t.Run("TimeoutReachesTheCallback", func(t *testing.T) {
		t.Parallel()
		h := newHub(t)
		// Long enough for the run to reach the plugin on a busy machine.
		p := h.NewPlugin(t, PluginParams{RunTimeout: 5 * time.Second})
		started := make(chan struct{}, 1)
		cause := make(chan error, 1)
		StartPlugin(t, h, p, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			started <- struct{}{}
			<-ctx.Done()
			cause <- context.Cause(ctx)
			return nil, context.Cause(ctx)
		})
		h.WaitConnected(t, p, 1)
		run := h.StartRun(t, p, RunParams{})
		select {
		case <-started:
		case <-time.After(waitTimeout):
			t.Fatalf("the run never reached the plugin; it ended as %s", h.WaitEnd(t, run).Status)
		}
		select {
		case err := <-cause:
			require.Error(t, err)
		case <-time.After(waitTimeout):
			t.Fatal("the callback's ctx was not cancelled when the run timed out")
		}
		require.Equal(t, StatusTimedOut, h.WaitEnd(t, run).Status)
	})

	t.Run("Concurrency", func(t *testing.T) {
		t.Parallel()
		h := newHub(t)
		p := h.NewPlugin(t, PluginParams{})
		var running, peak atomic.Int32
		release := make(chan struct{})
		StartPlugin(t, h, p, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			n := running.Add(1)
			defer running.Add(-1)
			for q := peak.Load(); n > q && !peak.CompareAndSwap(q, n); q = peak.Load() {
			}
			select {
			case <-release:
			case <-ctx.Done():
				return nil, context.Cause(ctx)
			}
			return ListHandler(ctx, req)
		}, plugin.WithConcurrency(3))
		h.WaitConnected(t, p, 1)
		runs := []string{h.StartRun(t, p, RunParams{}), h.StartRun(t, p, RunParams{}), h.StartRun(t, p, RunParams{})}
		waittest.For(t, "3 runs at once in one plugin process", func() bool { return running.Load() == 3 })
		close(release)
		for _, r := range runs {
			requireSucceeded(t, h.WaitEnd(t, r))
		}
		require.Equal(t, int32(3), peak.Load(), "got %d runs at once, want the concurrency of 3", peak.Load())
	})

	t.Run("ReconnectAfterHubRestart", func(t *testing.T) {
		t.Parallel()
		h := newHub(t)
		p := h.NewPlugin(t, PluginParams{})
		disconnected := make(chan error, 4)
		reconnected := make(chan int, 4)
		StartPlugin(t, h, p, ListHandler,
			plugin.WithOnDisconnect(func(err error) { disconnected <- err }),
			plugin.WithOnReconnect(func(n int) { reconnected <- n }),
		)
		h.WaitConnected(t, p, 1)

		h.Stop(t)
		select {
		case err := <-disconnected:
			require.Error(t, err)
		case <-time.After(waitTimeout):
			t.Fatal("OnDisconnect was not called")
		}
		h.Start(t)
		h.WaitConnected(t, p, 1)
		select {
		case n := <-reconnected:
			require.GreaterOrEqual(t, n, 1)
		case <-time.After(waitTimeout):
			t.Fatal("OnReconnect was not called")
		}
		requireSucceeded(t, h.WaitEnd(t, h.StartRun(t, p, RunParams{})))
	})

	t.Run("BadSecretIsRejected", func(t *testing.T) {
		t.Parallel()
		h := newHub(t)
		p := h.NewPlugin(t, PluginParams{})
		e, err := plugin.New(plugin.HandlerFunc(ListHandler),
			plugin.WithHost(h.URL()),
			plugin.WithCredentials(p.ID, "not-the-secret"),
			plugin.WithLogger(plugintest.Logger(t)),
			plugin.WithReconnect(50*time.Millisecond, 500*time.Millisecond, 0),
		)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		err = e.Run(ctx)
		require.ErrorIs(t, err, plugin.ErrUnauthorized, "Run stops instead of retrying forever")
		var ae *plugin.APIError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, "invalid plugin id or secret", ae.Message)
	})

	t.Run("LargeExportIsStreamed", func(t *testing.T) {
		t.Parallel()
		h := newHub(t)
		p := h.NewPlugin(t, PluginParams{})
		StartPlugin(t, h, p, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			z, err := req.NewZip("large.zip")
			if err != nil {
				return nil, err
			}
			defer z.Close()
			w, err := z.Create("large.bin")
			if err != nil {
				return nil, err
			}
			if _, err := io.Copy(w, largeContent()); err != nil {
				return nil, err
			}
			return z.Response()
		})
		h.WaitConnected(t, p, 1)

		out := h.WaitEnd(t, h.StartRun(t, p, RunParams{}))
		require.Equal(t, StatusSucceeded, out.Status, "message: %s", out.Message)
		got := Entries(t, out.File)["large.bin"]
		want, err := io.ReadAll(largeContent())
		require.NoError(t, err)
		require.Len(t, got, largeSize)
		require.Equal(t, sha256.Sum256(want), sha256.Sum256([]byte(got)), "the export arrives byte for byte")
	})

	t.Run("REST", func(t *testing.T) {
		t.Parallel()
		h := newHub(t)
		p := h.NewPlugin(t, PluginParams{REST: true})
		var calls atomic.Int32
		StartPlugin(t, h, p, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			if calls.Add(1) == 1 {
				return nil, errors.New("config rejected")
			}
			return ListHandler(ctx, req)
		})
		h.WaitConnected(t, p, 1)

		failed := h.WaitEnd(t, h.StartRun(t, p, RunParams{}))
		require.Equal(t, StatusFailed, failed.Status)
		require.Contains(t, findLog(t, failed, "run failed").Extra["error"], "config rejected")

		out := h.WaitEnd(t, h.StartRun(t, p, RunParams{}))
		requireSucceeded(t, out)
		require.Equal(t, float64(SampleAssets), findLog(t, out, "listed").Extra["assets"],
			"REST logs reach the run through /v2/pluginLog")
	})
}

// largeContent returns the large export's entry: largeSize bytes of
// seeded random data, which deflate cannot shrink.
func largeContent() io.Reader {
	r := rand.New(rand.NewChaCha8([32]byte{'e', 'x', 'p', 'o', 'r', 't'}))
	buf := make([]byte, largeSize)
	for i := 0; i < len(buf); i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			buf[i+j] = byte(v >> (8 * j))
		}
	}
	return bytes.NewReader(buf)
}
