package plugin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/plugin"
	"github.com/exporthub/exporthub/plugin/plugintest"
)

const testExport = "testdata/image_small.ndjson"

// countingHandler writes one line per asset (externalId) into a zip entry
// "assets.txt" and logs the count with attributes.
func countingHandler(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
	z, err := req.NewZip(req.ProjectID + ".zip")
	if err != nil {
		return nil, err
	}
	defer z.Close()
	w, err := z.Create("assets.txt")
	if err != nil {
		return nil, err
	}
	n := 0
	for a, err := range req.Export.All() {
		if err != nil {
			return nil, err
		}
		fmt.Fprintln(w, a.ExternalID)
		n++
	}
	req.Logger.Info("converted", "assets", n, slog.Group("run", "stage", req.Stage))
	return z.Response()
}

// startPlugin runs an Export against hub until the test ends and returns
// a channel with Run's result.
func startPlugin(t *testing.T, hub *plugintest.Hub, h plugin.HandlerFunc, opts ...plugin.Option) (cancel func(), done <-chan error) {
	t.Helper()
	all := append([]plugin.Option{
		plugin.WithHost(hub.URL()),
		plugin.WithCredentials(hub.ID, hub.Secret),
		plugin.WithLogger(plugintest.Logger(t)),
		plugin.WithReconnect(20*time.Millisecond, 200*time.Millisecond, 0),
		plugin.WithShutdownTimeout(5 * time.Second),
	}, opts...)
	e, err := plugin.New(h, all...)
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- e.Run(ctx) }()
	var once sync.Once
	result := make(chan error, 1)
	stopAndWait := func() {
		once.Do(func() {
			stop()
			select {
			case err := <-errc:
				result <- err
			case <-time.After(plugintest.WaitTimeout):
				t.Errorf("Run did not return after cancel")
				result <- nil
			}
		})
	}
	t.Cleanup(stopAndWait)
	return stopAndWait, result
}

