package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	ceio "github.com/zishang520/socket.io/clients/engine/v3/transports"
	cio "github.com/zishang520/socket.io/clients/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/sqlite"
	"github.com/exporthub/exporthub/internal/secretbox"
	"github.com/exporthub/exporthub/internal/waittest"
)

// recorder is the Events sink of the tests: it records what the gateway
// reports.
type recorder struct {
	mu        sync.Mutex
	logs      []*gateway.LogEvent
	responses []*gateway.ResponseEvent
	lost      map[string]string // run id -> reason
	failed    map[string]error
	// lifecycle lists "connected ID", "heartbeat ID", "disconnected ID"
	// in the order reported.
	lifecycle []string
}

func (r *recorder) note(what string, inst gateway.InstanceInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lifecycle = append(r.lifecycle, what+" "+inst.ID)
}

func (r *recorder) InstanceConnected(_ context.Context, inst gateway.InstanceInfo) {
	r.note("connected", inst)
}

func (r *recorder) InstanceHeartbeat(_ context.Context, inst gateway.InstanceInfo) {
	r.note("heartbeat", inst)
}

func (r *recorder) InstanceDisconnected(_ context.Context, inst gateway.InstanceInfo) {
	r.note("disconnected", inst)
}

func (r *recorder) events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lifecycle...)
}

func (r *recorder) PluginLog(_ context.Context, _ gateway.InstanceInfo, ev *gateway.LogEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, ev)
}

func (r *recorder) PluginResponse(_ context.Context, _ gateway.InstanceInfo, ev *gateway.ResponseEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.responses = append(r.responses, ev)
}

func (r *recorder) InstanceLost(_ context.Context, _ gateway.InstanceInfo, runIDs []string, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range runIDs {
		r.lost[id] = reason
	}
}

func (r *recorder) DispatchFailed(_ context.Context, _ gateway.InstanceInfo, runID string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed[runID] = err
}

func (r *recorder) snapshot() (logs []*gateway.LogEvent, responses []*gateway.ResponseEvent, lost map[string]string, failed map[string]error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	lost = make(map[string]string, len(r.lost))
	for k, v := range r.lost {
		lost[k] = v
	}
	failed = make(map[string]error, len(r.failed))
	for k, v := range r.failed {
		failed[k] = v
	}
	return append([]*gateway.LogEvent(nil), r.logs...), append([]*gateway.ResponseEvent(nil), r.responses...), lost, failed
}

type testBundle struct {
	st  *sqlite.Store
	box *secretbox.Box
	gw  *gateway.Gateway
	rec *recorder
	url string
	org string
	usr string
}

func setup(t testing.TB, cfg gateway.Config) *testBundle {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hub.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	box, err := secretbox.New(secretbox.NewKey())
	require.NoError(t, err)
	b := &testBundle{st: st, box: box, rec: &recorder{lost: map[string]string{}, failed: map[string]error{}}}
	b.org, b.usr = store.NewID(), store.NewID()
	require.NoError(t, st.OrgInsert(ctx, &store.Org{ID: b.org, Name: "Org"}))
	require.NoError(t, st.UserInsert(ctx, &store.User{ID: b.usr, OrgID: b.org, Email: b.usr + "@example.com", Name: "U", Role: store.RoleAdmin}))
	cfg.Plugins = st
	cfg.Events = b.rec
	cfg.Box = box
	cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b.gw, err = gateway.New(&cfg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", b.gw.Handler())
	srv := httptest.NewServer(mux)
	b.url = srv.URL
	t.Cleanup(func() {
		b.gw.Close()
		srv.Close()
	})
	require.NoError(t, b.gw.Start(ctx))
	return b
}

// testWriter sends logs to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}

// plugin registers a plugin and returns its id and secret.
func (b *testBundle) plugin(t testing.TB, connector store.Connector, baseURL string) (string, string) {
	t.Helper()
	id, secret := store.NewID(), uuid.NewString()
	require.NoError(t, b.st.PluginInsert(context.Background(), &store.Plugin{
		ID: id, OrgID: b.org, OwnerID: b.usr, Name: "p-" + id[:6], Connector: connector, BaseURL: baseURL,
		SecretHash: gateway.HashSecret(secret), SecretEnc: b.box.Seal([]byte(secret)),
	}))
	return id, secret
}

// client is a plugin instance written with the Go Socket.IO client.
type client struct {
	s            *cio.Socket
	mu           sync.Mutex
	events       map[string][]map[string]any
	disconnected bool
}

func (c *client) got(ev string) []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]map[string]any(nil), c.events[ev]...)
}

