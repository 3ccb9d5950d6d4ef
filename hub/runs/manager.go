package runs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/store"
)

// Errors of the Manager's methods.
var (
	// ErrClosed is returned by Submit once Shutdown or Close was called.
	ErrClosed = errors.New("runs: the hub is shutting down")
	// ErrRunEnded is returned by Cancel for a run already in a final state.
	ErrRunEnded = errors.New("runs: the run already ended")
	// ErrRunEnding is returned by Cancel for a run whose plugin already
	// answered (the export is being recorded).
	ErrRunEnding = errors.New("runs: the run is finishing and can no longer be cancelled")
	// ErrSessionMismatch is returned by PostLog and PostResponse when the
	// payload's session is not the run the token belongs to.
	ErrSessionMismatch = errors.New("runs: session does not match the run of the token")
	// ErrReplicaUnavailable is returned by PostResponse and Cancel when
	// the run is held by another hub replica that did not answer in time
	// (and, for Cancel, took the run: its plugin may be working on it).
	ErrReplicaUnavailable = errors.New("runs: the hub replica holding the run did not answer")
)

// ActiveStates are the states of a run that has not ended.
var ActiveStates = []store.RunStatus{store.RunQueued, store.RunDispatched, store.RunRunning, store.RunUploaded}

// storeTimeout bounds the store calls that end a run, which must not
// depend on a caller's context.
const storeTimeout = 30 * time.Second

// localNode is the node id of a hub alone on its store (no NodeID).
const localNode = "local"

// Manager dispatches runs and follows them to their end. It is safe for
// concurrent use. Create it with New, start it with Start (which ends runs
// left active by a previous process), stop it with Shutdown or Close.
type Manager struct {
	cfg Config
	st  store.Store
	gw  *gateway.Gateway
	log *slog.Logger

	// node is this process's node id (localNode when alone on the
	// store); replicas is true when it shares the store with others
	// (Config.NodeID set); incarnation tells this process from a previous
	// one with the same node id.
	node        string
	replicas    bool
	incarnation string
	notifier    Notifier // nil when alone

	logWatch  *broadcaster[struct{}]
	noteWatch *broadcaster[*store.Notification]
	hooks     *webhooks

	mu      sync.Mutex
	active  map[string]*activeRun
	closing bool
	closed  bool // Close began: no more goroutines are started
	started bool // Start succeeded: the node is registered
	// retrying counts the runs being dispatched again after their
	// instance was lost (they are in no map meanwhile).
	retrying int

	// instMu serialises the store writes that mirror this process's
	// instances; instLive is false until Start and after Shutdown began
	// (instances are then not offered to dispatches).
	instMu   sync.Mutex
	instLive bool

	waitMu  sync.Mutex
	waiters map[string]chan *message // request id -> its acknowledgement

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	// stopLease stops the lease loop (Shutdown, before giving the lease
	// up); leaseDone is closed when it returned. Both nil without it.
	stopLease context.CancelFunc
	leaseDone chan struct{}
	wg        sync.WaitGroup
	startOnce sync.Once
	stopOnce  sync.Once
}

// activeRun is the in-memory state of a run this process dispatched.
type activeRun struct {
	run        *store.Run // as inserted; immutable
	pluginName string
	timeout    time.Duration
	timer      *time.Timer

	// Guarded by Manager.mu.
	ending  bool // claimed by the code that ends it (or retries it)
	running bool // moved to running

	logs runLogs
}

// New returns a Manager and its gateway. Nothing runs until Start, but the
// gateway's Socket.IO endpoint (Handler) accepts plugin instances at once.
func New(cfg *Config) (*Manager, error) {
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{
		cfg:         c,
		st:          c.Store,
		log:         c.Logger.With(slog.String(logKeyComponent, "runs")),
		node:        cmp.Or(c.NodeID, localNode),
		replicas:    c.NodeID != "",
		incarnation: store.NewID(),
		logWatch:    newBroadcaster[struct{}](),
		noteWatch:   newBroadcaster[*store.Notification](),
		active:      make(map[string]*activeRun),
		waiters:     make(map[string]chan *message),
		ctx:         ctx,
		cancel:      cancel,
	}
	if m.replicas {
		m.notifier = c.Store.(Notifier) // checked by validate
		m.log = m.log.With(slog.String(logKeyNode, m.node))
	}
	m.hooks = newWebhooks(m)
	gc := c.Gateway
	gc.Plugins = c.Store
	gc.Events = gatewayEvents{m}
	gc.Box = c.Box
	if gc.Logger == nil {
		gc.Logger = c.Logger
	}
	gw, err := gateway.New(&gc)
	if err != nil {
		cancel()
		return nil, err
	}
	m.gw = gw
	return m, nil
}