func TestExport_Run(t *testing.T) {
	t.Parallel()

	setup := func(t *testing.T) *plugintest.Hub {
		t.Helper()
		hub := plugintest.NewHub(t)
		hub.SetExportFile(t, testExport)
		return hub
	}

	t.Run("ExportSucceeds", func(t *testing.T) {
		t.Parallel()
		hub := setup(t)
		startPlugin(t, hub, countingHandler)
		hub.WaitConnected(t, 1)

		session := hub.Dispatch(t, plugintest.RunRequest{ProjectID: "p-42", Stage: []string{"Complete"}, Batches: []string{"b1", "b 2"}, NumTasks: 3})
		res := hub.WaitResult(t, session)
		require.True(t, res.Export, "got response %v, want an export", res)
		require.False(t, res.Error)
		entries := plugintest.ZipEntries(t, hub.Download(t, res))
		require.Equal(t, "street-001.jpg\nstreet-002.jpg\nstreet-003.jpg\n", string(entries["assets.txt"]))

		qs := hub.ExportQueries()
		require.Len(t, qs, 1)
		require.Equal(t, "p-42", qs[0].Get("project"))
		require.Equal(t, "ndjson", qs[0].Get("format"))
		require.Equal(t, `["Complete"]`, qs[0].Get("stage"), "the stage filter as the Python SDK sends it")
		require.Equal(t, `["b1","b 2"]`, qs[0].Get("batches"))

		up, ok := hub.Upload("p-42.zip")
		require.True(t, ok, "got no upload named p-42.zip")
		require.Equal(t, "exports", up.Query.Get("type"))
		require.Equal(t, "p-42", up.Query.Get("project"))
		require.Equal(t, int64(len(up.Data)), up.ContentLength, "upload must carry its Content-Length")
		require.Contains(t, hub.SignedQueries()[0].Get("name"), "/upload/p-42.zip")
	})

	t.Run("StageList", func(t *testing.T) {
		t.Parallel()
		hub := setup(t)
		var got []string
		var gotText string
		startPlugin(t, hub, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			got, gotText = req.Stages, req.Stage
			return countingHandler(ctx, req)
		})
		hub.WaitConnected(t, 1)
		session := hub.Dispatch(t, plugintest.RunRequest{Stage: []string{"Complete", "5c0f-review"}})
		require.True(t, hub.WaitResult(t, session).Export)
		require.Equal(t, []string{"Complete", "5c0f-review"}, got, "Ango sends the stage filter as a list of stage ids")
		require.Equal(t, "Complete, 5c0f-review", gotText)
		require.Equal(t, `["Complete","5c0f-review"]`, hub.ExportQueries()[0].Get("stage"), "the export asks for the same list")
	})

	t.Run("LogsReachTheHub", func(t *testing.T) {
		t.Parallel()
		hub := setup(t)
		startPlugin(t, hub, countingHandler)
		hub.WaitConnected(t, 1)
		session := hub.Dispatch(t, plugintest.RunRequest{Stage: []string{"Review"}})
		hub.WaitResult(t, session)

		l := hub.WaitLog(t, session, "converted")
		require.Equal(t, plugintest.Log{
			Level: "INFO", Organization: "org-test", PluginID: hub.ID, RunBy: "user-test", Session: session, Msg: "converted",
			Extra: map[string]any{"assets": float64(3), "run.stage": "Review"},
		}, l)
	})

	t.Run("LogAttributes", func(t *testing.T) {
		t.Parallel()
		hub := setup(t)
		startPlugin(t, hub, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			req.Logger.With("component", "converter").WithGroup("asset").Warn("odd box",
				"index", 7,
				"ratio", 0.5,
				"skipped", true,
				"took", 1500*time.Millisecond,
				"cause", errors.New("negative width"),
				"raw", []byte("bytes"),
				"session", "not the session",
				slog.Group("box", "w", -3),
			)
			req.Logger.Debug("not sent: below the hub log level")
			return countingHandler(ctx, req)
		})
		hub.WaitConnected(t, 1)
		session := hub.Dispatch(t, plugintest.RunRequest{})
		hub.WaitResult(t, session)
		l := hub.WaitLog(t, session, "odd box")
		require.Equal(t, plugintest.Log{
			Level:        "WARNING",
			Msg:          "odd box",
			Organization: "org-test",
			PluginID:     hub.ID,
			RunBy:        "user-test",
			Session:      session,
			Extra: map[string]any{
				"component":     "converter",
				"asset.index":   float64(7),
				"asset.ratio":   0.5,
				"asset.skipped": true,
				"asset.took":    "1.5s",
				"asset.cause":   "negative width",
				"asset.raw":     "bytes",
				"asset.session": "not the session",
				"asset.box.w":   float64(-3),
			},
		}, l)
		for _, l := range hub.Logs(session) {
			require.NotEqual(t, "DEBUG", l.Level)
		}
	})

	t.Run("CallbackErrorKeepsServing", func(t *testing.T) {
		t.Parallel()
		hub := setup(t)
		var calls atomic.Int32
		startPlugin(t, hub, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			if calls.Add(1) == 1 {
				return nil, errors.New("separator must be one character")
			}
			return countingHandler(ctx, req)
		})
		hub.WaitConnected(t, 1)

		failed := hub.Dispatch(t, plugintest.RunRequest{})
		res := hub.WaitResult(t, failed)
		require.True(t, res.Error, "got %v, want an error response", res)
		require.Equal(t, plugintest.Result{Error: true, Session: failed}, res)
		l := hub.WaitLog(t, failed, "run failed")
		require.Equal(t, "ERROR", l.Level)
		require.Contains(t, l.Extra["error"], "separator must be one character")

		ok := hub.Dispatch(t, plugintest.RunRequest{})
		require.True(t, hub.WaitResult(t, ok).Export, "the plugin must keep serving after a failed run")
	})

	t.Run("NoFileIsAnError", func(t *testing.T) {
		t.Parallel()
		hub := setup(t)
		startPlugin(t, hub, func(context.Context, *plugin.Request) (*plugin.Response, error) { return nil, nil })
		hub.WaitConnected(t, 1)
		session := hub.Dispatch(t, plugintest.RunRequest{})
		require.True(t, hub.WaitResult(t, session).Error)
		require.Contains(t, hub.WaitLog(t, session, "run failed").Extra["error"], "no file")
	})

	t.Run("ExportDownloadFails", func(t *testing.T) {
		t.Parallel()
		hub := setup(t)
		hub.FailExport(http.StatusForbidden, "forbidden")
		called := atomic.Bool{}
		startPlugin(t, hub, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			called.Store(true)
			return countingHandler(ctx, req)
		})
		hub.WaitConnected(t, 1)
		session := hub.Dispatch(t, plugintest.RunRequest{})
		require.True(t, hub.WaitResult(t, session).Error)
		msg := hub.WaitLog(t, session, "run failed").Extra["error"].(string)
		require.Contains(t, msg, "export download failed")
		require.Contains(t, msg, "forbidden")
		require.False(t, called.Load(), "the callback must not run without an export")
	})

	t.Run("InvalidExportFailsTheRun", func(t *testing.T) {
		t.Parallel()
		hub := setup(t)
		hub.SetExportFile(t, "testdata/broken_line.ndjson")
		startPlugin(t, hub, countingHandler)
		hub.WaitConnected(t, 1)
		session := hub.Dispatch(t, plugintest.RunRequest{})
		require.True(t, hub.WaitResult(t, session).Error)
		require.Contains(t, hub.WaitLog(t, session, "run failed").Extra["error"], "line 2")
	})

	t.Run("StorageAndUnknownSize", func(t *testing.T) {
		t.Parallel()
		hub := setup(t)
		content := strings.Repeat("x", 100_000)
		startPlugin(t, hub, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			// A reader whose size the SDK cannot know: it spools it first.
			return &plugin.Response{
				File:      io.MultiReader(strings.NewReader(content[:50_000]), strings.NewReader(content[50_000:])),
				FileName:  "out.txt",
				StorageID: "storage-7",
				Bucket:    "exports-bucket",
			}, nil
		})
		hub.WaitConnected(t, 1)
		session := hub.Dispatch(t, plugintest.RunRequest{})
		res := hub.WaitResult(t, session)
		require.True(t, res.Export)
		require.Equal(t, content, string(hub.Download(t, res)))
		up, _ := hub.Upload("out.txt")
		require.Equal(t, int64(len(content)), up.ContentLength)
		require.Equal(t, "storage-7", up.Query.Get("storageId"))
		require.Equal(t, "exports-bucket", up.Query.Get("bucket"))
		require.Equal(t, "storage-7", hub.SignedQueries()[0].Get("storageId"))
	})

	t.Run("DecodeConfig", func(t *testing.T) {
		t.Parallel()
		hub := setup(t)
		got := make(chan string, 2)
		startPlugin(t, hub, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			var cfg struct {
				Sep string `json:"separator-character"`
			}
			if err := req.DecodeConfig(&cfg); err != nil {
				return nil, err
			}
			got <- cfg.Sep
			return countingHandler(ctx, req)
		})
		hub.WaitConnected(t, 1)
		ok := hub.Dispatch(t, plugintest.RunRequest{ConfigJSON: `{"separator-character": ";"}`})
		require.True(t, hub.WaitResult(t, ok).Export)
		require.Equal(t, ";", <-got)

		bad := hub.Dispatch(t, plugintest.RunRequest{ConfigJSON: "{\n  \"separator-character\": 5\n}"})
		require.True(t, hub.WaitResult(t, bad).Error)
		require.Equal(t,
			`callback: config JSON: line 2: field "separator-character": cannot use JSON number as string (column 26)`,
			hub.WaitLog(t, bad, "run failed").Extra["error"])
	})
}

