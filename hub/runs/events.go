package runs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/store"
)

// gatewayEvents receives what the gateway reports.
type gatewayEvents struct{ m *Manager }

var _ gateway.Events = gatewayEvents{}

// PluginLog stores a log line of a run the instance holds, or of a run
// of its plugin that another process holds (see reconnected).
func (e gatewayEvents) PluginLog(ctx context.Context, inst gateway.InstanceInfo, ev *gateway.LogEvent) {
	if !e.m.gw.Holds(inst.ID, ev.Session) {
		if e.m.reconnected(ctx, inst, ev.Session) {
			if err := e.m.logElsewhere(ctx, ev.Session, ev); err != nil {
				e.m.log.WarnContext(ctx, "store a log line of a run held elsewhere", slog.String(logKeyRun, ev.Session), slog.Any(logKeyError, err))
			}
			return
		}
		e.m.log.DebugContext(ctx, "log ignored: the instance does not hold that run", slog.String(logKeyInstance, inst.ID), slog.String(logKeyRun, ev.Session))
		return
	}
	e.m.acceptLog(ctx, ev.Session, ev)
}

// PluginResponse ends a run the instance holds, or a run of its plugin
// that another process holds (see reconnected).
func (e gatewayEvents) PluginResponse(ctx context.Context, inst gateway.InstanceInfo, ev *gateway.ResponseEvent) {
	if !e.m.gw.Holds(inst.ID, ev.Session) {
		if e.m.reconnected(ctx, inst, ev.Session) {
			if err := e.m.respondElsewhere(ctx, ev.Session, ev); err != nil {
				e.m.log.WarnContext(ctx, "response of a run held elsewhere", slog.String(logKeyRun, ev.Session), slog.Any(logKeyError, err))
			}
			return
		}
		e.m.log.DebugContext(ctx, "response ignored: the instance does not hold that run", slog.String(logKeyInstance, inst.ID), slog.String(logKeyRun, ev.Session))
		return
	}
	e.m.acceptResponse(ctx, ev.Session, ev)
}

// reconnected reports whether an event of a run inst does not hold comes
// from a plugin instance that reconnected (through a load balancer, to
// any replica) while it worked on the run: the run is active, of inst's
// plugin and organization, and no instance of this process holds it. Its
// replica may have stopped, so the event is handled like the HTTP
// callbacks, which the run token authenticates.
func (m *Manager) reconnected(ctx context.Context, inst gateway.InstanceInfo, runID string) bool {
	if !m.replicas || runID == "" || m.activeRun(runID) != nil {
		return false
	}
	run, err := m.st.RunGetByID(ctx, runID)
	return err == nil && !run.Status.Final() && run.PluginID == inst.PluginID && run.OrgID == inst.OrgID
}

// InstanceLost ends the runs of an instance that went away as lost, or
// dispatches again those with retries left.
func (e gatewayEvents) InstanceLost(ctx context.Context, inst gateway.InstanceInfo, runIDs []string, reason string) {
	for _, id := range runIDs {
		e.m.lose(id, reason)
	}
}

// InstanceConnected offers a new Socket.IO instance to dispatches.
func (e gatewayEvents) InstanceConnected(ctx context.Context, inst gateway.InstanceInfo) {
	e.m.instanceUp(ctx, inst)
}

// InstanceHeartbeat records an instance's heartbeat.
func (e gatewayEvents) InstanceHeartbeat(ctx context.Context, inst gateway.InstanceInfo) {
	e.m.instanceBeat(ctx, inst)
}

// InstanceDisconnected withdraws an instance from dispatches.
func (e gatewayEvents) InstanceDisconnected(ctx context.Context, inst gateway.InstanceInfo) {
	e.m.instanceDown(ctx, inst)
}