// Handler returns the plugin gateway's Socket.IO endpoint; mount it at
// "/socket.io/".
func (m *Manager) Handler() http.Handler { return m.gw.Handler() }

// DefaultRunTimeout returns the timeout of runs of plugins whose
// RunTimeout is zero.
func (m *Manager) DefaultRunTimeout() time.Duration { return m.cfg.DefaultRunTimeout }

// Gateway returns the plugin gateway (instances, REST base URL checks).
func (m *Manager) Gateway() *gateway.Gateway { return m.gw }

// Start registers this process as a node of the store, ends the runs a
// previous process left active (every active run, as failed with
// MsgHubRestarted, when the process is alone on its store; with a
// NodeID, the runs the previous process with this NodeID held are
// retried or end as lost with MsgReplicaStopped, as those of a replica
// that stayed down), offers the connected
// instances to dispatches, and starts the REST poller, the webhook sender
// and, with a NodeID, the replica messages, the lease renewal and the
// sweeper of stopped replicas' runs. It returns once they run; a second
// call returns nil.
func (m *Manager) Start(ctx context.Context) error {
	var err error
	m.startOnce.Do(func() { err = m.start(ctx) })
	return err
}

func (m *Manager) start(ctx context.Context) error {
	if m.replicas {
		if err := m.startListener(ctx); err != nil {
			return err
		}
	}
	if err := m.register(ctx); err != nil {
		return err
	}
	if err := m.recover(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	m.started = true
	m.mu.Unlock()
	m.offerInstances(ctx)
	if m.replicas {
		lctx, stop := context.WithCancel(m.ctx)
		done := make(chan struct{})
		m.mu.Lock()
		m.stopLease, m.leaseDone = stop, done
		m.mu.Unlock()
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			defer close(done)
			m.leaseLoop(lctx)
		}()
	}
	m.hooks.start()
	return m.gw.Start(ctx)
}

// Shutdown refuses new runs, withdraws this process's instances from
// dispatch (with a NodeID: closes the sockets of idle instances, so that
// their plugins reconnect to another replica, and keeps handing runs to
// the others until they are idle too), and waits until the active runs
// end or ctx is done, then stops like Close. When no run is left, a replica also gives up its
// lease. Runs still active stay so in the store: they end as failed with
// MsgHubRestarted on the next Start, or, with a NodeID, as lost with
// MsgReplicaStopped by another replica once the lease ended. Safe to call
// without Start and more than once.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	m.closing = true
	m.mu.Unlock()
	if !m.replicas {
		m.withdrawInstances()
	}
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if m.replicas {
			// A draining replica closes the sockets of its idle instances
			// (at once, and each one as soon as its runs ended): their
			// plugins reconnect, through the load balancer, to another
			// replica. Until then its instances stay offered, and it takes
			// the runs the other replicas hand them.
			m.gw.DisconnectIdle()
		}
		if m.activeCount() == 0 {
			break
		}
		select {
		case <-ctx.Done():
			m.Close()
			return nil
		case <-t.C:
		}
	}
	m.withdrawInstances()
	m.hooks.drain(ctx)
	m.release()
	return m.Close()
}

// Close stops at once: the gateway disconnects every instance, uploads
// being checked are abandoned and pending webhooks dropped. Active runs
// stay so in the store (see Shutdown). A second call returns nil.
func (m *Manager) Close() error {
	m.stopOnce.Do(func() {
		m.mu.Lock()
		m.closing = true
		m.closed = true
		for _, ar := range m.active {
			ar.timer.Stop()
		}
		m.mu.Unlock()
		m.cancel()
		_ = m.gw.Close() // always nil
		m.wg.Wait()
		m.hooks.wait()
		m.logWatch.closeAll()
		m.noteWatch.closeAll()
	})
	return nil
}

// activeCount counts the runs this process holds or is dispatching
// again.
func (m *Manager) activeCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.active) + m.retrying
}