func TestExport_RunReconnect(t *testing.T) {
	t.Parallel()

	t.Run("HubAbsentAtStart", func(t *testing.T) {
		t.Parallel()
		hub := plugintest.NewHub(t)
		hub.SetExportFile(t, testExport)
		hub.Stop()
		startPlugin(t, hub, countingHandler)
		// The plugin keeps retrying with backoff instead of exiting.
		hub.Start(t)
		hub.WaitConnected(t, 1)
	})

	t.Run("GivesUpAfterMaxAttempts", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close()) // nothing listens there any more
		errs := make(chan error, 10)
		e, err := plugin.New(plugin.HandlerFunc(countingHandler),
			plugin.WithHost("http://"+addr),
			plugin.WithCredentials("id", "secret"),
			plugin.WithLogger(plugintest.Logger(t)),
			plugin.WithReconnect(5*time.Millisecond, 20*time.Millisecond, 3),
			plugin.WithErrorHandler(func(err error) { errs <- err }),
		)
		require.NoError(t, err)
		err = e.Run(context.Background())
		require.ErrorIs(t, err, plugin.ErrReconnectFailed)
		require.NotEmpty(t, errs, "connection failures must reach the ErrorHandler")
	})

	t.Run("WrongSecretStops", func(t *testing.T) {
		t.Parallel()
		hub := plugintest.NewHub(t)
		e, err := plugin.New(plugin.HandlerFunc(countingHandler),
			plugin.WithHost(hub.URL()),
			plugin.WithCredentials(hub.ID, "not-the-secret"),
			plugin.WithLogger(plugintest.Logger(t)),
		)
		require.NoError(t, err)
		err = e.Run(context.Background())
		require.ErrorIs(t, err, plugin.ErrUnauthorized)
		var ae *plugin.APIError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, "invalid plugin id or secret", ae.Message)
		require.Equal(t, 3, hub.Rejected(), "the plugin retries twice before giving up")
	})
}