// DispatchFailed fails a run the instance did not take.
func (e gatewayEvents) DispatchFailed(ctx context.Context, inst gateway.InstanceInfo, runID string, err error) {
	e.m.log.WarnContext(ctx, "plugin did not take the run", slog.String(logKeyRun, runID), slog.String(logKeyInstance, inst.ID), slog.Any(logKeyError, err))
	e.m.finish(runID, store.RunFailed, fmt.Sprintf("the plugin did not take the run: %v", err))
}

// PostLog stores a log line a plugin sent over HTTP (POST /v2/pluginLog)
// with the token of run runID, whichever replica holds the run. A line for
// an ended run is ignored. ErrSessionMismatch when the line names another
// session.
func (m *Manager) PostLog(ctx context.Context, runID string, ev *gateway.LogEvent) error {
	if ev.Session != "" && ev.Session != runID {
		return ErrSessionMismatch
	}
	if m.activeRun(runID) == nil && m.replicas {
		return m.logElsewhere(ctx, runID, ev)
	}
	m.acceptLog(ctx, runID, ev)
	return nil
}

// logElsewhere stores a line of a run this process does not hold (another
// replica holds it, or it ended) straight into the store, within the
// run's bound, and wakes the run's followers.
func (m *Manager) logElsewhere(ctx context.Context, runID string, ev *gateway.LogEvent) error {
	run, err := m.st.RunGetByID(ctx, runID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get run: %w", err)
	}
	if run.Status.Final() {
		m.log.DebugContext(ctx, "log ignored: run not active", slog.String(logKeyRun, runID))
		return nil
	}
	if _, err := m.st.RunLogAppend(ctx, runID, []*store.RunLog{m.logLine(ev)}, m.cfg.MaxLogLines); err != nil {
		return fmt.Errorf("store run log: %w", err)
	}
	m.markRunningElsewhere(ctx, runID)
	m.wakeRun(runID)
	return nil
}

// PostResponse ends a run with the response a plugin sent over HTTP (POST
// /v2/pluginResponse) with the token of run runID; a run held by another
// replica gets the response through it. ErrSessionMismatch when the
// response names another session; ErrRunEnded when the run already ended
// or is ending; ErrReplicaUnavailable when the replica holding the run did
// not answer.
func (m *Manager) PostResponse(ctx context.Context, runID string, ev *gateway.ResponseEvent) error {
	if ev.Session != "" && ev.Session != runID {
		return ErrSessionMismatch
	}
	if m.activeRun(runID) == nil && m.replicas {
		return m.respondElsewhere(ctx, runID, ev)
	}
	if !m.acceptResponse(ctx, runID, ev) {
		return ErrRunEnded
	}
	return nil
}

// respondElsewhere hands a response for a run this process does not hold
// to the replica holding it. When that replica stopped (its lease ended),
// does not answer, or answers that it does not hold the run (it restarted
// meanwhile), this replica adopts the run and ends it with the response
// itself: the plugin's finished work is kept, whichever replica its
// reconnected socket or its HTTP call lands on.
func (m *Manager) respondElsewhere(ctx context.Context, runID string, ev *gateway.ResponseEvent) error {
	run, err := m.st.RunGetByID(ctx, runID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrRunEnded
	}
	if err != nil {
		return fmt.Errorf("get run: %w", err)
	}
	switch {
	case run.Status.Final():
		return ErrRunEnded
	case run.Status == store.RunUploaded:
		return nil // a response was accepted already (this one sent again)
	case run.NodeID == m.node || run.NodeID == "" || !m.nodeLive(ctx, run.NodeID):
		return m.adopt(ctx, run, ev)
	}
	fr := &forwardedResponse{Error: ev.Error}
	fr.URL, fr.HasURL = ev.URL()
	ack, err := m.request(ctx, run.NodeID, &message{Op: opResponse, Run: runID, Response: fr})
	switch {
	case errors.Is(err, errNoAnswer):
		m.log.WarnContext(ctx, "the replica holding the run does not answer; adopting the run", slog.String(logKeyRun, runID),
			slog.String("held_by", run.NodeID))
		return m.adopt(ctx, run, ev)
	case err != nil:
		return err
	case ack.Result == resultOK:
		return nil
	case ack.Result == resultNotHere:
		return m.adopt(ctx, run, ev)
	}
	return ErrRunEnded
}