// recover ends the runs left active by a previous process: every active
// run (as failed) when this process is alone on the store; with replicas,
// those held by this node id (or by no node: runs of a hub version
// without nodes), which are retried or lost as sweep does for the runs of
// a replica whose lease ended.
func (m *Manager) recover(ctx context.Context) error {
	left, err := m.st.RunListActive(ctx)
	if err != nil {
		return fmt.Errorf("list active runs: %w", err)
	}
	for _, r := range left {
		if m.replicas && r.NodeID != m.node && r.NodeID != "" {
			continue // another replica's run
		}
		m.mu.Lock()
		_, mine := m.active[r.ID]
		m.mu.Unlock()
		if mine {
			continue
		}
		if m.replicas {
			// The previous process with this node id stopped, however
			// quickly this one started: its runs follow the rule of the
			// runs of a replica that stayed down (retried while they
			// have attempts left, lost otherwise).
			m.log.InfoContext(ctx, "run left active by the previous process of this node", slog.String(logKeyRun, r.ID), slog.String(logKeyStatus, string(r.Status)))
			if _, err := m.sweepRun(ctx, r); err != nil {
				return err
			}
			continue
		}
		m.log.InfoContext(ctx, "ending run left active by a previous process", slog.String(logKeyRun, r.ID), slog.String(logKeyStatus, string(r.Status)))
		if _, err := m.endInStore(ctx, r.ID, r.Attempt, store.RunFailed, MsgHubRestarted, true); err != nil {
			return err
		}
	}
	return nil
}

// endInStore ends a run that no goroutine of this process holds (left by
// a stopped process, never dispatched, or held by a replica that does not
// answer): it moves it to status with msg (noting msg in the run's log
// when note is set), revokes its token, wakes its followers and announces
// the end. With attempt set, only that attempt of the run is ended (not
// a retry another process started meanwhile). It returns the ended run,
// or nil when the run had already ended (or moved to another attempt).
func (m *Manager) endInStore(ctx context.Context, runID string, attempt int, status store.RunStatus, msg string, note bool) (*store.Run, error) {
	if note {
		// The note is stored before the run ends, as every line is (a
		// follower reads the status first, then the lines), and only
		// while this attempt is still active.
		cur, err := m.st.RunGetByID(ctx, runID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("get run %s: %w", runID, err)
		}
		if !slices.Contains(ActiveStates, cur.Status) || (attempt != 0 && cur.Attempt != attempt) {
			return nil, nil
		}
		m.appendNote(ctx, runID, gateway.LevelError, msg)
	}
	ended, err := m.st.RunSetStatus(ctx, &store.RunSetStatusParams{
		ID: runID, From: ActiveStates, FromAttempt: attempt, Status: status, Message: msg, At: time.Now().UTC(),
	})
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("end run %s: %w", runID, err)
	}
	if err := m.st.APIKeyRevokeForRun(ctx, runID, time.Now().UTC()); err != nil {
		return nil, fmt.Errorf("revoke token of run %s: %w", runID, err)
	}
	m.wakeRun(runID)
	m.announce(ctx, ended, "", nil)
	return ended, nil
}

// claim marks an active run as ending and returns it; false when the run
// is not active here or already ending.
func (m *Manager) claim(runID string) (*activeRun, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ar := m.active[runID]
	if ar == nil || ar.ending {
		return nil, false
	}
	ar.ending = true
	return ar, true
}

// claimExact is claim for one activeRun: false when ar is no longer the
// run's active state here (a timer of an attempt that was replaced).
func (m *Manager) claimExact(ar *activeRun) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.active[ar.run.ID] != ar || ar.ending {
		return false
	}
	ar.ending = true
	return true
}

// finish claims and ends a run; false when it was not active here or
// already ending.
func (m *Manager) finish(runID string, status store.RunStatus, msg string) bool {
	ar, ok := m.claim(runID)
	if !ok {
		return false
	}
	m.complete(ar, status, msg, nil)
	return true
}

// timeOut ends ar as timed out when its timer fires, unless it ended or
// was replaced meanwhile.
func (m *Manager) timeOut(ar *activeRun) {
	if m.claimExact(ar) {
		m.complete(ar, store.RunTimedOut, msgTimedOut(ar.timeout), nil)
	}
}

