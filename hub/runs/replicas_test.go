package runs_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/runs/runstest"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/waittest"
	"github.com/exporthub/exporthub/web"
)

// replicaSet is a load balancer in front of hub replicas that share one
// PostgreSQL schema, one blob directory and one hub key, as a scale-out
// deployment does (the load balancer's URL is every replica's public URL,
// so presigned URLs work through any replica).
type replicaSet struct {
	t        testing.TB
	lbURL    string
	dbURL    string
	blobURL  string
	hubKey   string
	adminKey string
	orgID    string
	adminID  string

	mu       sync.Mutex
	backends []*url.URL
	next     int
	// apps holds the application_name of the replicas started with
	// appName, by node.
	apps map[string]string
}

// replica is one hub process of a replicaSet.
type replica struct {
	rs   *replicaSet
	node string
	srv  *hub.Server
	url  string
	hs   *http.Server
	// api talks to this replica directly.
	api *hubtest.Hub

	stopOnce sync.Once
}

func newReplicaSet(t testing.TB) *replicaSet {
	t.Helper()
	dbURL := hubtest.PostgresURL(t) // skips without PostgreSQL (fails with CI=true)
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails on supported platforms
	admin, _, _ := auth.NewKey(auth.KeyPrefix)
	rs := &replicaSet{
		t: t, dbURL: dbURL, blobURL: "file://" + t.TempDir(),
		hubKey: base64.StdEncoding.EncodeToString(key), adminKey: admin,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	rs.lbURL = "http://" + ln.Addr().String()
	lb := &http.Server{Handler: http.HandlerFunc(rs.balance), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = lb.Serve(ln) }() // returns ErrServerClosed at cleanup
	t.Cleanup(func() { _ = lb.Close() })
	return rs
}

// balance sends each request to the next replica, round robin.
func (rs *replicaSet) balance(w http.ResponseWriter, r *http.Request) {
	rs.mu.Lock()
	if len(rs.backends) == 0 {
		rs.mu.Unlock()
		http.Error(w, "no replica", http.StatusBadGateway)
		return
	}
	target := rs.backends[rs.next%len(rs.backends)]
	rs.next++
	rs.mu.Unlock()
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	proxy.ServeHTTP(w, r)
}

// start starts a replica with node id node.
func (rs *replicaSet) start(node string) *replica {
	rs.t.Helper()
	return rs.startWith(node, nil)
}

// startWith starts a replica with node id node, its configuration
// changed by tune (when not nil).
func (rs *replicaSet) startWith(node string, tune func(*hub.Config)) *replica {
	t := rs.t
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cfg := &hub.Config{
		DataDir:      t.TempDir(),
		Listen:       ln.Addr().String(),
		PublicURL:    rs.lbURL,
		DatabaseURL:  rs.dbURL,
		BlobURL:      rs.blobURL,
		HubKey:       rs.hubKey,
		BootstrapKey: rs.adminKey,
		NodeID:       node,
		NodeLease:    3 * time.Second,
		Logger:       hubtest.NewLogger(t),
	}
	cfg.Runs.LogFlushInterval = 10 * time.Millisecond
	// Followers re-read the store only once a minute on their own: what
	// they see sooner came through the replicas' wake-ups.
	cfg.Runs.FollowInterval = time.Minute
	if tune != nil {
		tune(cfg)
	}
	ctx := context.Background()
	s, err := hub.New(ctx, cfg)
	if err != nil {
		ln.Close()
		require.NoError(t, err, "start replica %s", node)
	}
	if b := s.Bootstrap(); b != nil {
		rs.orgID, rs.adminID = b.OrgID, b.UserID
	}
	r := &replica{rs: rs, node: node, srv: s, url: "http://" + ln.Addr().String()}
	r.api = &hubtest.Hub{Server: s, URL: r.url, AdminKey: rs.adminKey, OrgID: rs.orgID}
	r.hs = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.hs.Serve(ln) }() // returns ErrServerClosed when stopped
	require.NoError(t, s.Start(ctx))
	u, err := url.Parse(r.url)
	require.NoError(t, err)
	rs.mu.Lock()
	rs.backends = append(rs.backends, u)
	rs.mu.Unlock()
	t.Cleanup(r.stop)
	return r
}