func TestExport_RunConcurrency(t *testing.T) {
	t.Parallel()

	// blocking returns a handler that records how many runs execute at once
	// and blocks until release is closed.
	blocking := func(running, peak *atomic.Int32, release <-chan struct{}) plugin.HandlerFunc {
		return func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			n := running.Add(1)
			defer running.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			select {
			case <-release:
			case <-ctx.Done():
				return nil, context.Cause(ctx)
			}
			return countingHandler(ctx, req)
		}
	}

	t.Run("RunsInParallel", func(t *testing.T) {
		t.Parallel()
		hub := plugintest.NewHub(t)
		hub.SetExportFile(t, testExport)
		var running, peak atomic.Int32
		release := make(chan struct{})
		startPlugin(t, hub, blocking(&running, &peak, release), plugin.WithConcurrency(3))
		hub.WaitConnected(t, 1)
		sessions := []string{
			hub.Dispatch(t, plugintest.RunRequest{}),
			hub.Dispatch(t, plugintest.RunRequest{}),
			hub.Dispatch(t, plugintest.RunRequest{}),
			hub.Dispatch(t, plugintest.RunRequest{}),
		}
		plugintest.WaitFor(t, "3 runs at once", func() bool { return running.Load() == 3 })
		close(release)
		for _, s := range sessions {
			require.True(t, hub.WaitResult(t, s).Export)
		}
		require.Equal(t, int32(3), peak.Load(), "got %d runs at once, want the Concurrency of 3", peak.Load())
	})

	t.Run("DefaultIsOneAtATime", func(t *testing.T) {
		t.Parallel()
		hub := plugintest.NewHub(t)
		hub.SetExportFile(t, testExport)
		var running, peak atomic.Int32
		release := make(chan struct{})
		startPlugin(t, hub, blocking(&running, &peak, release))
		hub.WaitConnected(t, 1)
		a := hub.Dispatch(t, plugintest.RunRequest{})
		b := hub.Dispatch(t, plugintest.RunRequest{})
		plugintest.WaitFor(t, "the first run", func() bool { return running.Load() == 1 })
		close(release)
		require.True(t, hub.WaitResult(t, a).Export)
		require.True(t, hub.WaitResult(t, b).Export)
		require.Equal(t, int32(1), peak.Load())
	})

	t.Run("Replicas", func(t *testing.T) {
		t.Parallel()
		hub := plugintest.NewHub(t)
		hub.SetExportFile(t, testExport)
		var mu sync.Mutex
		served := map[string]int{}
		replica := func(name string) plugin.HandlerFunc {
			return func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
				mu.Lock()
				served[name]++
				mu.Unlock()
				return countingHandler(ctx, req)
			}
		}
		startPlugin(t, hub, replica("a"))
		startPlugin(t, hub, replica("b"))
		hub.WaitConnected(t, 2)
		for range 4 {
			require.True(t, hub.WaitResult(t, hub.Dispatch(t, plugintest.RunRequest{})).Export)
		}
		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, map[string]int{"a": 2, "b": 2}, served, "each replica must serve its share")
	})
}

