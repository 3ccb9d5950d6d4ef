package runs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/store"
)

// A run whose plugin instance is lost mid-run (plugin-protocol.md section
// 6: "re-dispatch only if the user asked for retries") is dispatched
// again while it has attempts left (Run.Attempt <= Run.Retries): the same
// run, session and filters, back to queued at its next attempt with a new
// deadline, its previous token revoked, a line in its log, then handed to
// the least busy instance online (the lost one is gone). Only losses are
// retried: a run that failed, timed out or was cancelled ends for good.

// heldStates are the states of a run an instance holds.
var heldStates = []store.RunStatus{store.RunDispatched, store.RunRunning, store.RunUploaded}

// retriable reports whether a lost run has attempts left.
func retriable(run *store.Run) bool { return run.Attempt <= run.Retries }

// lose ends a run of this process whose instance was lost (reason says
// how) as lost, or, with attempts left, dispatches it again.
func (m *Manager) lose(runID, reason string) {
	ar, ok := m.claim(runID)
	if !ok {
		return
	}
	if !retriable(ar.run) {
		m.complete(ar, store.RunLost, msgLost(ar.run, reason), nil)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	ar.timer.Stop()
	m.flushLogs(ctx, ar, true)
	m.mu.Lock()
	if m.active[runID] == ar {
		delete(m.active, runID)
	}
	m.mu.Unlock()
	m.gw.Release(runID)
	m.retry(ctx, ar.run, reason)
}

// retry moves a lost run back to queued for its next attempt, held by
// this process, revokes the lost attempt's token, notes the retry in the
// run's log and dispatches the run again on a goroutine. Nothing happens
// when the run is no longer at run.Attempt in one of the held states
// (another replica retried or ended it first).
func (m *Manager) retry(ctx context.Context, run *store.Run, reason string) {
	plug, err := m.st.PluginGetByID(ctx, run.PluginID)
	if err != nil {
		// The plugin was deleted (its instances disconnected): nothing
		// can take the run.
		m.log.InfoContext(ctx, "lost run not retried: its plugin cannot be read", slog.String(logKeyRun, run.ID), slog.Any(logKeyError, err))
		m.endAttemptQuietly(ctx, run, store.RunLost, reason)
		return
	}
	now := time.Now().UTC()
	deadline := now.Add(m.runTimeout(plug))
	next, err := m.st.RunSetStatus(ctx, &store.RunSetStatusParams{
		ID: run.ID, From: heldStates, FromAttempt: run.Attempt, Status: store.RunQueued,
		Attempt: run.Attempt + 1, Deadline: &deadline, NodeID: m.node, At: now,
	})
	switch {
	case errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound):
		return
	case err != nil:
		m.log.ErrorContext(ctx, "queue lost run again", slog.String(logKeyRun, run.ID), slog.Any(logKeyError, err))
		m.endAttemptQuietly(ctx, run, store.RunLost, reason)
		return
	}
	if err := m.st.APIKeyRevokeForRun(ctx, run.ID, now); err != nil {
		m.log.ErrorContext(ctx, "revoke run token", slog.String(logKeyRun, run.ID), slog.Any(logKeyError, err))
	}
	m.appendNote(ctx, run.ID, gateway.LevelWarning, msgRetrying(reason, next.Attempt, next.Retries+1))
	m.wakeRun(run.ID)
	m.log.InfoContext(ctx, "retrying lost run", slog.String(logKeyRun, run.ID), slog.Int(logKeyAttempt, next.Attempt),
		slog.String("reason", reason))
	none := ending{status: store.RunLost, msg: msgNoInstanceToRetry(reason), note: true}
	started := m.spawn(func() {
		// A dispatch through another replica waits for its answer, up to
		// maxDispatchAttempts times.
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout+maxDispatchAttempts*m.cfg.RemoteTimeout)
		defer cancel()
		if plug.Connector == store.ConnectorREST {
			m.dispatchREST(ctx, next, plug, none)
		} else {
			m.dispatch(ctx, next, plug, none)
		}
	})
	if !started {
		// Closing: the run stays queued, held by this node; it ends on
		// the next start, or when another replica finds this one stopped.
		m.log.WarnContext(ctx, "lost run queued again but not dispatched: the hub is stopping", slog.String(logKeyRun, run.ID))
	}
}

// endAttemptQuietly ends attempt run.Attempt of a run no goroutine of
// this process holds, logging a failure.
func (m *Manager) endAttemptQuietly(ctx context.Context, run *store.Run, status store.RunStatus, msg string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if _, err := m.endInStore(ctx, run.ID, run.Attempt, status, msg, true); err != nil {
		m.log.ErrorContext(ctx, "end run", slog.String(logKeyRun, run.ID), slog.Any(logKeyError, err))
	}
}

// spawn runs fn on a goroutine that Close waits for, counted as active
// work by Shutdown; false (fn not run) once Close began.
func (m *Manager) spawn(fn func()) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false
	}
	m.retrying++
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer func() {
			m.mu.Lock()
			m.retrying--
			m.mu.Unlock()
		}()
		fn()
	}()
	return true
}

// sweepRun ends, or retries, a run held by a replica whose lease ended.
func (m *Manager) sweepRun(ctx context.Context, r *store.Run) (*store.Run, error) {
	held := slices.Contains(heldStates, r.Status)
	if held && retriable(r) {
		m.retry(ctx, r, MsgReplicaStopped)
		return nil, nil
	}
	msg := MsgReplicaStopped
	if held {
		msg = msgLost(r, MsgReplicaStopped)
	}
	return m.endInStore(ctx, r.ID, r.Attempt, store.RunLost, msg, true)
}

// msgLost is the message of a run that ends as lost for reason: reason,
// saying so when the retries the user asked for were all used.
func msgLost(run *store.Run, reason string) string {
	if run.Retries == 0 {
		return reason
	}
	return fmt.Sprintf("%s; retries exhausted after %d attempts", reason, run.Attempt)
}

// superseded reports whether the store holds another attempt of run than
// run.Attempt (another replica retried it), or the run is active on
// another node (another replica adopted it).
func (m *Manager) superseded(ctx context.Context, run *store.Run) bool {
	cur, err := m.st.RunGetByID(ctx, run.ID)
	return err == nil && (cur.Attempt != run.Attempt || (m.replicas && !cur.Status.Final() && cur.NodeID != m.node))
}

// holderNode is the node condition of the changes a holder makes to its
// run: this node, with replicas (a run adopted by another replica is no
// longer this one's to end); none when alone.
func (m *Manager) holderNode() string {
	if !m.replicas {
		return ""
	}
	return m.node
}