// leaveBalancer takes the replica out of the load balancer.
func (r *replica) leaveBalancer() {
	r.rs.mu.Lock()
	defer r.rs.mu.Unlock()
	for i, u := range r.rs.backends {
		if "http://"+u.Host == r.url {
			r.rs.backends = append(r.rs.backends[:i:i], r.rs.backends[i+1:]...)
			return
		}
	}
}

// stop shuts the replica down gracefully.
func (r *replica) stop() {
	r.stopOnce.Do(func() {
		r.leaveBalancer()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.hs.Shutdown(ctx)
		_ = r.srv.Shutdown(ctx)
		require.NoError(r.rs.t, r.srv.Close())
	})
}

// crash stops the replica at once: its connections close, its runs stay
// active in the database and its lease is left to expire, as when the
// process is killed.
func (r *replica) crash() {
	r.stopOnce.Do(func() {
		r.leaveBalancer()
		_ = r.hs.Close()
		require.NoError(r.rs.t, r.srv.Close())
	})
}

// runsFixture is a project with one asset and an enabled plugin, made
// through replica r.
type runsFixture struct {
	projectID string
	plugin    *hubapi.PluginSecretResponse
}

func (rs *replicaSet) fixture(r *replica, runTimeout string) *runsFixture {
	t := rs.t
	t.Helper()
	var p hubapi.ProjectResponse
	r.api.JSON(t, http.MethodPost, "/api/projects", rs.adminKey, map[string]any{"name": "replicas"}, http.StatusCreated, &p)
	asset := `{"asset":"https://a.example/1.jpg","externalId":"1.jpg","task":{"taskId":"t1","stage":"Complete","stageId":"Complete","tools":[],"classifications":[],"relations":[]}}` + "\n"
	r.api.JSON(t, http.MethodPost, "/api/projects/"+p.ID+"/import", rs.adminKey, asset, http.StatusOK, nil)
	req := map[string]any{"name": "plugin " + store.NewID()[:8]}
	if runTimeout != "" {
		req["runTimeout"] = runTimeout
	}
	var pl hubapi.PluginSecretResponse
	r.api.JSON(t, http.MethodPost, "/api/plugins", rs.adminKey, req, http.StatusCreated, &pl)
	r.api.JSON(t, http.MethodPost, "/api/projects/"+p.ID+"/plugins/"+pl.ID, rs.adminKey, nil, http.StatusOK, nil)
	return &runsFixture{projectID: p.ID, plugin: &pl}
}