func (c *client) isDisconnected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.disconnected
}

// connect opens a /plugin socket; with id set it sends a heartbeat on
// connect, as the SDKs do.
func (b *testBundle) connect(t *testing.T, id, secret string) *client {
	t.Helper()
	opts := cio.DefaultOptions()
	opts.SetTransports(types.NewSet(ceio.WebSocket))
	opts.SetReconnection(false)
	opts.SetAutoConnect(false) // one explicit Connect below, never two CONNECT packets
	m := cio.NewManager(b.url, opts)
	c := &client{s: m.Socket(gateway.Namespace, opts), events: map[string][]map[string]any{}}
	c.s.OnAny(func(args ...any) {
		if len(args) < 1 {
			return
		}
		name, _ := args[0].(string)
		var payload map[string]any
		if len(args) > 1 {
			payload, _ = args[1].(map[string]any)
		}
		c.mu.Lock()
		c.events[name] = append(c.events[name], payload)
		c.mu.Unlock()
	})
	_ = c.s.On("connect", func(...any) {
		if id != "" {
			_ = c.s.Emit(gateway.EventHeartbeat, map[string]any{"id": id, "secret": secret})
		}
	})
	_ = c.s.On("disconnect", func(...any) {
		c.mu.Lock()
		c.disconnected = true
		c.mu.Unlock()
	})
	c.s.Connect()
	t.Cleanup(func() { c.s.Disconnect() })
	return c
}

func TestGateway_Heartbeat(t *testing.T) {
	t.Parallel()

	t.Run("ValidBecomesInstance", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gateway.Config{})
		id, secret := b.plugin(t, store.ConnectorWS, "")
		b.connect(t, id, secret)
		waittest.For(t, "instance", func() bool { return len(b.gw.Instances(id)) == 1 })
		inst := b.gw.Instances(id)[0]
		require.Equal(t, id, inst.PluginID)
		require.Equal(t, b.org, inst.OrgID)
		require.Equal(t, store.ConnectorWS, inst.Connector)
		require.Contains(t, inst.RemoteAddr, "127.0.0.1")
		require.False(t, inst.ConnectedAt.IsZero())
		require.False(t, inst.LastHeartbeat.Before(inst.ConnectedAt), "got last heartbeat %s before connected %s", inst.LastHeartbeat, inst.ConnectedAt)
	})

	t.Run("WrongSecretGetsErrorAndDisconnect", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gateway.Config{})
		id, _ := b.plugin(t, store.ConnectorWS, "")
		c := b.connect(t, id, "wrong")
		waittest.For(t, "disconnect", c.isDisconnected)
		errs := c.got(gateway.EventError)
		require.Len(t, errs, 1)
		require.Equal(t, gateway.MsgInvalidSecret, errs[0]["message"])
		require.Empty(t, b.gw.Instances(id))
	})

	t.Run("UnknownPluginGetsErrorAndDisconnect", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gateway.Config{})
		c := b.connect(t, store.NewID(), "whatever")
		waittest.For(t, "disconnect", c.isDisconnected)
		require.Equal(t, gateway.MsgInvalidSecret, c.got(gateway.EventError)[0]["message"])
	})

	t.Run("NoHeartbeatIsClosed", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gateway.Config{AnonymousTimeout: 200 * time.Millisecond})
		c := b.connect(t, "", "")
		waittest.For(t, "disconnect", c.isDisconnected)
		require.Equal(t, gateway.MsgNoHeartbeat, c.got(gateway.EventError)[0]["message"])
	})

	t.Run("RESTPluginRefusedOverSocket", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gateway.Config{})
		id, secret := b.plugin(t, store.ConnectorREST, "http://127.0.0.1:1")
		c := b.connect(t, id, secret)
		waittest.For(t, "disconnect", c.isDisconnected)
		require.Contains(t, c.got(gateway.EventError)[0]["message"], "REST connector")
	})
}