func TestExport_RunCancellation(t *testing.T) {
	t.Parallel()

	waitForCtx := func(started chan<- string) plugin.HandlerFunc {
		return func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			started <- req.Session
			<-ctx.Done()
			return nil, context.Cause(ctx)
		}
	}

	t.Run("TimedOutOnTheHub", func(t *testing.T) {
		t.Parallel()
		hub := plugintest.NewHub(t)
		hub.SetExportFile(t, testExport)
		started := make(chan string, 1)
		startPlugin(t, hub, waitForCtx(started))
		hub.WaitConnected(t, 1)
		session := hub.Dispatch(t, plugintest.RunRequest{TimeoutSeconds: 0.2})
		<-started
		require.True(t, hub.WaitResult(t, session).Error)
		require.Contains(t, hub.WaitLog(t, session, "run failed").Extra["error"], "run timed out on the hub")
	})

	t.Run("ShutdownLetsTheRunFinish", func(t *testing.T) {
		t.Parallel()
		hub := plugintest.NewHub(t)
		hub.SetExportFile(t, testExport)
		started := make(chan string, 1)
		release := make(chan struct{})
		stop, done := startPlugin(t, hub, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			started <- req.Session
			<-release
			return countingHandler(ctx, req)
		})
		hub.WaitConnected(t, 1)
		session := hub.Dispatch(t, plugintest.RunRequest{})
		<-started
		go stop() // SIGTERM
		select {
		case err := <-done:
			t.Fatalf("Run returned (%v) while a run was going", err)
		case <-time.After(100 * time.Millisecond): // give Run a chance to return too early
		}
		close(release)
		require.True(t, hub.WaitResult(t, session).Export, "the running run must finish and upload")
		require.NoError(t, <-done)
	})

	t.Run("ShutdownTimeoutCancelsTheRun", func(t *testing.T) {
		t.Parallel()
		hub := plugintest.NewHub(t)
		hub.SetExportFile(t, testExport)
		started := make(chan string, 1)
		stop, done := startPlugin(t, hub, waitForCtx(started), plugin.WithShutdownTimeout(50*time.Millisecond))
		hub.WaitConnected(t, 1)
		session := hub.Dispatch(t, plugintest.RunRequest{})
		<-started
		go stop()
		require.NoError(t, <-done)
		require.True(t, hub.WaitResult(t, session).Error, "a run cut by the shutdown must report its failure")
		require.Contains(t, hub.WaitLog(t, session, "run failed").Extra["error"], "shutting down")
	})
}

func TestExport_RunREST(t *testing.T) {
	t.Parallel()

	setup := func(t *testing.T, h plugin.HandlerFunc) (*plugintest.Hub, string) {
		t.Helper()
		hub := plugintest.NewHub(t)
		hub.SetExportFile(t, testExport)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		startPlugin(t, hub, h, plugin.WithConnector(plugin.ConnectorREST), plugin.WithListener(ln))
		base := "http://" + ln.Addr().String()
		plugintest.WaitFor(t, "the REST plugin", func() bool {
			resp, err := http.Get(base + "/heartbeat")
			if err == nil {
				resp.Body.Close()
			}
			return err == nil
		})
		return hub, base
	}

	t.Run("Heartbeat", func(t *testing.T) {
		t.Parallel()
		hub, base := setup(t, countingHandler)
		status, body := hub.HeartbeatREST(t, base, hub.Secret)
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, "ok", body)
		status, _ = hub.HeartbeatREST(t, base, "wrong")
		require.Equal(t, http.StatusUnauthorized, status)
	})

	t.Run("WrongSecretIsRefused", func(t *testing.T) {
		t.Parallel()
		hub, base := setup(t, countingHandler)
		hub.Secret = "wrong"
		require.Equal(t, http.StatusUnauthorized, hub.PostRun(t, base, plugintest.RunRequest{}).Wait(t))
	})

	t.Run("AbortedRequestCancelsTheRun", func(t *testing.T) {
		t.Parallel()
		started := make(chan struct{}, 1)
		hub, base := setup(t, func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			started <- struct{}{}
			<-ctx.Done()
			return nil, context.Cause(ctx)
		})
		run := hub.PostRun(t, base, plugintest.RunRequest{})
		<-started
		run.Abort() // the hub gave up on the run
		require.True(t, hub.WaitResult(t, run.Session).Error)
		require.Contains(t, hub.WaitLog(t, run.Session, "run failed").Extra["error"], "run cancelled by the hub")
	})

	t.Run("BadBody", func(t *testing.T) {
		t.Parallel()
		hub, base := setup(t, countingHandler)
		req, err := http.NewRequest(http.MethodPost, base+"/plugin", bytes.NewReader([]byte(`{"projectId": 5`)))
		require.NoError(t, err)
		req.Header.Set("Secret", hub.Secret)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		var body map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		require.Equal(t, "fail", body["status"])
	})
}

func newHub(t *testing.T) *plugintest.Hub {
	t.Helper()
	hub := plugintest.NewHub(t)
	hub.SetExportFile(t, testExport)
	return hub
}

func testLogger(t *testing.T) *slog.Logger { return plugintest.Logger(t) }