// connect connects a plugin instance to replica r (its HTTP calls go to
// the load balancer unless o.APIHost is set) and waits until replica via
// lists it.
func (rs *replicaSet) connect(r *replica, f *runsFixture, o runstest.Options, via *replica) *runstest.Plugin {
	t := rs.t
	t.Helper()
	before := len(rs.instances(via, f))
	o.Host, o.ID, o.Secret = r.url, f.plugin.ID, f.plugin.Secret
	if o.APIHost == "" {
		o.APIHost = rs.lbURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := runstest.Connect(ctx, o)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	waittest.For(t, "the instance listed through "+via.node, func() bool { return len(rs.instances(via, f)) == before+1 })
	return p
}

func (rs *replicaSet) instances(r *replica, f *runsFixture) []hubapi.InstanceResponse {
	var got hubapi.PluginResponse
	r.api.JSON(rs.t, http.MethodGet, "/api/plugins/"+f.plugin.ID, rs.adminKey, nil, http.StatusOK, &got)
	return got.Instances
}

// submit starts a run through replica r.
func (rs *replicaSet) submit(r *replica, f *runsFixture) *hubapi.RunResponse {
	var run hubapi.RunResponse
	r.api.JSON(rs.t, http.MethodPost, "/api/projects/"+f.projectID+"/plugins/"+f.plugin.ID+"/runs", rs.adminKey, nil, http.StatusCreated, &run)
	return &run
}

// requireTaken requires a run an instance took (dispatched, or already
// running).
func requireTaken(t *testing.T, run *hubapi.RunResponse) {
	t.Helper()
	require.Contains(t, []string{string(store.RunDispatched), string(store.RunRunning)}, run.Status,
		"run %s: %s: %s", run.ID, run.Status, run.Message)
}

func (rs *replicaSet) run(r *replica, id string) *hubapi.RunResponse {
	var run hubapi.RunResponse
	r.api.JSON(rs.t, http.MethodGet, "/api/runs/"+id, rs.adminKey, nil, http.StatusOK, &run)
	return &run
}

// waitEnd waits until a run ended, reading it through replica r.
func (rs *replicaSet) waitEnd(r *replica, id string) *hubapi.RunResponse {
	var run *hubapi.RunResponse
	waittest.For(rs.t, "run "+id+" to end", func() bool {
		run = rs.run(r, id)
		return store.RunStatus(run.Status).Final()
	})
	return run
}

// sseEvent is one server-sent event.
type sseEvent struct {
	name, data string
}

// stream opens a text/event-stream GET on replica r and returns its
// events as they come.
func (rs *replicaSet) stream(r *replica, path string) <-chan sseEvent {
	t := rs.t
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url+path, nil)
	require.NoError(t, err)
	req.Header.Set(auth.HeaderAPIKey, rs.adminKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := make(chan sseEvent, 100)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			case line == "" && ev.name != "":
				out <- ev
				ev = sseEvent{}
			}
		}
	}()
	return out
}

// nextEvent returns the next event named name, skipping others.
func nextEvent(t *testing.T, events <-chan sseEvent, name string) sseEvent {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			require.True(t, ok, "the stream ended before a %q event", name)
			if ev.name == name {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %q event within 20s", name)
		}
	}
}

// gate blocks plugin runs until released; started receives the session
// of each run that reached the gate (its export read).
type gate struct {
	once    sync.Once
	ch      chan struct{}
	started chan string
}

func newGate(t testing.TB) *gate {
	g := &gate{ch: make(chan struct{}), started: make(chan string, 100)}
	t.Cleanup(g.open) // before the instances close (cleanups run last first)
	return g
}

func (g *gate) open() { g.once.Do(func() { close(g.ch) }) }

// handler logs a line, waits for the gate, then makes the tiny zip.
func (g *gate) handler(ctx context.Context, r *runstest.Run) (string, []byte, error) {
	r.Log("INFO", "started on the plugin", nil)
	g.started <- r.Request.Session
	select {
	case <-g.ch:
	case <-ctx.Done():
		return "", nil, ctx.Err()
	}
	r.Log("INFO", "done waiting", nil)
	return runstest.TinyZip(ctx, r)
}