func TestGateway_Dispatch(t *testing.T) {
	t.Parallel()

	t.Run("NoInstance", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gateway.Config{})
		id, _ := b.plugin(t, store.ConnectorWS, "")
		_, err := b.gw.Dispatch(context.Background(), &gateway.Dispatch{Request: gateway.RunRequest{PluginID: id, Session: "s1"}})
		require.ErrorIs(t, err, gateway.ErrNoInstance)
	})

	t.Run("SendsTheRunRequest", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gateway.Config{})
		id, secret := b.plugin(t, store.ConnectorWS, "")
		c := b.connect(t, id, secret)
		waittest.For(t, "instance", func() bool { return len(b.gw.Instances(id)) == 1 })
		inst, err := b.gw.Dispatch(context.Background(), &gateway.Dispatch{Request: gateway.RunRequest{
			ProjectID: "p1", APIKey: "ehr_token", OrgID: b.org, RunBy: b.usr, Session: "s1",
			ConfigJSON: `{"separator-character":","}`, PluginID: id, NumTasks: 3,
		}})
		require.NoError(t, err)
		require.True(t, b.gw.Holds(inst.ID, "s1"))
		waittest.For(t, "plugin event", func() bool { return len(c.got(gateway.EventPlugin)) == 1 })
		got := c.got(gateway.EventPlugin)[0]
		require.Equal(t, map[string]any{
			"projectId": "p1", "apiKey": "ehr_token", "orgId": b.org, "runBy": b.usr, "session": "s1",
			"configJSON": `{"separator-character":","}`, "stage": nil, "batches": []any{}, "pluginId": id,
			"numTasks": float64(3),
		}, normalizeNumbers(got))
		require.Equal(t, 1, b.gw.Instances(id)[0].Runs)
		b.gw.Release("s1")
		require.Equal(t, 0, b.gw.Instances(id)[0].Runs)
	})

	t.Run("LeastBusyThenRoundRobin", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gateway.Config{})
		id, secret := b.plugin(t, store.ConnectorWS, "")
		c1 := b.connect(t, id, secret)
		c2 := b.connect(t, id, secret)
		waittest.For(t, "two instances", func() bool { return len(b.gw.Instances(id)) == 2 })
		got := map[string]string{} // session -> instance
		for i, s := range []string{"a", "b", "c", "d"} {
			inst, err := b.gw.Dispatch(context.Background(), &gateway.Dispatch{Request: gateway.RunRequest{PluginID: id, Session: s}})
			require.NoError(t, err)
			got[s] = inst.ID
			if i == 1 {
				// Both hold one run; ending "a" makes its instance the
				// least busy one.
				b.gw.Release("a")
			}
		}
		require.NotEqual(t, got["a"], got["b"], "got a and b on one instance, want round robin")
		require.Equal(t, got["a"], got["c"], "got c on %s, want the least busy %s", got["c"], got["a"])
		require.Equal(t, got["b"], got["d"], "got d on %s, want %s by round robin", got["d"], got["b"])
		waittest.For(t, "4 plugin events", func() bool {
			return len(c1.got(gateway.EventPlugin))+len(c2.got(gateway.EventPlugin)) == 4
		})
	})

	t.Run("SendToChosenInstance", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gateway.Config{})
		id, secret := b.plugin(t, store.ConnectorWS, "")
		c1 := b.connect(t, id, secret)
		waittest.For(t, "instance", func() bool { return len(b.gw.Instances(id)) == 1 })
		c2 := b.connect(t, id, secret)
		waittest.For(t, "two instances", func() bool { return len(b.gw.Instances(id)) == 2 })
		second := b.gw.Instances(id)[1].ID
		require.True(t, b.gw.HasInstance(second))
		require.Len(t, b.gw.AllInstances(), 2)
		for _, s := range []string{"s1", "s2"} {
			inst, err := b.gw.Send(context.Background(), second, &gateway.Dispatch{Request: gateway.RunRequest{PluginID: id, Session: s}})
			require.NoError(t, err)
			require.Equal(t, second, inst.ID)
			require.True(t, b.gw.Holds(second, s))
		}
		waittest.For(t, "2 plugin events on the chosen instance", func() bool {
			return len(c1.got(gateway.EventPlugin))+len(c2.got(gateway.EventPlugin)) == 2
		})
		require.Equal(t, 2, b.gw.Instances(id)[1].Runs, "the chosen instance holds both runs, busy or not")

		_, err := b.gw.Send(context.Background(), "no-such-socket", &gateway.Dispatch{Request: gateway.RunRequest{PluginID: id, Session: "s3"}})
		require.ErrorIs(t, err, gateway.ErrNoInstance)
		require.False(t, b.gw.HasInstance("no-such-socket"))
	})

	t.Run("DisconnectLosesRuns", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gateway.Config{})
		id, secret := b.plugin(t, store.ConnectorWS, "")
		c := b.connect(t, id, secret)
		waittest.For(t, "instance", func() bool { return len(b.gw.Instances(id)) == 1 })
		_, err := b.gw.Dispatch(context.Background(), &gateway.Dispatch{Request: gateway.RunRequest{PluginID: id, Session: "s1"}})
		require.NoError(t, err)
		c.s.Disconnect()
		waittest.For(t, "lost run", func() bool { _, _, lost, _ := b.rec.snapshot(); return len(lost) == 1 })
		_, _, lost, _ := b.rec.snapshot()
		require.Equal(t, gateway.MsgInstanceDisconnected, lost["s1"])
		require.Empty(t, b.gw.Instances(id))
	})
}

