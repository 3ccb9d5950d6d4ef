package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/waittest"
	"github.com/exporthub/exporthub/internal/wire"
	"github.com/exporthub/exporthub/internal/wire/wiretest"
)

// TestGateway_Golden checks the hub's side of the protocol against the
// golden files of wiretest: what the gateway sends is the files' JSON,
// and what plugins send as in the files reaches the run dispatcher as
// their values.
func TestGateway_Golden(t *testing.T) {
	t.Parallel()

	t.Run("RunRequestOverSocketIO", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gateway.Config{})
		id, secret := b.plugin(t, store.ConnectorWS, "")
		c := b.connect(t, id, secret)
		waittest.For(t, "instance", func() bool { return len(b.gw.Instances(id)) == 1 })
		for i, name := range []string{"run-request", "run-request-defaults", "run-request-timeout"} {
			req := wiretest.CaseNamed(t, name).Value.(wire.RunRequest)
			plugin := req.PluginID
			req.PluginID = id
			_, err := b.gw.Dispatch(context.Background(), &gateway.Dispatch{Request: req})
			require.NoError(t, err)
			waittest.For(t, "plugin event", func() bool { return len(c.got(gateway.EventPlugin)) == i+1 })
			got := normalizeNumbers(c.got(gateway.EventPlugin)[i])
			got["pluginId"] = plugin
			require.Equal(t, wiretest.Object(t, name), got, "the %s event as %s.json", gateway.EventPlugin, name)
			b.gw.Release(req.Session)
		}
	})

	t.Run("RunRequestOverREST", func(t *testing.T) {
		t.Parallel()
		var mu sync.Mutex
		var bodies [][]byte
		var headers []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == wire.PathRun {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				bodies, headers = append(bodies, body), append(headers, r.Header.Get(wire.HeaderSecret))
				mu.Unlock()
			}
			_, _ = io.WriteString(w, wire.HeartbeatOK)
		}))
		t.Cleanup(srv.Close)
		b := setup(t, gateway.Config{RESTAllowedURLs: []string{srv.URL}, RESTPollInterval: 50 * time.Millisecond})
		id, secret := b.plugin(t, store.ConnectorREST, srv.URL)
		b.gw.RefreshREST()
		waittest.For(t, "REST instance", func() bool { return len(b.gw.Instances(id)) == 1 })
		req := wiretest.RunRequest()
		req.PluginID = id
		_, err := b.gw.Dispatch(context.Background(), &gateway.Dispatch{Request: req})
		require.NoError(t, err)
		waittest.For(t, "POST /plugin", func() bool { mu.Lock(); defer mu.Unlock(); return len(bodies) == 1 })
		var got map[string]any
		require.NoError(t, json.Unmarshal(bodies[0], &got))
		got["pluginId"] = wiretest.PluginID
		require.Equal(t, wiretest.Object(t, "run-request"), got)
		require.Equal(t, secret, headers[0])
	})

	t.Run("CancelAndError", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gateway.Config{})
		id, secret := b.plugin(t, store.ConnectorWS, "")
		c := b.connect(t, id, secret)
		waittest.For(t, "instance", func() bool { return len(b.gw.Instances(id)) == 1 })
		_, err := b.gw.Dispatch(context.Background(), &gateway.Dispatch{Request: gateway.RunRequest{PluginID: id, Session: wiretest.Session}})
		require.NoError(t, err)
		b.gw.Cancel(wiretest.Session)
		waittest.For(t, "cancel event", func() bool { return len(c.got(gateway.EventCancel)) == 1 })
		require.Equal(t, wiretest.Object(t, "cancel"), c.got(gateway.EventCancel)[0])

		rejected := b.connect(t, id, "wrong")
		waittest.For(t, "disconnect", rejected.isDisconnected)
		require.Equal(t, []map[string]any{wiretest.Object(t, "error")}, rejected.got(gateway.EventError))
	})

	t.Run("EventsFromPlugins", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gateway.Config{})
		id, secret := b.plugin(t, store.ConnectorWS, "")
		c := b.connect(t, id, secret)
		waittest.For(t, "instance", func() bool { return len(b.gw.Instances(id)) == 1 })
		var wantLogs []*gateway.LogEvent
		var wantResponses []*gateway.ResponseEvent
		for _, tc := range wiretest.Cases() {
			switch tc.Event {
			case gateway.EventLog:
				v := tc.Value.(wire.Log)
				wantLogs = append(wantLogs, &v)
			case gateway.EventResponse:
				v := tc.Value.(wire.Response)
				wantResponses = append(wantResponses, &v)
			default:
				continue
			}
			require.NoError(t, c.s.Emit(tc.Event, wiretest.Object(t, tc.Name)))
		}
		waittest.For(t, "every event", func() bool {
			logs, responses, _, _ := b.rec.snapshot()
			return len(logs) == len(wantLogs) && len(responses) == len(wantResponses)
		})
		logs, responses, _, _ := b.rec.snapshot()
		require.Equal(t, wantLogs, logs)
		require.Equal(t, wantResponses, responses)
	})
}

func TestDecodeLogEvent(t *testing.T) {
	t.Parallel()

	t.Run("LevelNormalized", func(t *testing.T) {
		t.Parallel()
		ev, err := gateway.DecodeLogEvent([]byte(`{"level":"warn","msg":"m"}`))
		require.NoError(t, err)
		require.Equal(t, gateway.LevelWarning, ev.Level)
	})

	t.Run("GoldenFiles", func(t *testing.T) {
		t.Parallel()
		for _, name := range []string{"log", "log-python"} {
			ev, err := gateway.DecodeLogEvent(wiretest.Fixture(t, name))
			require.NoError(t, err)
			require.Equal(t, wiretest.CaseNamed(t, name).Value, *ev, name)
		}
	})

	t.Run("NotAnObject", func(t *testing.T) {
		t.Parallel()
		_, err := gateway.DecodeLogEvent([]byte(`[1]`))
		require.ErrorContains(t, err, "decode log event")
		_, err = gateway.DecodeLogEvent([]byte(`null`))
		require.ErrorContains(t, err, "want a JSON object")
	})
}

func TestDecodeResponseEvent(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"response-export", "response-error", "response-other", "response-tolerated"} {
		ev, err := gateway.DecodeResponseEvent(wiretest.Fixture(t, name))
		require.NoError(t, err)
		require.Equal(t, wiretest.CaseNamed(t, name).Value, *ev, name)
	}
	_, err := gateway.DecodeResponseEvent([]byte(`"s"`))
	require.ErrorContains(t, err, "decode response event")
}

func FuzzDecodeLogEvent(f *testing.F) {
	f.Add(wiretest.Fixture(f, "log"))
	f.Add([]byte(`{"msg":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := gateway.DecodeLogEvent(b)
		if err != nil {
			return
		}
		switch ev.Level {
		case gateway.LevelDebug, gateway.LevelInfo, gateway.LevelWarning, gateway.LevelError:
		default:
			t.Fatalf("got level %q, want one of the four", ev.Level)
		}
	})
}