func TestReplicas_RunOnAnotherReplica(t *testing.T) {
	t.Parallel()
	rs := newReplicaSet(t)
	a, b := rs.start("replica-a"), rs.start("replica-b")
	f := rs.fixture(a, "")
	g := newGate(t)
	rs.connect(b, f, runstest.Options{Handler: g.handler}, a)

	// The API and the web UI's Development box on A list the instance
	// connected to B.
	insts := rs.instances(a, f)
	require.Len(t, insts, 1)
	require.Equal(t, "replica-b", insts[0].Node)
	require.Equal(t, insts[0].ID, rs.uiInstances(a, f)[0].ID)

	notes := rs.stream(a, "/api/notifications/stream")
	nextEvent(t, notes, "unread")
	run := rs.submit(a, f)
	requireTaken(t, run)
	held, err := a.srv.Store().RunGetByID(context.Background(), run.ID)
	require.NoError(t, err)
	require.Equal(t, "replica-b", held.NodeID, "B holds the run")

	logs := rs.stream(a, "/api/runs/"+run.ID+"/logs/stream")
	first := nextEvent(t, logs, "log")
	require.Contains(t, first.data, "started on the plugin", "a line the plugin sent to B streams through A")
	g.open()
	require.Contains(t, nextEvent(t, logs, "log").data, "done waiting")
	var end hubapi.RunEndEvent
	require.NoError(t, json.Unmarshal([]byte(nextEvent(t, logs, "end").data), &end))
	require.Equal(t, string(store.RunSucceeded), end.Status)

	var note hubapi.NotificationResponse
	require.NoError(t, json.Unmarshal([]byte(nextEvent(t, notes, "notification").data), &note))
	require.Regexp(t, `^Export ready: replicas-plugin_[0-9a-f]+-\d{8}T\d{6}Z\.zip — Download$`, note.Title, "the notification B stored shows on A")
	require.Equal(t, run.ID, note.RunID)

	// The export recorded by B downloads through A.
	resp := a.api.Do(t, http.MethodGet, "/api/exports/"+end.ExportID+"/download", rs.adminKey, nil)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	require.NoError(t, err)
	require.Equal(t, "result.txt", zr.File[0].Name)
}

// uiInstances lists a plugin's instances as the web UI's Development box
// does, signed in on replica r.
func (rs *replicaSet) uiInstances(r *replica, f *runsFixture) []web.Instance {
	t := rs.t
	t.Helper()
	value := "replica-session-" + store.NewID() + store.NewID()
	sum := sha256.Sum256([]byte(value))
	// A session lives as long as the key it was signed in with.
	key, err := r.srv.Store().APIKeyGetByHash(context.Background(), auth.HashKey(rs.adminKey))
	require.NoError(t, err)
	require.NoError(t, r.srv.Store().WebSessionInsert(context.Background(), &store.WebSession{
		Hash: sum[:], UserID: rs.adminID, OrgID: rs.orgID, CSRFToken: "t", APIKeyID: key.ID, ExpiresAt: time.Now().Add(time.Hour),
	}))
	req, err := http.NewRequest(http.MethodGet, r.url+"/ui/plugins/"+f.plugin.ID+"/instances", nil)
	require.NoError(t, err)
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: value})
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out web.InstancesResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out.Instances
}

func TestReplicas_InstancesShareRuns(t *testing.T) {
	t.Parallel()
	rs := newReplicaSet(t)
	a, b := rs.start("replica-a"), rs.start("replica-b")
	f := rs.fixture(a, "")
	g := newGate(t)
	var (
		mu       sync.Mutex
		received = map[string][]string{} // session -> replicas whose instance got it
	)
	on := func(node string) func(*gateway.RunRequest, time.Time) {
		return func(req *gateway.RunRequest, _ time.Time) {
			mu.Lock()
			defer mu.Unlock()
			received[req.Session] = append(received[req.Session], node)
		}
	}
	rs.connect(a, f, runstest.Options{Handler: g.handler, OnRequest: on("replica-a")}, a)
	rs.connect(b, f, runstest.Options{Handler: g.handler, OnRequest: on("replica-b")}, a)

	var ids []string
	for i := range 6 {
		via := a
		if i%2 == 1 {
			via = b
		}
		run := rs.submit(via, f)
		requireTaken(t, run)
		ids = append(ids, run.ID)
	}
	waittest.For(t, "6 runs received", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(received) == 6
	})
	perReplica := map[string]int{}
	mu.Lock()
	for _, id := range ids {
		require.Len(t, received[id], 1, "run %s reached exactly one instance", id)
		perReplica[received[id][0]]++
	}
	mu.Unlock()
	require.Equal(t, map[string]int{"replica-a": 3, "replica-b": 3}, perReplica, "the least busy instance, whichever replica asks")
	insts := rs.instances(b, f)
	require.Len(t, insts, 2)
	require.Equal(t, 3, insts[0].Runs)
	require.Equal(t, 3, insts[1].Runs)

	g.open()
	for _, id := range ids {
		require.Equal(t, string(store.RunSucceeded), rs.waitEnd(a, id).Status)
	}
}