// nodeLive reports whether node holds an unexpired lease; true when the
// store cannot tell.
func (m *Manager) nodeLive(ctx context.Context, node string) bool {
	nodes, err := m.st.NodeList(ctx)
	if err != nil {
		return true
	}
	for _, n := range nodes {
		if n.ID == node {
			return !n.Expired
		}
	}
	return false
}

// adopt makes this process the holder of a run another process held (it
// stopped, or does not answer) and ends it with the plugin's response.
// The change of holder is conditional (same node, attempt, and a state
// before the response), so only one replica adopts a run, and the
// previous holder, should it still run, lets the run go (see complete).
func (m *Manager) adopt(ctx context.Context, run *store.Run, ev *gateway.ResponseEvent) error {
	m.mu.Lock()
	_, here := m.active[run.ID]
	m.mu.Unlock()
	if here {
		return ErrRunEnded // held here and ending: a response was accepted
	}
	plug, err := m.st.PluginGetByID(ctx, run.PluginID)
	if err != nil {
		return fmt.Errorf("get plugin: %w", err)
	}
	p := &store.RunSetStatusParams{
		ID: run.ID, From: []store.RunStatus{store.RunQueued, store.RunDispatched, store.RunRunning}, FromAttempt: run.Attempt,
		Status: store.RunRunning, NodeID: m.node, At: time.Now().UTC(),
	}
	if run.NodeID != "" {
		p.FromNode = run.NodeID
	}
	if run.StartedAt != nil {
		p.At = *run.StartedAt
	}
	adopted, err := m.st.RunSetStatus(ctx, p)
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return ErrRunEnded
	}
	if err != nil {
		return fmt.Errorf("adopt run: %w", err)
	}
	m.log.InfoContext(ctx, "adopted a run whose holder is gone, to end it with its plugin's response",
		slog.String(logKeyRun, run.ID), slog.String("held_by", run.NodeID))
	ar := &activeRun{run: adopted, pluginName: plug.Name, timeout: m.runTimeout(plug), running: true}
	remaining := ar.timeout
	if adopted.Deadline != nil {
		remaining = time.Until(*adopted.Deadline)
	}
	m.mu.Lock()
	if m.closed || m.active[run.ID] != nil {
		m.mu.Unlock()
		return ErrReplicaUnavailable
	}
	ar.timer = time.AfterFunc(max(remaining, 0), func() { m.timeOut(ar) })
	m.active[run.ID] = ar
	m.mu.Unlock()
	if !m.acceptResponse(ctx, run.ID, ev) {
		return ErrRunEnded
	}
	return nil
}

// event rebuilds the response event the replica that received it saw.
func (r *forwardedResponse) event(runID string) *gateway.ResponseEvent {
	ev := &gateway.ResponseEvent{Session: runID, Error: r.Error, Export: r.HasURL}
	if r.HasURL {
		ev.Response, _ = json.Marshal(r.URL) // a string always encodes
	}
	return ev
}

// acceptLog buffers a log line of an active run.
func (m *Manager) acceptLog(ctx context.Context, runID string, ev *gateway.LogEvent) {
	ar := m.activeRun(runID)
	if ar == nil {
		m.log.DebugContext(ctx, "log ignored: run not active", slog.String(logKeyRun, runID))
		return
	}
	m.markRunning(ctx, ar)
	m.addLog(ar, m.logLine(ev))
}

