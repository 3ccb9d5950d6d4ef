package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/exporthub/exporthub/hub/store"
)

// Notifier carries messages between the hub processes that share a
// store. Both hub/store backends implement it: PostgreSQL with
// LISTEN/NOTIFY, SQLite in memory (its file serves one process).
// Implementations are safe for concurrent use.
type Notifier interface {
	// Notify sends payload (at most a few kilobytes of text) to every
	// listener of topic, in any process, this one included. Delivery is
	// not guaranteed: a listener that is reconnecting misses it.
	Notify(ctx context.Context, topic string, payload []byte) error
	// Listen calls handle with each notification of topics until ctx is
	// done, then returns ctx's error. listening, when not nil, is called
	// once the listener receives, and again after each reconnection
	// (notifications may have been missed meanwhile). handle and
	// listening must return quickly.
	Listen(ctx context.Context, topics []string, handle func(topic string, payload []byte), listening func()) error
}

// Topics of the replica messages.
const (
	// topicNodePrefix + a node id carries the requests to that node and
	// the acknowledgements of its requests.
	topicNodePrefix = "node:"
	// topicRuns carries "a run logged or ended" wake-ups for followers.
	topicRuns = "runs"
	// topicNotes carries "a notification was stored" wake-ups.
	topicNotes = "notifications"
	// topicPlugins carries plugin changes (disconnect, REST refresh).
	topicPlugins = "plugins"
)

// Operations of the replica messages.
const (
	opDispatch   = "dispatch"   // deliver Run to Instance (request)
	opCancel     = "cancel"     // cancel Run (request)
	opResponse   = "response"   // the plugin's Response to Run (request)
	opAck        = "ack"        // the answer to request ID
	opRun        = "run"        // Run logged or ended
	opNote       = "note"       // notification Note for User was stored
	opNoteRead   = "note-read"  // notifications of User were marked read
	opDisconnect = "disconnect" // disconnect the instances of Plugin, telling them Msg
	opRefresh    = "refresh"    // poll REST plugins now
)

// Results of acknowledgements.
const (
	resultOK      = "ok"
	resultGone    = "gone"     // the instance is not connected there
	resultEnded   = "ended"    // the run ended or is no longer dispatched there
	resultEnding  = "ending"   // the run is finishing (cancel refused)
	resultNotHere = "not_here" // the node does not hold the run
	resultFailed  = "failed"   // Msg says why
)

// message is what replicas send each other.
type message struct {
	Op string `json:"op"`
	// ID pairs a request with its acknowledgement.
	ID string `json:"id,omitempty"`
	// From is the sending node.
	From     string             `json:"from"`
	Run      string             `json:"run,omitempty"`
	Instance string             `json:"instance,omitempty"`
	Plugin   string             `json:"plugin,omitempty"`
	User     string             `json:"user,omitempty"`
	Note     string             `json:"note,omitempty"`
	Msg      string             `json:"msg,omitempty"`
	Result   string             `json:"result,omitempty"`
	Response *forwardedResponse `json:"response,omitempty"`
}

// forwardedResponse is what the holder of a run needs of a plugin's
// response received by another replica.
type forwardedResponse struct {
	Error  bool   `json:"error,omitempty"`
	URL    string `json:"url,omitempty"`
	HasURL bool   `json:"hasUrl,omitempty"`
}

// Errors of deliveries and requests.
var (
	// errInstanceGone: the chosen instance is not connected to its node
	// (any more), or the node is stopping.
	errInstanceGone = errors.New("the plugin instance is not connected any more")
	// errRunEnded: the run ended, or is no longer dispatched to the
	// instance.
	errRunEnded = errors.New("the run is no longer dispatched to the instance")
	// errNoAnswer: the other replica did not acknowledge in time.
	errNoAnswer = errors.New("no answer from the hub replica")
)

// nodeTopic returns the topic of a node's requests.
func nodeTopic(node string) string { return topicNodePrefix + node }