func TestReplicas_CancelReachesTheHolder(t *testing.T) {
	t.Parallel()
	rs := newReplicaSet(t)
	a, b := rs.start("replica-a"), rs.start("replica-b")
	f := rs.fixture(a, "")
	g := newGate(t)
	cancelled := make(chan string, 1)
	rs.connect(b, f, runstest.Options{Handler: g.handler, OnCancel: func(s string) { cancelled <- s }}, a)

	run := rs.submit(a, f)
	requireTaken(t, run)
	var out hubapi.RunResponse
	a.api.JSON(t, http.MethodPost, "/api/runs/"+run.ID+"/cancel", rs.adminKey, nil, http.StatusOK, &out)
	require.Equal(t, string(store.RunCancelled), out.Status)
	require.Equal(t, runs.MsgCancelled, out.Message)
	select {
	case s := <-cancelled:
		require.Equal(t, run.ID, s, "the plugin on B got the cancel event")
	case <-time.After(20 * time.Second):
		t.Fatal("the plugin on B got no cancel event within 20s")
	}
	require.Equal(t, 0, rs.instances(a, f)[0].Runs, "B released the instance")
	a.api.JSON(t, http.MethodPost, "/api/runs/"+run.ID+"/cancel", rs.adminKey, nil, http.StatusConflict, nil)
}

func TestReplicas_HolderCrashes(t *testing.T) {
	t.Parallel()
	rs := newReplicaSet(t)
	a, b := rs.start("replica-a"), rs.start("replica-b")
	f := rs.fixture(a, "")
	g := newGate(t)
	started := make(chan struct{}, 1)
	rs.connect(b, f, runstest.Options{Handler: g.handler, OnRequest: func(*gateway.RunRequest, time.Time) { started <- struct{}{} }}, a)
	notes := rs.stream(a, "/api/notifications/stream")
	nextEvent(t, notes, "unread")

	run := rs.submit(a, f)
	requireTaken(t, run)
	<-started
	b.crash()

	ended := rs.waitEnd(a, run.ID)
	require.Equal(t, string(store.RunLost), ended.Status)
	require.Equal(t, runs.MsgReplicaStopped, ended.Message)
	var note hubapi.NotificationResponse
	require.NoError(t, json.Unmarshal([]byte(nextEvent(t, notes, "notification").data), &note))
	require.Equal(t, "Export failed: "+f.plugin.Name+" — "+runs.MsgReplicaStopped, note.Title)
	var logs hubapi.RunLogsResponse
	a.api.JSON(t, http.MethodGet, "/api/runs/"+run.ID+"/logs", rs.adminKey, nil, http.StatusOK, &logs)
	require.Equal(t, runs.MsgReplicaStopped, logs.Logs[len(logs.Logs)-1].Msg)
	require.Empty(t, rs.instances(a, f), "the stopped replica's instance is gone")
	waittest.For(t, "B's lease removed", func() bool {
		nodes, err := a.srv.Store().NodeList(context.Background())
		require.NoError(t, err)
		return len(nodes) == 1 && nodes[0].ID == "replica-a"
	})
}

