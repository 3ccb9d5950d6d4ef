package runs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/store"
)

// maxDispatchAttempts bounds how many instances a run is offered to when
// the chosen ones turn out to be gone.
const maxDispatchAttempts = 3

// msgNotSent ends a run the hub could not hand to the chosen instance.
const msgNotSent = "the hub could not send the run to the plugin instance"

// ending is how a run ends.
type ending struct {
	status store.RunStatus
	msg    string
	// note also writes msg in the run's log, as an ERROR line.
	note bool
}

// noInstance ends a run submitted while no instance was online.
var noInstance = ending{status: store.RunFailed, msg: MsgNoInstance}

// dispatch hands a queued Socket.IO run to the least busy instance of its
// plugin on any replica (the store picks it atomically): directly when
// the instance is connected here, through a request to its replica
// otherwise. A run that finds no instance ends as none says; a run that
// cannot be handed over ends with a message.
func (m *Manager) dispatch(ctx context.Context, run *store.Run, plug *store.Plugin, none ending) {
	for attempt := 1; ; attempt++ {
		res, err := m.st.RunDispatch(ctx, &store.RunDispatchParams{RunID: run.ID, PluginID: plug.ID, At: time.Now().UTC()})
		switch {
		case errors.Is(err, store.ErrNotFound):
			m.endQuietly(ctx, run.ID, none.status, none.msg, none.note)
			return
		case errors.Is(err, store.ErrConflict):
			return // the run ended (cancelled) before it was sent
		case err != nil:
			m.log.WarnContext(ctx, "dispatch run", slog.String(logKeyRun, run.ID), slog.Any(logKeyError, err))
			m.endQuietly(ctx, run.ID, store.RunFailed, msgNotSent, false)
			return
		}
		inst := res.Instance
		if inst.NodeID == m.node {
			err = m.deliver(ctx, &handover{run: res.Run, runID: run.ID, instanceID: inst.ID, pluginName: plug.Name, timeout: m.runTimeout(plug)})
		} else {
			err = m.deliverElsewhere(ctx, inst.NodeID, run.ID, inst.ID)
		}
		switch {
		case err == nil:
			m.wakeRun(run.ID) // its followers show it dispatched
			m.log.InfoContext(ctx, "run dispatched", slog.String(logKeyRun, run.ID), slog.String(logKeyPlugin, plug.ID),
				slog.String(logKeyInstance, inst.ID), slog.String("instance_node", inst.NodeID))
			return
		case errors.Is(err, errRunEnded):
			return
		case errors.Is(err, errInstanceGone) && attempt < maxDispatchAttempts:
			// Offer the run again: back to queued, held here.
			_, err := m.st.RunSetStatus(ctx, &store.RunSetStatusParams{
				ID: run.ID, From: []store.RunStatus{store.RunDispatched}, Status: store.RunQueued, NodeID: m.node,
			})
			if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
				return
			}
			if err != nil {
				m.log.WarnContext(ctx, "queue run again", slog.String(logKeyRun, run.ID), slog.Any(logKeyError, err))
				m.endQuietly(ctx, run.ID, store.RunFailed, msgNotSent, false)
				return
			}
		case errors.Is(err, errInstanceGone):
			m.endQuietly(ctx, run.ID, store.RunLost, gateway.MsgInstanceDisconnected, false)
			return
		case errors.Is(err, errNoAnswer):
			m.noAnswer(ctx, res.Run, inst.NodeID, err)
			return
		default:
			m.log.WarnContext(ctx, "send run", slog.String(logKeyRun, run.ID), slog.Any(logKeyError, err))
			m.endQuietly(ctx, run.ID, store.RunFailed, msgNotSent, false)
			return
		}
	}
}

// noAnswer handles a dispatch the replica node did not acknowledge in
// time. The acknowledgement may have been lost (this replica's listener
// was reconnecting) while node took the run and its plugin works on it:
// the run is only ended when node has not taken it, and this replica
// takes it first so that node cannot take it later. A run node took is
// node's to end (or to cancel, through node).
func (m *Manager) noAnswer(ctx context.Context, run *store.Run, node string, cause error) {
	_, err := m.st.RunSetStatus(ctx, &store.RunSetStatusParams{
		ID: run.ID, From: []store.RunStatus{store.RunDispatched}, FromAttempt: run.Attempt, FromNode: node,
		NotTaken: true, Take: true, Status: store.RunDispatched, NodeID: m.node, At: time.Now().UTC(),
	})
	switch {
	case errors.Is(err, store.ErrConflict):
		m.log.InfoContext(ctx, "replica took the run but its acknowledgement did not arrive; it holds the run",
			slog.String(logKeyRun, run.ID), slog.String("held_by", node), slog.Any(logKeyError, cause))
		m.wakeRun(run.ID)
		return
	case errors.Is(err, store.ErrNotFound):
		return
	case err != nil:
		// Whether node took the run is unknown: leave it to node, whose
		// lease ends its runs if it stopped.
		m.log.WarnContext(ctx, "replica did not acknowledge the run, and the store could not tell whether it took it",
			slog.String(logKeyRun, run.ID), slog.String("held_by", node), slog.Any(logKeyError, err))
		return
	}
	m.log.WarnContext(ctx, "replica did not take the run", slog.String(logKeyRun, run.ID), slog.Any(logKeyError, cause))
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if _, err := m.endInStore(ctx, run.ID, run.Attempt, store.RunFailed, MsgReplicaNoAnswer, true); err != nil {
		m.log.ErrorContext(ctx, "end run", slog.String(logKeyRun, run.ID), slog.Any(logKeyError, err))
	}
}