// startListener listens for replica messages and returns once it does.
func (m *Manager) startListener(ctx context.Context) error {
	ready := make(chan struct{})
	failed := make(chan error, 1)
	var once sync.Once
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		topics := []string{nodeTopic(m.node), topicRuns, topicNotes, topicPlugins}
		err := m.notifier.Listen(m.ctx, topics, m.onMessage, func() {
			first := false
			once.Do(func() {
				first = true
				close(ready)
			})
			if !first {
				// Wake-ups may have been missed while reconnecting.
				m.logWatch.notifyAll(struct{}{})
			}
		})
		if err != nil && m.ctx.Err() == nil {
			failed <- err
		}
	}()
	t := time.NewTimer(listenStartTimeout)
	defer t.Stop()
	select {
	case <-ready:
		return nil
	case err := <-failed:
		return fmt.Errorf("listen for replica messages: %w", err)
	case <-t.C:
		return fmt.Errorf("listen for replica messages: not listening after %s (see the logged errors)", listenStartTimeout)
	case <-ctx.Done():
		return fmt.Errorf("listen for replica messages: %w", ctx.Err())
	}
}

// listenStartTimeout bounds the wait for the replica messages' listener
// at Start.
const listenStartTimeout = 30 * time.Second

// onMessage handles a replica message; it runs on the listener's
// goroutine, so work that waits is done on another.
func (m *Manager) onMessage(topic string, payload []byte) {
	var msg message
	if err := json.Unmarshal(payload, &msg); err != nil {
		m.log.DebugContext(m.ctx, "replica message ignored: not JSON", slog.String("topic", topic), slog.Any(logKeyError, err))
		return
	}
	if topic != nodeTopic(m.node) && msg.From == m.node {
		return // a broadcast of ours, already applied here
	}
	switch msg.Op {
	case opAck:
		m.waitMu.Lock()
		ch := m.waiters[msg.ID]
		m.waitMu.Unlock()
		if ch != nil {
			select {
			case ch <- &msg:
			default:
			}
		}
	case opDispatch, opCancel, opResponse:
		if m.ctx.Err() != nil {
			return
		}
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.serve(&msg)
		}()
	case opRun:
		m.logWatch.notify(msg.Run, struct{}{})
	case opNote:
		if m.noteWatch.has(msg.User) && m.ctx.Err() == nil {
			m.wg.Add(1)
			go func() {
				defer m.wg.Done()
				m.relayNote(&msg)
			}()
		}
	case opNoteRead:
		m.noteWatch.notify(msg.User, nil)
	case opDisconnect:
		m.gw.DisconnectPlugin(msg.Plugin, msg.Msg)
	case opRefresh:
		m.gw.RefreshREST()
	}
}

// send sends msg (From set) to topic.
func (m *Manager) send(ctx context.Context, topic string, msg *message) error {
	msg.From = m.node
	b, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encode replica message: %w", err)
	}
	return m.notifier.Notify(ctx, topic, b)
}

