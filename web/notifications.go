package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/exporthub/exporthub/hub/store"
)

// bellView is what the notification bell shows: the unread count and the
// newest notifications.
type bellView struct {
	Unread int                 `json:"unread"`
	Items  []*notificationView `json:"items"`
}

// notificationView is one notification in the bell.
type notificationView struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Title string `json:"title"`
	Body  string `json:"body,omitempty"`
	// DownloadURL downloads the export of an "export ready" notification.
	DownloadURL string    `json:"downloadUrl,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	Read        bool      `json:"read"`
}

// exportNames caches export file names by export id for the bell (an
// export's file name never changes). It is safe for concurrent use.
type exportNames struct {
	mu    sync.Mutex
	names map[string]string
}

// maxCachedExportNames bounds the cache; it is emptied when full.
const maxCachedExportNames = 10000

// get returns the file name of export id of org, reading the store on a
// miss.
func (c *exportNames) get(ctx context.Context, st store.Store, orgID, id string) (string, error) {
	c.mu.Lock()
	name, ok := c.names[id]
	c.mu.Unlock()
	if ok {
		return name, nil
	}
	e, err := st.ExportGet(ctx, orgID, id)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if c.names == nil || len(c.names) >= maxCachedExportNames {
		c.names = make(map[string]string)
	}
	c.names[id] = e.FileName
	c.mu.Unlock()
	return e.FileName, nil
}

// bell reads the bell's content for a session's user.
func (ui *UI) bell(ctx context.Context, s *session) (*bellView, error) {
	ns, err := ui.store.NotificationList(ctx, s.user.ID, DefaultBellItems)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	unread, err := ui.store.NotificationUnreadCount(ctx, s.user.ID)
	if err != nil {
		return nil, fmt.Errorf("count unread notifications: %w", err)
	}
	v := &bellView{Unread: unread, Items: make([]*notificationView, 0, len(ns))}
	for _, n := range ns {
		nv, err := ui.notificationView(ctx, n)
		if err != nil {
			return nil, err
		}
		v.Items = append(v.Items, nv)
	}
	return v, nil
}

// notificationView converts a notification for the bell. An "export
// ready" notification reads "Export ready: FILE" with a Download link.
func (ui *UI) notificationView(ctx context.Context, n *store.Notification) (*notificationView, error) {
	v := &notificationView{ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, CreatedAt: n.CreatedAt, Read: n.ReadAt != nil}
	if n.ExportID != "" {
		name, err := ui.exportNames.get(ctx, ui.store, n.OrgID, n.ExportID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			v.Body = "The export file is no longer available."
		case err != nil:
			return nil, fmt.Errorf("get export of notification %s: %w", n.ID, err)
		default:
			v.Title = "Export ready: " + name
			v.DownloadURL = exportDownloadPath(n.ExportID)
		}
	}
	if v.Title == "" {
		v.Title = n.Kind
	}
	return v, nil
}

// sameBell reports whether two bell contents show the same thing.
func sameBell(a, b *bellView) bool {
	if a == nil || b == nil || a.Unread != b.Unread {
		return false
	}
	return slices.EqualFunc(a.Items, b.Items, func(x, y *notificationView) bool {
		return x.ID == y.ID && x.Read == y.Read && x.Title == y.Title
	})
}

// handleNotifications answers the bell's content as JSON (the polling
// fallback of the stream).
func (ui *UI) handleNotifications(q *request) {
	v, err := ui.bell(q.r.Context(), q.session)
	if err != nil {
		ui.apiFail(q, err)
		return
	}
	writeJSON(q.w, http.StatusOK, v)
}

// NotificationsReadRequest is the body of POST /ui/notifications/read.
type NotificationsReadRequest struct {
	// IDs are the notifications to mark as read.
	IDs []string `json:"ids"`
	// All marks every notification of the user as read.
	All bool `json:"all"`
}

// handleNotificationsRead marks notifications as read and answers the
// bell's new content.
func (ui *UI) handleNotificationsRead(q *request) {
	var req NotificationsReadRequest
	if err := decodeBody(q.r, &req); err != nil {
		ui.apiFail(q, err)
		return
	}
	if !req.All && len(req.IDs) == 0 {
		ui.apiFail(q, inputErrorf("say which notifications to mark as read: ids, or all"))
		return
	}
	ids := req.IDs
	if req.All {
		ids = nil
	}
	if err := ui.store.NotificationMarkRead(q.r.Context(), q.user.ID, ids, time.Now().UTC()); err != nil {
		ui.apiFail(q, fmt.Errorf("mark notifications read: %w", err))
		return
	}
	ui.handleNotifications(q)
}

// handleNotificationStream streams the bell's content as a
// "notifications" event, first at once and then whenever it changes: at
// once when the hub stores a notification for the user, and within the
// poll interval for changes made elsewhere (another tab marked some read,
// another hub replica notified).
func (ui *UI) handleNotificationStream(q *request) {
	wake, stop := ui.hub.WatchNotifications(q.user.ID)
	defer stop()
	es, err := startEvents(q.w)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(q.r.Context(), ui.cfg.StreamLifetime)
	defer cancel()
	tick := time.NewTicker(ui.cfg.NotificationPollInterval)
	defer tick.Stop()
	var last *bellView
	for {
		v, err := ui.bell(ctx, q.session)
		if err != nil {
			ui.streamEnded(ctx, err)
			return
		}
		if !sameBell(last, v) {
			if err := es.send("notifications", "", v); err != nil {
				ui.streamEnded(ctx, err)
				return
			}
			last = v
		}
		select {
		case <-ctx.Done():
			return
		case _, ok := <-wake:
			if !ok {
				return // the hub is stopping
			}
		case <-tick.C:
		}
	}
}