// endQuietly is endInStore for paths that have nobody to return its error
// to: it logs it.
func (m *Manager) endQuietly(ctx context.Context, runID string, status store.RunStatus, msg string, note bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if _, err := m.endInStore(ctx, runID, 0, status, msg, note); err != nil {
		m.log.ErrorContext(ctx, "end run", slog.String(logKeyRun, runID), slog.Any(logKeyError, err))
	}
}

// deliverElsewhere asks the replica node to deliver a dispatched run to
// its instance.
func (m *Manager) deliverElsewhere(ctx context.Context, node, runID, instanceID string) error {
	ack, err := m.request(ctx, node, &message{Op: opDispatch, Run: runID, Instance: instanceID})
	if err != nil {
		return err
	}
	switch ack.Result {
	case resultOK:
		return nil
	case resultGone:
		return errInstanceGone
	case resultEnded:
		return errRunEnded
	}
	return fmt.Errorf("replica %s: %s", node, ack.Msg)
}

// handover is a dispatched run to hand to an instance of this process.
type handover struct {
	// run is the dispatched run; nil to read it.
	run        *store.Run
	runID      string
	instanceID string
	// pluginName names the plugin in notifications; "" to read it (and
	// timeout) from the store.
	pluginName string
	// timeout is the plugin's run timeout, which the run's deadline
	// ends; 0 to read it with pluginName.
	timeout time.Duration
}

// deliver hands a run dispatched to an instance of this process over: it
// creates the run token, starts the run's timer (the run's deadline) and
// sends the `plugin` event. From then on this process holds the run.
// errInstanceGone when the instance is not connected here (any more) or
// the process is stopping; errRunEnded when the run is no longer
// dispatched to that instance.
func (m *Manager) deliver(ctx context.Context, d *handover) error {
	if !m.gw.HasInstance(d.instanceID) {
		m.forgetInstance(ctx, d.instanceID)
		return errInstanceGone
	}
	run := d.run
	if run == nil {
		var err error
		if run, err = m.st.RunGetByID(ctx, d.runID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return errRunEnded
			}
			return fmt.Errorf("get run: %w", err)
		}
	}
	if run.Status != store.RunDispatched || run.InstanceID != d.instanceID || run.NodeID != m.node {
		return errRunEnded
	}
	if d.pluginName == "" || d.timeout == 0 {
		d.pluginName = cmp.Or(d.pluginName, run.PluginID)
		if p, err := m.st.PluginGetByID(ctx, run.PluginID); err == nil {
			d.pluginName, d.timeout = p.Name, m.runTimeout(p)
		}
	}
	timeout := cmp.Or(d.timeout, m.cfg.DefaultRunTimeout)
	deadline, remaining := time.Now().Add(timeout), timeout
	if run.Deadline != nil {
		deadline, remaining = *run.Deadline, time.Until(*run.Deadline)
	}
	if m.refusing() {
		return errInstanceGone
	}
	// Take the run: from now on the replica that dispatched it can no
	// longer end it for want of an acknowledgement.
	if _, err := m.st.RunSetStatus(ctx, &store.RunSetStatusParams{
		ID: run.ID, From: []store.RunStatus{store.RunDispatched}, FromAttempt: run.Attempt, FromNode: m.node,
		NotTaken: true, Take: true, Status: store.RunDispatched, At: time.Now().UTC(),
	}); err != nil {
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			return errRunEnded
		}
		return fmt.Errorf("take run: %w", err)
	}
	token, display, hash := auth.NewKey(auth.RunTokenPrefix)
	if err := m.st.APIKeyInsert(ctx, &store.APIKey{
		ID:        store.NewID(),
		OrgID:     run.OrgID,
		UserID:    run.UserID,
		Name:      "run " + run.ID,
		Prefix:    display,
		Hash:      hash,
		ProjectID: run.ProjectID,
		RunID:     run.ID,
		ExpiresAt: &deadline,
	}); err != nil {
		return fmt.Errorf("insert run token: %w", err)
	}

	ar := &activeRun{run: run, pluginName: d.pluginName, timeout: timeout}
	m.mu.Lock()
	if m.closed || (m.closing && !m.replicas) {
		m.mu.Unlock()
		m.revokeQuietly(run.ID)
		return errInstanceGone
	}
	if old := m.active[run.ID]; old != nil {
		// An earlier attempt this process still held (another replica
		// retried the run while this one was considered stopped).
		old.timer.Stop()
	}
	ar.timer = time.AfterFunc(remaining, func() { m.timeOut(ar) })
	m.active[run.ID] = ar
	m.mu.Unlock()

	_, err := m.gw.Send(ctx, d.instanceID, &gateway.Dispatch{
		Request: gateway.RunRequest{
			ProjectID:  run.ProjectID,
			APIKey:     token,
			OrgID:      run.OrgID,
			RunBy:      run.UserID,
			Session:    run.ID,
			ConfigJSON: run.ConfigJSON,
			Stage:      run.Stages,
			Batches:    run.Batches,
			PluginID:   run.PluginID,
			NumTasks:   run.NumTasks,
		},
		Deadline: deadline,
	})
	if err == nil {
		return nil
	}
	// Not sent: the run is not held here after all.
	if !m.claimExact(ar) {
		return errRunEnded // ended meanwhile (cancelled, timed out)
	}
	ar.timer.Stop()
	m.mu.Lock()
	delete(m.active, run.ID)
	m.mu.Unlock()
	m.revokeQuietly(run.ID)
	if errors.Is(err, gateway.ErrNoInstance) || errors.Is(err, gateway.ErrClosed) {
		m.forgetInstance(ctx, d.instanceID)
		return errInstanceGone
	}
	return err
}