// broadcast tells the other replicas about a change. It is best effort:
// a replica that misses it catches up by polling (log followers re-read
// the store every FollowInterval).
func (m *Manager) broadcast(topic string, msg *message) {
	if !m.replicas {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := m.send(ctx, topic, msg); err != nil {
		m.log.WarnContext(ctx, "tell the other replicas", slog.String("op", msg.Op), slog.Any(logKeyError, err))
	}
}

// wakeRun wakes the followers of a run's logs, here and on the other
// replicas: lines were stored or the run ended.
func (m *Manager) wakeRun(runID string) {
	m.logWatch.notify(runID, struct{}{})
	m.broadcast(topicRuns, &message{Op: opRun, Run: runID})
}

// request sends a request to node and waits, at most RemoteTimeout, for
// its acknowledgement; errNoAnswer when none came.
func (m *Manager) request(ctx context.Context, node string, msg *message) (*message, error) {
	msg.ID = store.NewID()
	ch := make(chan *message, 1)
	m.waitMu.Lock()
	m.waiters[msg.ID] = ch
	m.waitMu.Unlock()
	defer func() {
		m.waitMu.Lock()
		delete(m.waiters, msg.ID)
		m.waitMu.Unlock()
	}()
	if err := m.send(ctx, nodeTopic(node), msg); err != nil {
		return nil, fmt.Errorf("send %s to replica %s: %w", msg.Op, node, err)
	}
	t := time.NewTimer(m.cfg.RemoteTimeout)
	defer t.Stop()
	select {
	case ack := <-ch:
		return ack, nil
	case <-t.C:
		return nil, fmt.Errorf("%s of run %s on replica %s within %s: %w", msg.Op, msg.Run, node, m.cfg.RemoteTimeout, errNoAnswer)
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-m.ctx.Done():
		return nil, ErrClosed
	}
}

// serve carries out a request of another replica and acknowledges it.
func (m *Manager) serve(req *message) {
	ctx, cancel := context.WithTimeout(m.ctx, storeTimeout)
	defer cancel()
	ack := &message{Op: opAck, ID: req.ID, Run: req.Run, Result: resultOK}
	switch req.Op {
	case opDispatch:
		err := m.deliver(ctx, &handover{runID: req.Run, instanceID: req.Instance})
		switch {
		case err == nil:
		case errors.Is(err, errInstanceGone):
			ack.Result = resultGone
		case errors.Is(err, errRunEnded):
			ack.Result = resultEnded
		default:
			ack.Result, ack.Msg = resultFailed, err.Error()
		}
	case opCancel:
		_, err := m.cancelHere(req.Run)
		switch {
		case errors.Is(err, errNotHere):
			ack.Result = resultNotHere
		case errors.Is(err, ErrRunEnding):
			ack.Result = resultEnding
		}
	case opResponse:
		r := req.Response
		if r == nil {
			r = &forwardedResponse{}
		}
		if !m.acceptResponse(ctx, req.Run, r.event(req.Run)) {
			ack.Result = resultEnded
		}
	}
	if err := m.send(ctx, nodeTopic(req.From), ack); err != nil {
		m.log.WarnContext(ctx, "answer replica", slog.String("op", req.Op), slog.String(logKeyRun, req.Run), slog.Any(logKeyError, err))
	}
}

// register records this process as a node of the store (a lease that
// never ends when it is alone on the store), which also forgets the
// instances a previous process with this node id left.
func (m *Manager) register(ctx context.Context) error {
	p := &store.NodeLeaseParams{ID: m.node, Incarnation: m.incarnation}
	if m.replicas {
		p.Lease = m.cfg.NodeLease
	}
	prev, err := m.st.NodeRegister(ctx, p)
	if err != nil {
		return fmt.Errorf("register node: %w", err)
	}
	if m.replicas && prev != nil && prev.ExpiresAt != nil && !prev.Expired {
		m.log.WarnContext(ctx, "the previous process with this node id held its lease until now: "+
			"if it still runs, give each hub replica its own node id (EXPORTHUB_NODE_ID)",
			slog.Time("lease_end", *prev.ExpiresAt))
	}
	return nil
}

// release gives up the lease of a replica that stopped cleanly (no run
// left), with its instances, once the lease loop stopped.
func (m *Manager) release() {
	m.mu.Lock()
	ok := m.replicas && m.started && len(m.active) == 0 && m.retrying == 0
	stop, done := m.stopLease, m.leaseDone
	m.mu.Unlock()
	if !ok {
		return
	}
	if stop != nil {
		stop()
		<-done
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := m.st.NodeDelete(ctx, m.node, m.incarnation); err != nil {
		m.log.WarnContext(ctx, "give up the node's lease", slog.Any(logKeyError, err))
	}
}

// leaseLoop renews this replica's lease and ends the runs of replicas
// whose lease ended, every third of NodeLease, until ctx is done.
func (m *Manager) leaseLoop(ctx context.Context) {
	t := time.NewTicker(m.cfg.NodeLease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m.renew(ctx)
		m.sweep(ctx)
	}
}

// renew extends the lease. A lease found taken (another replica removed
// this one as stopped, or another process registered its node id) is
// registered again, with the instances, and the local runs the others
// ended are dropped.
func (m *Manager) renew(loop context.Context) {
	ctx, cancel := context.WithTimeout(loop, m.cfg.NodeLease/3)
	defer cancel()
	start := time.Now()
	err := m.st.NodeRenew(ctx, &store.NodeLeaseParams{ID: m.node, Incarnation: m.incarnation, Lease: m.cfg.NodeLease})
	switch {
	case err == nil:
		return
	case !errors.Is(err, store.ErrNotFound):
		if loop.Err() == nil {
			m.log.WarnContext(ctx, "renew the node's lease", slog.Duration("after", time.Since(start)), slog.Any(logKeyError, err))
		}
		return
	}
	m.log.ErrorContext(ctx, "this replica lost its lease (it was considered stopped, or another hub process uses its node id); registering again")
	if err := m.register(ctx); err != nil {
		m.log.ErrorContext(ctx, "register the node again", slog.Any(logKeyError, err))
		return
	}
	m.offerInstances(ctx)
	m.dropEndedRuns(ctx)
}

// dropEndedRuns forgets the local runs that another replica ended or
// retried in the store (after this one was considered stopped); their
// instances are told to stop.
func (m *Manager) dropEndedRuns(ctx context.Context) {
	m.mu.Lock()
	ids := make([]string, 0, len(m.active))
	for id := range m.active {
		ids = append(ids, id)
	}
	m.mu.Unlock()
	for _, id := range ids {
		r, err := m.st.RunGetByID(ctx, id)
		if err != nil {
			continue
		}
		m.mu.Lock()
		ar := m.active[id]
		m.mu.Unlock()
		if ar == nil || (!r.Status.Final() && r.Attempt == ar.run.Attempt && r.NodeID == m.node) {
			continue // still ours
		}
		if !m.claimExact(ar) {
			continue
		}
		ar.timer.Stop()
		m.mu.Lock()
		delete(m.active, id)
		m.mu.Unlock()
		m.gw.Cancel(id)
		m.log.WarnContext(ctx, "run ended or retried by another replica while this one was considered stopped",
			slog.String(logKeyRun, id), slog.String(logKeyStatus, string(r.Status)), slog.Int(logKeyAttempt, r.Attempt))
	}
}

// sweep ends, as lost with MsgReplicaStopped, the active runs held by
// nodes whose lease ended (or that have no row any more), or dispatches
// again those with retries left, then removes those nodes and their
// instances. Every replica sweeps; the store's conditional status change
// (status and attempt) lets one of them end or retry each run.
func (m *Manager) sweep(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	// Runs first, nodes second: a node registers before it holds runs, so
	// every run read here has its node in the list read after.
	active, err := m.st.RunListActive(ctx)
	if err != nil {
		m.sweepFailed(ctx, "list active runs", err)
		return
	}
	nodes, err := m.st.NodeList(ctx)
	if err != nil {
		m.sweepFailed(ctx, "list nodes", err)
		return
	}
	live := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		live[n.ID] = !n.Expired
	}
	for _, r := range active {
		if r.NodeID == m.node || live[r.NodeID] {
			continue
		}
		ended, err := m.sweepRun(ctx, r)
		if err != nil {
			m.sweepFailed(ctx, "end run", err)
			return
		}
		if ended != nil {
			m.log.InfoContext(ctx, "run of a stopped replica ended", slog.String(logKeyRun, r.ID), slog.String("held_by", r.NodeID))
		}
	}
	gone, err := m.st.NodeDeleteExpired(ctx)
	if err != nil {
		m.sweepFailed(ctx, "delete expired nodes", err)
		return
	}
	for _, id := range gone {
		m.log.InfoContext(ctx, "hub replica stopped: its lease ended", slog.String("stopped_node", id))
	}
}

func (m *Manager) sweepFailed(ctx context.Context, what string, err error) {
	if !errors.Is(err, context.Canceled) {
		m.log.WarnContext(ctx, "sweep stopped replicas: "+what, slog.Any(logKeyError, err))
	}
}