func TestGateway_InstanceLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t, gateway.Config{})
	id, secret := b.plugin(t, store.ConnectorWS, "")
	c := b.connect(t, id, secret)
	waittest.For(t, "instance", func() bool { return len(b.gw.Instances(id)) == 1 })
	inst := b.gw.Instances(id)[0].ID
	require.NoError(t, c.s.Emit(gateway.EventHeartbeat, map[string]any{"id": id, "secret": secret}))
	waittest.For(t, "second heartbeat", func() bool { return len(b.rec.events()) == 2 })
	c.s.Disconnect()
	waittest.For(t, "disconnect", func() bool { return len(b.rec.events()) == 3 })
	require.Equal(t, []string{"connected " + inst, "heartbeat " + inst, "disconnected " + inst}, b.rec.events())
}

// normalizeNumbers makes JSON numbers float64 whatever the decoder chose.
func normalizeNumbers(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func TestGateway_Events(t *testing.T) {
	t.Parallel()
	b := setup(t, gateway.Config{})
	id, secret := b.plugin(t, store.ConnectorWS, "")

	anon := b.connect(t, "", "")
	waittest.For(t, "anonymous connect", func() bool { return anon.s.Connected() })
	require.NoError(t, anon.s.Emit(gateway.EventLog, map[string]any{"session": "s1", "msg": "not me"}))

	c := b.connect(t, id, secret)
	waittest.For(t, "instance", func() bool { return len(b.gw.Instances(id)) == 1 })
	require.NoError(t, c.s.Emit(gateway.EventLog, map[string]any{
		"level": "WARNING", "organization": b.org, "pluginId": id, "runBy": b.usr, "session": "s1", "msg": "hello", "rows": 3,
	}))
	require.NoError(t, c.s.Emit(gateway.EventResponse, map[string]any{"export": true, "response": "http://x/y.zip", "session": "s1"}))
	waittest.For(t, "response", func() bool { _, r, _, _ := b.rec.snapshot(); return len(r) == 1 })
	logs, responses, _, _ := b.rec.snapshot()
	require.Len(t, logs, 1, "got %d logs, want only the authenticated one", len(logs))
	require.Equal(t, "WARNING", logs[0].Level)
	require.Equal(t, "hello", logs[0].Msg)
	require.Equal(t, "s1", logs[0].Session)
	require.Equal(t, map[string]any{"rows": float64(3)}, normalizeNumbers(logs[0].Extra))
	u, ok := responses[0].URL()
	require.True(t, ok)
	require.Equal(t, "http://x/y.zip", u)
	require.True(t, responses[0].Export)
}

func TestGateway_REST(t *testing.T) {
	t.Parallel()

	// restPlugin is a REST connector plugin server.
	type restPlugin struct {
		srv      *httptest.Server
		mu       sync.Mutex
		runs     []map[string]any
		secret   string
		up       bool
		failRuns bool
	}
	newPlugin := func(t *testing.T, secret string) *restPlugin {
		p := &restPlugin{secret: secret, up: true}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /heartbeat", func(w http.ResponseWriter, r *http.Request) {
			p.mu.Lock()
			defer p.mu.Unlock()
			if r.Header.Get("Secret") != p.secret || !p.up {
				http.Error(w, "Unauthorized", http.StatusUnauthorized)
				return
			}
			_, _ = io.WriteString(w, `"ok"`)
		})
		mux.HandleFunc("POST /plugin", func(w http.ResponseWriter, r *http.Request) {
			var m map[string]any
			_ = json.NewDecoder(r.Body).Decode(&m)
			p.mu.Lock()
			defer p.mu.Unlock()
			if r.Header.Get("Secret") != p.secret || p.failRuns {
				http.Error(w, "nope", http.StatusInternalServerError)
				return
			}
			p.runs = append(p.runs, m)
			_, _ = io.WriteString(w, "null")
		})
		p.srv = httptest.NewServer(mux)
		t.Cleanup(p.srv.Close)
		return p
	}

	t.Run("HeartbeatDispatchAndLoss", func(t *testing.T) {
		t.Parallel()
		secret := uuid.NewString()
		p := newPlugin(t, secret)
		b := setup(t, gateway.Config{RESTPollInterval: 50 * time.Millisecond, RESTAllowedURLs: []string{p.srv.URL}})
		id := store.NewID()
		require.NoError(t, b.st.PluginInsert(context.Background(), &store.Plugin{
			ID: id, OrgID: b.org, OwnerID: b.usr, Name: "rest", Connector: store.ConnectorREST, BaseURL: p.srv.URL,
			SecretHash: gateway.HashSecret(secret), SecretEnc: b.box.Seal([]byte(secret)),
		}))
		b.gw.RefreshREST()
		waittest.For(t, "REST instance", func() bool { return len(b.gw.Instances(id)) == 1 })
		require.Equal(t, store.ConnectorREST, b.gw.Instances(id)[0].Connector)
		require.Equal(t, p.srv.URL, b.gw.Instances(id)[0].RemoteAddr)

		_, err := b.gw.Dispatch(context.Background(), &gateway.Dispatch{Request: gateway.RunRequest{PluginID: id, Session: "s1", APIKey: "k"}})
		require.NoError(t, err)
		waittest.For(t, "POST /plugin", func() bool { p.mu.Lock(); defer p.mu.Unlock(); return len(p.runs) == 1 })
		p.mu.Lock()
		require.Equal(t, "s1", p.runs[0]["session"])
		require.Equal(t, "{}", p.runs[0]["configJSON"])
		p.up = false
		p.mu.Unlock()
		waittest.For(t, "lost run", func() bool { _, _, lost, _ := b.rec.snapshot(); return len(lost) == 1 })
		_, _, lost, _ := b.rec.snapshot()
		require.Equal(t, gateway.MsgRESTHeartbeatLost, lost["s1"])
		require.Empty(t, b.gw.Instances(id))
	})

	t.Run("RefusedRunIsReported", func(t *testing.T) {
		t.Parallel()
		secret := uuid.NewString()
		p := newPlugin(t, secret)
		p.failRuns = true
		b := setup(t, gateway.Config{RESTPollInterval: 50 * time.Millisecond, RESTAllowedURLs: []string{p.srv.URL}})
		id := store.NewID()
		require.NoError(t, b.st.PluginInsert(context.Background(), &store.Plugin{
			ID: id, OrgID: b.org, OwnerID: b.usr, Name: "rest", Connector: store.ConnectorREST, BaseURL: p.srv.URL,
			SecretHash: gateway.HashSecret(secret), SecretEnc: b.box.Seal([]byte(secret)),
		}))
		waittest.For(t, "REST instance", func() bool { return len(b.gw.Instances(id)) == 1 })
		_, err := b.gw.Dispatch(context.Background(), &gateway.Dispatch{Request: gateway.RunRequest{PluginID: id, Session: "s1"}})
		require.NoError(t, err)
		waittest.For(t, "failed dispatch", func() bool { _, _, _, f := b.rec.snapshot(); return len(f) == 1 })
		_, _, _, failed := b.rec.snapshot()
		require.ErrorContains(t, failed["s1"], "HTTP 500")
	})

	t.Run("WrongSecretNeverOnline", func(t *testing.T) {
		t.Parallel()
		p := newPlugin(t, "the-real-secret")
		b := setup(t, gateway.Config{RESTPollInterval: 20 * time.Millisecond, RESTAllowedURLs: []string{p.srv.URL}})
		id, _ := b.plugin(t, store.ConnectorREST, p.srv.URL)
		// Several polls go by without the instance appearing.
		deadline := time.Now().Add(300 * time.Millisecond)
		for time.Now().Before(deadline) {
			require.Empty(t, b.gw.Instances(id))
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestGateway_CheckBaseURL(t *testing.T) {
	t.Parallel()
	b := setup(t, gateway.Config{RESTAllowedURLs: []string{"http://127.0.0.1:9000", "https://plugins.example.com/team"}})
	for _, tc := range []struct {
		name, url, wantErr string
	}{
		{"Allowed", "http://127.0.0.1:9000", ""},
		{"AllowedTrailingSlash", "http://127.0.0.1:9000/", ""},
		{"AllowedSubPath", "https://plugins.example.com/team/coco", ""},
		{"OtherPort", "http://127.0.0.1:9001", "not among the URLs"},
		{"PathPrefixNotSegment", "https://plugins.example.com/teamx", "not among the URLs"},
		{"OtherScheme", "http://plugins.example.com/team", "not among the URLs"},
		{"NotHTTP", "ftp://127.0.0.1:9000", "must start with http:// or https://"},
		{"Credentials", "http://u:p@127.0.0.1:9000", "must not hold credentials"},
		{"Query", "http://127.0.0.1:9000?x=1", "must not have a query"},
		{"NoHost", "http://", "has no host"},
		{"DotDot", "https://plugins.example.com/team/../secret", `has a "." or ".." path segment`},
		{"DotDotTrailing", "https://plugins.example.com/team/..", `has a "." or ".." path segment`},
		{"Dot", "https://plugins.example.com/team/./x", `has a "." or ".." path segment`},
		{"EncodedDotDot", "https://plugins.example.com/team/%2e%2e/secret", "encoded"},
		{"EncodedDotDotUpper", "https://plugins.example.com/team/%2E%2E/secret", "encoded"},
		{"MixedDotDot", "https://plugins.example.com/team/.%2e/secret", "encoded"},
		{"EncodedSlash", "https://plugins.example.com/team%2f..%2fsecret", "encoded"},
		{"Backslash", `https://plugins.example.com/team/..\secret`, "backslash"},
		{"DoubleSlash", "https://plugins.example.com/team//x", "empty path segment"},
		{"DotInName", "https://plugins.example.com/team/v1.2", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := b.gw.CheckBaseURL(tc.url)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}

	t.Run("NoneAllowed", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gateway.Config{})
		require.ErrorContains(t, b.gw.CheckBaseURL("http://127.0.0.1:9000"), "REST connector is disabled")
	})
}