func TestReplicas_HolderCrashesRunRetried(t *testing.T) {
	t.Parallel()
	rs := newReplicaSet(t)
	a, b := rs.start("replica-a"), rs.start("replica-b")
	f := rs.fixture(a, "")
	g := newGate(t)
	received := make(chan string, 2)
	// The instance on B is connected first, so the run goes to it (ties
	// go to the oldest connection); the one on A takes the retry.
	rs.connect(b, f, runstest.Options{Handler: g.handler, OnRequest: func(*gateway.RunRequest, time.Time) { received <- "replica-b" }}, a)
	rs.connect(a, f, runstest.Options{OnRequest: func(*gateway.RunRequest, time.Time) { received <- "replica-a" }, Handler: func(ctx context.Context, r *runstest.Run) (string, []byte, error) {
		r.Log("INFO", "retried on A", nil)
		return runstest.TinyZip(ctx, r)
	}}, a)

	var run hubapi.RunResponse
	a.api.JSON(t, http.MethodPost, "/api/projects/"+f.projectID+"/plugins/"+f.plugin.ID+"/runs", rs.adminKey,
		map[string]any{"retries": 2}, http.StatusCreated, &run)
	requireTaken(t, &run)
	require.Equal(t, "replica-b", <-received)
	<-g.started
	waittest.For(t, "the plugin's line stored", func() bool {
		var logs hubapi.RunLogsResponse
		a.api.JSON(t, http.MethodGet, "/api/runs/"+run.ID+"/logs", rs.adminKey, nil, http.StatusOK, &logs)
		return len(logs.Logs) == 1
	})
	b.crash()

	// Once B's lease ended, A finds the run of a stopped replica and,
	// with retries left, dispatches it again: to the instance on A.
	ended := rs.waitEnd(a, run.ID)
	require.Equal(t, string(store.RunSucceeded), ended.Status, ended.Message)
	require.Equal(t, 2, ended.Attempt)
	require.Equal(t, "replica-a", <-received)
	var logs hubapi.RunLogsResponse
	a.api.JSON(t, http.MethodGet, "/api/runs/"+run.ID+"/logs", rs.adminKey, nil, http.StatusOK, &logs)
	var lines []string
	for _, l := range logs.Logs {
		lines = append(lines, l.Level+" "+l.Msg)
	}
	require.Equal(t, []string{
		"INFO started on the plugin",
		"WARNING the hub replica running the run stopped; retrying (attempt 2 of 3)",
		"INFO retried on A",
	}, lines)
	held, err := a.srv.Store().RunGetByID(context.Background(), run.ID)
	require.NoError(t, err)
	require.Equal(t, "replica-a", held.NodeID)
}

func TestReplicas_RestartSparesOtherReplicasRuns(t *testing.T) {
	t.Parallel()
	rs := newReplicaSet(t)
	a, b := rs.start("replica-a"), rs.start("replica-b")
	f := rs.fixture(a, "")
	g := newGate(t)
	received := make(chan string, 2)
	onRequest := func(req *gateway.RunRequest, _ time.Time) { received <- req.Session }
	rs.connect(a, f, runstest.Options{Handler: g.handler, OnRequest: onRequest}, a)
	rs.connect(b, f, runstest.Options{Handler: g.handler, OnRequest: onRequest}, a)
	onA, onB := rs.submit(a, f), rs.submit(a, f)
	for range 2 {
		<-received
		<-g.started // the plugins are done with the replicas until the gate opens
	}
	heldA, err := a.srv.Store().RunGetByID(context.Background(), onA.ID)
	require.NoError(t, err)
	require.Equal(t, "replica-a", heldA.NodeID, "the first run went to the instance connected first")

	a.crash()
	a2 := rs.start("replica-a")
	ended := rs.waitEnd(a2, onA.ID)
	// A's restart ends it as B would once A's lease ended.
	require.Equal(t, string(store.RunLost)+": "+runs.MsgReplicaStopped, ended.Status+": "+ended.Message)
	require.False(t, store.RunStatus(rs.run(a2, onB.ID).Status).Final(), "A's restart leaves B's run alone")

	g.open()
	endB := rs.waitEnd(b, onB.ID)
	require.Equal(t, string(store.RunSucceeded), endB.Status, endB.Message)
}