// acceptResponse ends an active run with a plugin's response; false when
// the run is not active (unknown, ended or ending).
func (m *Manager) acceptResponse(ctx context.Context, runID string, ev *gateway.ResponseEvent) bool {
	ar, ok := m.claim(runID)
	if !ok {
		m.log.DebugContext(ctx, "response ignored: run not active", slog.String(logKeyRun, runID))
		return false
	}
	url, isURL := ev.URL()
	switch {
	case ev.Error:
		m.complete(ar, store.RunFailed, MsgPluginError, nil)
	case !isURL || url == "":
		m.complete(ar, store.RunFailed, MsgNoFile, nil)
	default:
		ar.timer.Stop()
		if _, err := m.st.RunSetStatus(ctx, &store.RunSetStatusParams{
			ID: runID, From: []store.RunStatus{store.RunQueued, store.RunDispatched, store.RunRunning}, FromAttempt: ar.run.Attempt,
			FromNode: m.holderNode(), Status: store.RunUploaded, At: time.Now().UTC(),
		}); errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			// Ended, retried or adopted by another replica meanwhile: not
			// this process's to record.
			m.mu.Lock()
			if m.active[runID] == ar {
				delete(m.active, runID)
			}
			m.mu.Unlock()
			m.gw.Release(runID)
			m.log.WarnContext(ctx, "response ignored: the run ended or moved to another replica", slog.String(logKeyRun, runID), slog.Any(logKeyError, err))
			return false
		} else if err != nil {
			m.log.WarnContext(ctx, "mark run uploaded", slog.String(logKeyRun, runID), slog.Any(logKeyError, err))
		} else {
			m.wakeRun(runID) // its followers show it uploaded
		}
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.collect(ar, url)
		}()
	}
	return true
}

// collect records the file a plugin uploaded and ends the run.
func (m *Manager) collect(ar *activeRun, url string) {
	ctx := m.ctx
	exp, err := m.record(ctx, ar.run, url)
	if ctx.Err() != nil {
		// Closing: the run stays uploaded and ends on the next start.
		return
	}
	if err != nil {
		m.log.InfoContext(ctx, "upload check failed", slog.String(logKeyRun, ar.run.ID), slog.Any(logKeyError, err))
		m.complete(ar, store.RunFailed, msgUploadFailed(err), nil)
		return
	}
	m.complete(ar, store.RunSucceeded, "", exp)
}

// record locates, measures and hashes an uploaded file and stores it as
// the run's export.
func (m *Manager) record(ctx context.Context, run *store.Run, url string) (*store.Export, error) {
	obj, err := m.cfg.Storage.Locate(ctx, run, url)
	if err != nil {
		return nil, err
	}
	rc, err := m.cfg.Storage.Open(ctx, obj)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", obj.FileName, err)
	}
	defer rc.Close()
	h := sha256.New()
	size, err := io.Copy(h, rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", obj.FileName, err)
	}
	exp := &store.Export{
		ID:        store.NewID(),
		OrgID:     run.OrgID,
		ProjectID: run.ProjectID,
		RunID:     run.ID,
		PluginID:  run.PluginID,
		UserID:    run.UserID,
		FileName:  m.exportFileName(ctx, run),
		Size:      size,
		SHA256:    hex.EncodeToString(h.Sum(nil)),
		StorageID: obj.StorageID,
		Bucket:    obj.Bucket,
		ObjectKey: obj.Key,
	}
	if err := m.st.ExportInsert(ctx, exp); err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		return nil, fmt.Errorf("record export: %w", err)
	}
	return exp, nil
}

// exportFileName returns the name of a run's export (ExportFileName) from
// its project's and plugin's names, falling back to their ids when they
// cannot be read.
func (m *Manager) exportFileName(ctx context.Context, run *store.Run) string {
	var projectName, pluginName string
	if p, err := m.st.ProjectGet(ctx, run.OrgID, run.ProjectID); err == nil {
		projectName = p.Name
	}
	if p, err := m.st.PluginGet(ctx, run.OrgID, run.PluginID); err == nil {
		pluginName = p.Name
	}
	return ExportFileName(projectName, run.ProjectID, run.ConfigJSON, pluginName, run.PluginID, run.CreatedAt)
}

