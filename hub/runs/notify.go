package runs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/bytesize"
)

// Notification kinds.
const (
	// KindExportReady is the kind of the notification of a succeeded run.
	KindExportReady = "export_ready"
	// KindRunFailed is the kind of the notification of a run that failed,
	// timed out or was lost.
	KindRunFailed = "run_failed"
)

// ExportDownloadPath returns the hub path that downloads an export.
func ExportDownloadPath(exportID string) string { return "/api/exports/" + exportID + "/download" }

// RunPath returns the hub path of a run.
func RunPath(runID string) string { return "/api/runs/" + runID }

// announce tells the user who ran a run how it ended (except when they
// cancelled it) and queues the organization's webhook.
func (m *Manager) announce(ctx context.Context, run *store.Run, pluginName string, exp *store.Export) {
	if m.cfg.OnRunEnded != nil && run.Status.Final() {
		go m.cfg.OnRunEnded(run)
	}
	if pluginName == "" {
		if p, err := m.st.PluginGet(ctx, run.OrgID, run.PluginID); err == nil {
			pluginName = p.Name
		} else {
			pluginName = run.PluginID
		}
	}
	if n := notificationFor(run, pluginName, exp); n != nil {
		if err := m.st.NotificationInsert(ctx, n); err != nil {
			m.log.ErrorContext(ctx, "insert notification", slog.String(logKeyRun, run.ID), slog.Any(logKeyError, err))
		} else {
			m.noteWatch.notify(n.UserID, n)
			m.broadcast(topicNotes, &message{Op: opNote, User: n.UserID, Note: n.ID})
		}
	}
	m.hooks.enqueue(run, pluginName, exp)
}

// notificationFor returns the notification of an ended run, nil for none.
func notificationFor(run *store.Run, pluginName string, exp *store.Export) *store.Notification {
	n := &store.Notification{
		ID:     store.NewID(),
		OrgID:  run.OrgID,
		UserID: run.UserID,
		RunID:  run.ID,
	}
	switch {
	case run.Status == store.RunSucceeded && exp != nil:
		n.Kind = KindExportReady
		n.Title = fmt.Sprintf("Export ready: %s — Download", exp.FileName)
		n.Body = fmt.Sprintf("%s produced %s (%s).", pluginName, exp.FileName, bytesize.Format(exp.Size))
		n.Link = ExportDownloadPath(exp.ID)
		n.ExportID = exp.ID
	case run.Status == store.RunCancelled:
		return nil
	default:
		n.Kind = KindRunFailed
		n.Title = fmt.Sprintf("Export failed: %s — %s", pluginName, run.Message)
		n.Body = run.Message
		n.Link = RunPath(run.ID)
	}
	return n
}

// WatchNotifications returns a channel receiving the notifications created
// for a user from now on, by this hub replica or another, and nil when
// some of the user's notifications were marked read (MarkNotificationsRead,
// on any replica); and a function to stop. A slow reader misses values
// (re-list the notifications with Store.NotificationList); the channel is
// closed by stop or Close.
func (m *Manager) WatchNotifications(userID string) (<-chan *store.Notification, func()) {
	return m.noteWatch.subscribe(userID)
}

// relayNoteWindow is how many of a user's newest notifications are read
// to find one another replica stored.
const relayNoteWindow = 50

// relayNote passes a notification another replica stored to this one's
// watchers of its user.
func (m *Manager) relayNote(msg *message) {
	ctx, cancel := context.WithTimeout(m.ctx, storeTimeout)
	defer cancel()
	list, err := m.st.NotificationList(ctx, msg.User, relayNoteWindow)
	if err != nil {
		if m.ctx.Err() == nil {
			m.log.WarnContext(ctx, "read a notification of another replica", slog.Any(logKeyError, err))
		}
		return
	}
	for _, n := range list {
		if n.ID == msg.Note {
			m.noteWatch.notify(n.UserID, n)
			return
		}
	}
}

// MaxMarkRead bounds the ids of one MarkNotificationsRead.
const MaxMarkRead = 1000

// MarkNotificationsRead marks notifications of a user as read (no ids:
// all of them) and wakes the user's watchers on every replica, so that
// every open bell shows it.
// At most MaxMarkRead ids at once: more is a *hubtype.FieldError.
func (m *Manager) MarkNotificationsRead(ctx context.Context, userID string, ids []string) error {
	if len(ids) > MaxMarkRead {
		return hubtype.Fieldf("ids", "ids holds %d notifications, at most %d at once", len(ids), MaxMarkRead)
	}
	if err := m.st.NotificationMarkRead(ctx, userID, ids, time.Now().UTC()); err != nil {
		return fmt.Errorf("mark notifications read: %w", err)
	}
	m.noteWatch.notify(userID, nil)
	m.broadcast(topicNotes, &message{Op: opNoteRead, User: userID})
	return nil
}