// complete ends a claimed run: it stores the pending logs, moves the run
// to its final status, frees the instance, revokes the run token, wakes
// log followers and announces the end. A run that another process
// retried meanwhile (this one was considered stopped) is only let go of:
// its instance is told to stop, and the new attempt is left alone.
func (m *Manager) complete(ar *activeRun, status store.RunStatus, msg string, exp *store.Export) *store.Run {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	id := ar.run.ID
	ar.timer.Stop()
	m.flushLogs(ctx, ar, true)
	p := &store.RunSetStatusParams{
		ID: id, From: ActiveStates, FromAttempt: ar.run.Attempt, FromNode: m.holderNode(), Status: status, Message: msg, At: time.Now().UTC(),
	}
	if exp != nil {
		p.ExportID = exp.ID
	}
	run, err := m.st.RunSetStatus(ctx, p)
	m.mu.Lock()
	if m.active[id] == ar {
		delete(m.active, id)
	}
	m.mu.Unlock()
	if errors.Is(err, store.ErrConflict) && m.superseded(ctx, ar.run) {
		m.gw.Cancel(id)
		m.log.WarnContext(ctx, "run retried or adopted elsewhere while this replica held it; letting it go",
			slog.String(logKeyRun, id), slog.Int(logKeyAttempt, ar.run.Attempt))
		return nil
	}
	if status == store.RunCancelled || status == store.RunTimedOut {
		// The plugin stops working on a run nobody waits for any more
		// (the Go SDK cancels the callback's context).
		m.gw.Cancel(id)
	} else {
		m.gw.Release(id)
	}
	if rerr := m.st.APIKeyRevokeForRun(ctx, id, time.Now().UTC()); rerr != nil {
		m.log.ErrorContext(ctx, "revoke run token", slog.String(logKeyRun, id), slog.Any(logKeyError, rerr))
	}
	m.wakeRun(id)
	if err != nil {
		m.log.ErrorContext(ctx, "end run", slog.String(logKeyRun, id), slog.String(logKeyStatus, string(status)), slog.Any(logKeyError, err))
		return nil
	}
	m.log.InfoContext(ctx, "run ended", slog.String(logKeyRun, id), slog.String(logKeyStatus, string(status)), slog.String("message", msg))
	m.announce(ctx, run, ar.pluginName, exp)
	return run
}

// markRunning moves a dispatched run to running on its first sign of life.
func (m *Manager) markRunning(ctx context.Context, ar *activeRun) {
	m.mu.Lock()
	if ar.running || ar.ending {
		m.mu.Unlock()
		return
	}
	ar.running = true
	m.mu.Unlock()
	_, err := m.st.RunSetStatus(ctx, &store.RunSetStatusParams{
		ID: ar.run.ID, From: []store.RunStatus{store.RunDispatched}, FromAttempt: ar.run.Attempt,
		Status: store.RunRunning, At: time.Now().UTC(),
	})
	if errors.Is(err, store.ErrConflict) {
		// Already past running (the response came first).
		return
	}
	if err != nil {
		m.log.WarnContext(ctx, "mark run running", slog.String(logKeyRun, ar.run.ID), slog.Any(logKeyError, err))
		return
	}
	m.wakeRun(ar.run.ID) // its followers show the new status
}

// NoteActivity records that the plugin working on a run called the hub
// (e.g. /v2/export with the run token): a dispatched run moves to running,
// whichever replica holds it. Unknown or ended runs are ignored.
func (m *Manager) NoteActivity(ctx context.Context, runID string) {
	if ar := m.activeRun(runID); ar != nil {
		m.markRunning(ctx, ar)
		return
	}
	if m.replicas {
		m.markRunningElsewhere(ctx, runID)
	}
}

// markRunningElsewhere moves a run held by another replica from
// dispatched to running in the store.
func (m *Manager) markRunningElsewhere(ctx context.Context, runID string) {
	_, err := m.st.RunSetStatus(ctx, &store.RunSetStatusParams{
		ID: runID, From: []store.RunStatus{store.RunDispatched}, Status: store.RunRunning, At: time.Now().UTC(),
	})
	switch {
	case err == nil:
		m.wakeRun(runID) // its followers show the new status
	case !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound):
		m.log.WarnContext(ctx, "mark run running", slog.String(logKeyRun, runID), slog.Any(logKeyError, err))
	}
}

// activeRun returns the active run runID, or nil.
func (m *Manager) activeRun(runID string) *activeRun {
	m.mu.Lock()
	defer m.mu.Unlock()
	ar := m.active[runID]
	if ar == nil || ar.ending {
		return nil
	}
	return ar
}