// errNotHere: the run is not active in this process.
var errNotHere = errors.New("the run is not active here")

// Cancel cancels an active run of organization orgID, whichever replica
// holds it: the run ends as cancelled and its instance gets the `cancel`
// event (ours). Errors: store.ErrNotFound, ErrRunEnded, ErrRunEnding,
// ErrReplicaUnavailable (the replica holding the run took it and does not
// answer).
func (m *Manager) Cancel(ctx context.Context, orgID, runID string) (*store.Run, error) {
	run, err := m.st.RunGet(ctx, orgID, runID)
	if err != nil {
		return nil, fmt.Errorf("get run: %w", err)
	}
	if run.Status.Final() {
		return run, ErrRunEnded
	}
	out, err := m.cancelHere(runID)
	switch {
	case err == nil:
		if out != nil {
			return out, nil
		}
		return m.st.RunGet(ctx, orgID, runID)
	case errors.Is(err, ErrRunEnding):
		return run, ErrRunEnding
	}
	if m.replicas && run.NodeID != m.node && run.NodeID != "" {
		ack, err := m.request(ctx, run.NodeID, &message{Op: opCancel, Run: runID})
		switch {
		case err == nil && ack.Result == resultOK:
			return m.st.RunGet(ctx, orgID, runID)
		case err == nil && ack.Result == resultEnding:
			return run, ErrRunEnding
		case err != nil && !errors.Is(err, errNoAnswer):
			return nil, err
		case err != nil && !m.untaken(ctx, run):
			// The holder took the run (its plugin may be working on it)
			// but does not answer: ending the run here would leave the
			// plugin working for nothing. The holder cancels it once it
			// answers; if it stopped, its lease ends the run.
			return run, fmt.Errorf("%w: %w", ErrReplicaUnavailable, err)
		}
		// The holder does not have the run in memory, or does not
		// answer and never took it: end it in the store.
		m.log.InfoContext(ctx, "cancelling a run its replica does not hold", slog.String(logKeyRun, runID), slog.String("held_by", run.NodeID), slog.Any(logKeyError, err))
	}
	// Not held by any running process (left by a crash before recovery,
	// queued, or its replica is gone): end it in the store.
	ended, err := m.endInStore(ctx, runID, 0, store.RunCancelled, MsgCancelled, false)
	if err != nil {
		return nil, fmt.Errorf("cancel run: %w", err)
	}
	if ended == nil {
		run, err := m.st.RunGet(ctx, orgID, runID)
		if err != nil {
			return nil, fmt.Errorf("get run: %w", err)
		}
		return run, ErrRunEnded
	}
	return ended, nil
}

// untaken reports whether run, held by a replica that does not answer,
// is queued there or dispatched but not taken; a dispatched one is taken
// by this replica then, so that its holder can no longer take it.
func (m *Manager) untaken(ctx context.Context, run *store.Run) bool {
	switch run.Status {
	case store.RunQueued:
		return true
	case store.RunDispatched:
		_, err := m.st.RunSetStatus(ctx, &store.RunSetStatusParams{
			ID: run.ID, From: []store.RunStatus{store.RunDispatched}, FromAttempt: run.Attempt, FromNode: run.NodeID,
			NotTaken: true, Take: true, Status: store.RunDispatched, NodeID: m.node, At: time.Now().UTC(),
		})
		return err == nil
	}
	return false
}

// cancelHere cancels a run active in this process and returns it (nil
// when it ended otherwise meanwhile); errNotHere when the run is not
// active here, ErrRunEnding when it is finishing.
func (m *Manager) cancelHere(runID string) (*store.Run, error) {
	if ar, ok := m.claim(runID); ok {
		return m.complete(ar, store.RunCancelled, MsgCancelled, nil), nil
	}
	m.mu.Lock()
	_, here := m.active[runID]
	m.mu.Unlock()
	if here {
		return nil, ErrRunEnding
	}
	return nil, errNotHere
}
