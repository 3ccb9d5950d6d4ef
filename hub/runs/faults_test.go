package runs_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/runs/runstest"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/waittest"
	"github.com/exporthub/exporthub/plugin"
)

// The faults of a scale-out deployment that the replicas must survive:
// lost acknowledgements, a holder that dies while its plugin finishes, a
// replica restarted at once under its node id.

// appName gives the database connections of the replica it configures
// an application_name of their own (node and a random suffix: parallel
// tests share the server), so that breakListener finds its listener's
// connection in pg_stat_activity.
func (rs *replicaSet) appName(node string) func(*hub.Config) {
	name := node + "-" + store.NewID()[:12]
	rs.mu.Lock()
	if rs.apps == nil {
		rs.apps = map[string]string{}
	}
	rs.apps[node] = name
	rs.mu.Unlock()
	return func(c *hub.Config) {
		u, err := url.Parse(c.DatabaseURL)
		require.NoError(rs.t, err)
		q := u.Query()
		q.Set("application_name", name)
		u.RawQuery = q.Encode()
		c.DatabaseURL = u.String()
	}
}

// breakListener terminates the LISTEN connection of replica node
// (started with appName), and each one it opens again, until the
// returned function is called: the replica misses every notification
// meanwhile (its requests still go out through its pool).
func (rs *replicaSet) breakListener(node string) (restore func()) {
	t := rs.t
	rs.mu.Lock()
	name := rs.apps[node]
	rs.mu.Unlock()
	require.NotEmpty(t, name, "replica %s started with appName", node)
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := pgx.Connect(ctx, rs.dbURL)
	require.NoError(t, err)
	kill := func() int {
		var n int
		err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`,
			name+" listen").Scan(&n)
		if err != nil && ctx.Err() == nil {
			t.Errorf("terminate the listener of %s: %v", node, err)
		}
		return n
	}
	waittest.For(t, "the listener of "+node+" found and terminated", func() bool { return kill() > 0 })
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			kill()
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return func() {
		cancel()
		<-done
		_ = conn.Close(context.Background())
	}
}

func TestReplicas_LostAcknowledgementLeavesTheRunToItsHolder(t *testing.T) {
	t.Parallel()
	rs := newReplicaSet(t)
	const remote = 2 * time.Second
	a := rs.startWith("replica-a", func(c *hub.Config) {
		rs.appName("replica-a")(c)
		c.Runs.RemoteTimeout = remote
	})
	b := rs.start("replica-b")
	f := rs.fixture(a, "")
	g := newGate(t)
	var (
		mu        sync.Mutex
		cancelled []string
	)
	rs.connect(b, f, runstest.Options{Handler: g.handler, OnCancel: func(s string) {
		mu.Lock()
		defer mu.Unlock()
		cancelled = append(cancelled, s)
	}}, a)

	// A asks B to deliver the run; B takes it and answers, but A's
	// listener is down and never sees the answer.
	restore := rs.breakListener("replica-a")
	start := time.Now()
	run := rs.submit(a, f)
	waited := time.Since(start)
	restore()
	require.GreaterOrEqual(t, waited, remote, "A waited for an acknowledgement that never came")
	require.Contains(t, []string{string(store.RunDispatched), string(store.RunRunning)}, run.Status,
		"the run B took is not ended by A: %s %s", run.Status, run.Message)
	<-g.started // the plugin on B works on it

	g.open()
	ended := rs.waitEnd(a, run.ID)
	require.Equal(t, string(store.RunSucceeded), ended.Status, ended.Message)
	require.NotEmpty(t, ended.ExportID)
	mu.Lock()
	require.Empty(t, cancelled, "the plugin was never told to stop")
	mu.Unlock()
	var logs hubapi.RunLogsResponse
	a.api.JSON(t, http.MethodGet, "/api/runs/"+run.ID+"/logs", rs.adminKey, nil, http.StatusOK, &logs)
	for _, l := range logs.Logs {
		require.NotEqual(t, "ERROR", l.Level, "no error line: %s", l.Msg)
	}
}

func TestReplicas_LostAcknowledgementOfAnUntakenRunFailsIt(t *testing.T) {
	t.Parallel()
	rs := newReplicaSet(t)
	a := rs.start("replica-a")
	f := rs.fixture(a, "")
	// An instance on a replica that answers nothing (it crashed a moment
	// ago and its lease has not ended yet; a live replica cannot be made
	// to stay silent otherwise): the run was never taken, so A ends it,
	// and a late delivery by that replica finds it ended.
	ctx := context.Background()
	st := a.srv.Store()
	_, err := st.NodeRegister(ctx, &store.NodeLeaseParams{ID: "replica-ghost", Incarnation: "x", Lease: time.Hour})
	require.NoError(t, err)
	require.NoError(t, st.InstanceUpsert(ctx, &store.Instance{
		NodeID: "replica-ghost", ID: "ghost-socket", PluginID: f.plugin.ID, OrgID: rs.orgID, Connector: store.ConnectorWS,
	}))
	run := rs.submit(a, f)
	require.Equal(t, string(store.RunFailed), run.Status)
	require.Equal(t, runs.MsgReplicaNoAnswer, run.Message)
	_, err = st.RunSetStatus(ctx, &store.RunSetStatusParams{
		ID: run.ID, From: []store.RunStatus{store.RunDispatched}, FromNode: "replica-ghost", NotTaken: true, Take: true,
		Status: store.RunDispatched,
	})
	require.ErrorIs(t, err, store.ErrConflict, "the silent replica can no longer take the run")
}

func TestReplicas_CancelOfATakenRunWaitsForItsHolder(t *testing.T) {
	t.Parallel()
	rs := newReplicaSet(t)
	a := rs.startWith("replica-a", func(c *hub.Config) {
		rs.appName("replica-a")(c)
		c.Runs.RemoteTimeout = time.Second
	})
	b := rs.start("replica-b")
	f := rs.fixture(a, "")
	g := newGate(t)
	cancelled := make(chan string, 1)
	rs.connect(b, f, runstest.Options{Handler: g.handler, OnCancel: func(s string) { cancelled <- s }}, a)
	run := rs.submit(a, f)
	requireTaken(t, run)
	<-g.started

	// B does not answer A's cancel (A misses the answer): the run, which B
	// took, is not ended behind its plugin's back.
	restore := rs.breakListener("replica-a")
	a.api.JSON(t, http.MethodPost, "/api/runs/"+run.ID+"/cancel", rs.adminKey, nil, http.StatusServiceUnavailable, nil)
	restore()
	select {
	case <-cancelled:
		// B did get the request and cancelled the run: that is fine too.
		require.Equal(t, string(store.RunCancelled), rs.waitEnd(a, run.ID).Status)
	default:
		require.False(t, store.RunStatus(rs.run(a, run.ID).Status).Final(), "the run is still active")
		var out hubapi.RunResponse
		waittest.For(t, "A's listener is back", func() bool {
			resp := a.api.Do(t, http.MethodPost, "/api/runs/"+run.ID+"/cancel", rs.adminKey, nil)
			defer resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
		out = *rs.run(a, run.ID)
		require.Equal(t, string(store.RunCancelled), out.Status)
		select {
		case s := <-cancelled:
			require.Equal(t, run.ID, s)
		case <-time.After(20 * time.Second):
			t.Fatal("the plugin got no cancel event within 20s")
		}
	}
}

func TestReplicas_ResponseAfterTheHolderDiedIsKept(t *testing.T) {
	t.Parallel()
	rs := newReplicaSet(t)
	a := rs.startWith("replica-a", func(c *hub.Config) { c.Runs.RemoteTimeout = time.Second })
	b := rs.start("replica-b")
	f := rs.fixture(a, "")

	// The Go SDK connects through the load balancer; the first replica
	// B is alone, so the plugin's socket lands on it.
	a.leaveBalancer()
	started := make(chan *plugin.Request, 1)
	release := make(chan struct{})
	h := plugin.HandlerFunc(func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
		started <- req
		<-release
		req.Logger.Info("finished after the replica died")
		return &plugin.Response{File: bytes.NewReader(emptyZip), FileName: "kept.zip"}, nil
	})
	lost := make(chan struct{}, 1)
	rs.runSDK(f, h, plugin.WithOnDisconnect(func(error) {
		select {
		case lost <- struct{}{}:
		default:
		}
	}))
	waittest.For(t, "the SDK's instance listed", func() bool { return len(rs.instances(b, f)) == 1 })
	rs.join(a)

	run := rs.submit(a, f)
	requireTaken(t, run)
	req := <-started
	require.Equal(t, run.ID, req.Session)
	held, err := a.srv.Store().RunGetByID(context.Background(), run.ID)
	require.NoError(t, err)
	require.Equal(t, "replica-b", held.NodeID)

	// B dies while the plugin works; the plugin finishes, uploads through
	// the load balancer (now A only) and answers: A keeps the work.
	b.crash()
	<-lost
	close(release)
	ended := rs.waitEnd(a, run.ID)
	require.Equal(t, string(store.RunSucceeded), ended.Status, ended.Message)
	require.Equal(t, 1, ended.Attempt, "not done again")
	var exp hubapi.ExportResponse
	a.api.JSON(t, http.MethodGet, "/api/exports/"+ended.ExportID, rs.adminKey, nil, http.StatusOK, &exp)
	require.True(t, strings.HasSuffix(exp.ObjectKey, "/kept.zip"), "the upload the plugin made is kept: %s", exp.ObjectKey)
	var logs hubapi.RunLogsResponse
	a.api.JSON(t, http.MethodGet, "/api/runs/"+run.ID+"/logs", rs.adminKey, nil, http.StatusOK, &logs)
	var msgs []string
	for _, l := range logs.Logs {
		msgs = append(msgs, l.Msg)
	}
	require.Contains(t, msgs, "finished after the replica died", "the line sent after B died is kept")
}

func TestReplicas_QuickRestartRetriesTheRun(t *testing.T) {
	t.Parallel()
	rs := newReplicaSet(t)
	a, b := rs.start("replica-a"), rs.start("replica-b")
	f := rs.fixture(a, "")
	g := newGate(t)
	received := make(chan string, 2)
	// The instance on A is connected first, so the run goes to it; the
	// one on B takes the retry.
	rs.connect(a, f, runstest.Options{Handler: g.handler, OnRequest: func(*gateway.RunRequest, time.Time) { received <- "replica-a" }}, a)
	rs.connect(b, f, runstest.Options{OnRequest: func(*gateway.RunRequest, time.Time) { received <- "replica-b" }}, a)
	var run hubapi.RunResponse
	a.api.JSON(t, http.MethodPost, "/api/projects/"+f.projectID+"/plugins/"+f.plugin.ID+"/runs", rs.adminKey,
		map[string]any{"retries": 2}, http.StatusCreated, &run)
	require.Equal(t, "replica-a", <-received)
	<-g.started

	// A is killed and starts again at once, long before its lease ends.
	a.crash()
	a2 := rs.start("replica-a")
	ended := rs.waitEnd(a2, run.ID)
	require.Equal(t, string(store.RunSucceeded), ended.Status, ended.Message)
	require.Equal(t, 2, ended.Attempt)
	require.Equal(t, "replica-b", <-received)
	var logs hubapi.RunLogsResponse
	a2.api.JSON(t, http.MethodGet, "/api/runs/"+run.ID+"/logs", rs.adminKey, nil, http.StatusOK, &logs)
	require.Equal(t, "WARNING", logs.Logs[len(logs.Logs)-1].Level)
	require.Equal(t, "the hub replica running the run stopped; retrying (attempt 2 of 3)", logs.Logs[len(logs.Logs)-1].Msg)
}

func TestReplicas_DrainMovesIdleInstances(t *testing.T) {
	t.Parallel()
	rs := newReplicaSet(t)
	a, b := rs.start("replica-a"), rs.start("replica-b")
	f := rs.fixture(a, "")

	// An instance busy on A keeps A draining; the Go SDK's instance,
	// idle, is connected to A through the load balancer.
	g := newGate(t)
	rs.connect(a, f, runstest.Options{Handler: g.handler}, a)
	busy := rs.submit(a, f)
	<-g.started
	b.leaveBalancer()
	rs.runSDK(f, plugin.HandlerFunc(func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
		return &plugin.Response{File: bytes.NewReader(emptyZip), FileName: "moved.zip"}, nil
	}))
	waittest.For(t, "two instances on A", func() bool { return len(rs.instances(a, f)) == 2 })
	rs.join(b)

	// A drains (SIGTERM): its idle instance moves to B at once, and a run
	// requested meanwhile reaches it there.
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		a.stop()
	}()
	waittest.For(t, "the idle instance reconnected to B", func() bool {
		for _, inst := range rs.instances(b, f) {
			if inst.Node == "replica-b" {
				return true
			}
		}
		return false
	})
	run := rs.submit(b, f)
	ended := rs.waitEnd(b, run.ID)
	require.Equal(t, string(store.RunSucceeded), ended.Status, ended.Message)
	select {
	case <-stopped:
		t.Fatal("A stopped before its busy run ended")
	default:
	}
	g.open()
	<-stopped
	require.Equal(t, string(store.RunSucceeded), rs.waitEnd(b, busy.ID).Status)
}

// emptyZip is a valid zip with no entry.
var emptyZip = append([]byte("PK\x05\x06"), make([]byte, 18)...)

// runSDK runs a Go SDK plugin instance of f's plugin through the load
// balancer until the test ends.
func (rs *replicaSet) runSDK(f *runsFixture, h plugin.Handler, opts ...plugin.Option) {
	t := rs.t
	t.Helper()
	e, err := plugin.New(h, append([]plugin.Option{plugin.WithHost(rs.lbURL), plugin.WithCredentials(f.plugin.ID, f.plugin.Secret),
		plugin.WithReconnect(50*time.Millisecond, 500*time.Millisecond, 0), plugin.WithLogger(hubtest.NewLogger(t))}, opts...)...)
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		<-done
	})
}

// join puts replica r back into the load balancer.
func (rs *replicaSet) join(r *replica) {
	u, err := url.Parse(r.url)
	require.NoError(rs.t, err)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.backends = append(rs.backends, u)
}