func TestReplicas_CallbacksThroughAnotherReplica(t *testing.T) {
	t.Parallel()
	rs := newReplicaSet(t)
	a, b := rs.start("replica-a"), rs.start("replica-b")
	f := rs.fixture(a, "")
	// The instance is connected to B but posts its logs and response to
	// A, as a plugin behind the load balancer may.
	rs.connect(b, f, runstest.Options{APIHost: a.url, HTTPCallbacks: true, Handler: func(ctx context.Context, r *runstest.Run) (string, []byte, error) {
		r.Log("WARNING", "posted to A", map[string]any{"rows": 1})
		return runstest.TinyZip(ctx, r)
	}}, a)
	run := rs.submit(b, f)
	ended := rs.waitEnd(a, run.ID)
	require.Equal(t, string(store.RunSucceeded), ended.Status, ended.Message)
	var logs hubapi.RunLogsResponse
	b.api.JSON(t, http.MethodGet, "/api/runs/"+run.ID+"/logs", rs.adminKey, nil, http.StatusOK, &logs)
	require.Len(t, logs.Logs, 1)
	require.Equal(t, "posted to A", logs.Logs[0].Msg)
	require.Equal(t, "WARNING", logs.Logs[0].Level)
}

func TestReplicas_RotatedSecretDisconnectsEverywhere(t *testing.T) {
	t.Parallel()
	rs := newReplicaSet(t)
	a, b := rs.start("replica-a"), rs.start("replica-b")
	f := rs.fixture(a, "")
	p := rs.connect(b, f, runstest.Options{}, a)
	a.api.JSON(t, http.MethodPost, "/api/plugins/"+f.plugin.ID+"/rotate-secret", rs.adminKey, nil, http.StatusOK, nil)
	waittest.For(t, "the instance on B disconnected", func() bool { return !p.Connected() })
	waittest.For(t, "no instance listed", func() bool { return len(rs.instances(a, f)) == 0 })
}

func TestReplicas_HubKeyMustBeShared(t *testing.T) {
	t.Parallel()
	rs := newReplicaSet(t)
	a := rs.start("replica-a")
	f := rs.fixture(a, "")

	// A replica with a key of its own would sign URLs the others reject.
	other := make([]byte, 32)
	_, _ = rand.Read(other) // crypto/rand.Read never fails on supported platforms
	_, err := hub.New(context.Background(), &hub.Config{
		DataDir: t.TempDir(), PublicURL: rs.lbURL, DatabaseURL: rs.dbURL, BlobURL: rs.blobURL,
		HubKey: base64.StdEncoding.EncodeToString(other), NodeID: "replica-x", Logger: hubtest.NewLogger(t),
	})
	require.ErrorIs(t, err, hub.ErrHubKeyMismatch)
	require.ErrorContains(t, err, "EXPORTHUB_HUB_KEY")

	// With the shared key, what one replica signs works on another.
	b := rs.start("replica-b")
	var up struct {
		UploadURL string `json:"uploadUrl"`
	}
	token := runToken(t, rs, a, f)
	getData(t, a.url+"/v2/getUploadUrl?"+url.Values{"name": {"x.zip"}, "project": {f.projectID}, "type": {"exports"}}.Encode(), token, &up)
	require.True(t, strings.HasPrefix(up.UploadURL, rs.lbURL+"/"), "presigned URLs point at the load balancer: %s", up.UploadURL)
	onB := strings.Replace(up.UploadURL, rs.lbURL, b.url, 1)
	req, err := http.NewRequest(http.MethodPut, onB, strings.NewReader("zip bytes"))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "B accepts the URL A signed")
}

// runToken starts a run of a plugin instance that holds it until the test
// ends and returns the run's token.
func runToken(t *testing.T, rs *replicaSet, r *replica, f *runsFixture) string {
	t.Helper()
	g := newGate(t)
	tokens := make(chan string, 1)
	rs.connect(r, f, runstest.Options{SkipExport: true, Handler: g.handler,
		OnRequest: func(req *gateway.RunRequest, _ time.Time) { tokens <- req.APIKey }}, r)
	rs.submit(r, f)
	select {
	case tok := <-tokens:
		return tok
	case <-time.After(20 * time.Second):
		t.Fatal("no run request within 20s")
		return ""
	}
}

// getData calls a /v2 GET endpoint with a run token and decodes data.
func getData(t *testing.T, u, token string, out any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(t, err)
	req.Header.Set("apikey", token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	require.NoError(t, json.Unmarshal(b, &struct {
		Data any `json:"data"`
	}{Data: out}))
}