// refusing reports whether deliver refuses runs: once Close began, or
// once Shutdown began when the process is alone (a draining replica
// still takes the runs other replicas hand to its instances).
func (m *Manager) refusing() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed || (m.closing && !m.replicas)
}

// revokeQuietly revokes a run's token, logging a failure.
func (m *Manager) revokeQuietly(runID string) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := m.st.APIKeyRevokeForRun(ctx, runID, time.Now().UTC()); err != nil {
		m.log.ErrorContext(ctx, "revoke run token", slog.String(logKeyRun, runID), slog.Any(logKeyError, err))
	}
}

// dispatchREST hands a queued run of a REST connector plugin to this
// process's REST instance of it (every replica polls the REST plugins, so
// the one that creates or retries the run dispatches it). A run that
// finds no instance ends as none says.
func (m *Manager) dispatchREST(ctx context.Context, run *store.Run, plug *store.Plugin, none ending) {
	timeout := m.runTimeout(plug)
	token, display, hash := auth.NewKey(auth.RunTokenPrefix)
	if err := m.st.APIKeyInsert(ctx, &store.APIKey{
		ID:        store.NewID(),
		OrgID:     run.OrgID,
		UserID:    run.UserID,
		Name:      "run " + run.ID,
		Prefix:    display,
		Hash:      hash,
		ProjectID: run.ProjectID,
		RunID:     run.ID,
		ExpiresAt: run.Deadline,
	}); err != nil {
		m.log.ErrorContext(ctx, "insert run token", slog.String(logKeyRun, run.ID), slog.Any(logKeyError, err))
		m.endQuietly(ctx, run.ID, store.RunFailed, "the hub could not create the run's API token", false)
		return
	}
	ar := &activeRun{run: run, pluginName: plug.Name, timeout: timeout}
	m.mu.Lock()
	if m.closing {
		m.mu.Unlock()
		m.endQuietly(ctx, run.ID, store.RunFailed, MsgHubRestarted, false)
		return
	}
	ar.timer = time.AfterFunc(time.Until(*run.Deadline), func() { m.timeOut(ar) })
	m.active[run.ID] = ar
	m.mu.Unlock()

	inst, err := m.gw.Dispatch(ctx, &gateway.Dispatch{
		Request: gateway.RunRequest{
			ProjectID:  run.ProjectID,
			APIKey:     token,
			OrgID:      run.OrgID,
			RunBy:      run.UserID,
			Session:    run.ID,
			ConfigJSON: run.ConfigJSON,
			Stage:      run.Stages,
			Batches:    run.Batches,
			PluginID:   plug.ID,
			NumTasks:   run.NumTasks,
		},
		Deadline: *run.Deadline,
		// The dispatch is recorded before the plugin gets the run, so
		// its logs and response always find the run dispatched.
		OnReserved: func(inst gateway.InstanceInfo) error {
			_, err := m.st.RunSetStatus(ctx, &store.RunSetStatusParams{
				ID: run.ID, From: []store.RunStatus{store.RunQueued}, FromAttempt: run.Attempt, Status: store.RunDispatched,
				InstanceID: inst.ID, NodeID: m.node, At: time.Now().UTC(),
			})
			return err
		},
	})
	switch {
	case errors.Is(err, gateway.ErrNoInstance):
		if m.claimExact(ar) {
			if none.note {
				m.appendNote(ctx, run.ID, gateway.LevelError, none.msg)
			}
			m.complete(ar, none.status, none.msg, nil)
		}
	case errors.Is(err, store.ErrConflict):
		// The run ended (cancelled) before it was sent.
	case err != nil:
		m.log.WarnContext(ctx, "dispatch run", slog.String(logKeyRun, run.ID), slog.Any(logKeyError, err))
		m.finish(run.ID, store.RunFailed, msgNotSent)
	default:
		m.log.InfoContext(ctx, "run dispatched", slog.String(logKeyRun, run.ID), slog.String(logKeyPlugin, plug.ID), slog.String(logKeyInstance, inst.ID))
	}
}
