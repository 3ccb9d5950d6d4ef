package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/internal/sse"
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
	DownloadURL string `json:"downloadUrl,omitempty"`
	// RunURL is the page of the notification's run: its status, message
	// and logs.
	RunURL string `json:"runUrl,omitempty"`
	// Action says what to do about a failed run, StartCommand the
	// command it names (copyable), when the hub knows.
	Action       string    `json:"action,omitempty"`
	StartCommand string    `json:"startCommand,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
	Read         bool      `json:"read"`
}

// idCache caches a string by id whose value never changes (an export's
// file name, a run's project), so that the bell, which is read every few
// seconds, does not read the same rows again. It is safe for concurrent
// use.
type idCache struct {
	mu     sync.Mutex
	values map[string]string
}

// maxCachedIDs bounds a cache; it is emptied when full.
const maxCachedIDs = 10000

// get returns the value of id, calling load on a miss.
func (c *idCache) get(id string, load func() (string, error)) (string, error) {
	c.mu.Lock()
	v, ok := c.values[id]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if c.values == nil || len(c.values) >= maxCachedIDs {
		c.values = make(map[string]string)
	}
	c.values[id] = v
	c.mu.Unlock()
	return v, nil
}

// bell reads the bell's content for a session's user.
func (ui *UI) bell(ctx context.Context, s *session) (*bellView, error) {
	pr := s.principal()
	ns, unread, err := ui.users.Notifications(ctx, pr, DefaultBellItems)
	if err != nil {
		return nil, err
	}
	v := &bellView{Unread: unread, Items: make([]*notificationView, 0, len(ns))}
	for _, n := range ns {
		nv, err := ui.notificationView(ctx, pr, n)
		if err != nil {
			return nil, err
		}
		v.Items = append(v.Items, nv)
	}
	return v, nil
}

// kindRunFailed is the kind of the notification of a run that did not
// succeed (the hub's runs.KindRunFailed).
const kindRunFailed = "run_failed"

// notificationView converts a notification for the bell. An "export
// ready" notification reads "Export ready: FILE" with a Download link;
// every notification of a run links to the run's page. A failure says
// its error once (the title has it) and, when no plugin instance was
// connected, what to do: the command that starts one.
func (ui *UI) notificationView(ctx context.Context, pr *auth.Principal, n *hubtype.Notification) (*notificationView, error) {
	v := &notificationView{ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, CreatedAt: n.CreatedAt, Read: n.ReadAt != nil}
	if n.ExportID != "" {
		name, err := ui.exportNames.get(n.ExportID, func() (string, error) {
			e, err := ui.projects.Export(ctx, pr, n.ExportID)
			if err != nil {
				return "", err
			}
			return e.FileName, nil
		})
		switch {
		case errors.Is(err, hubtype.ErrNotFound):
			v.Body = "The export file is no longer available."
		case err != nil:
			return nil, fmt.Errorf("get export of notification %s: %w", n.ID, err)
		default:
			v.Title = "Export ready: " + name
			v.DownloadURL = exportDownloadPath(n.ExportID)
		}
	}
	if n.RunID != "" {
		refs, err := ui.runRefs.get(n.RunID, func() (string, error) {
			run, err := ui.projects.Run(ctx, pr, "", n.RunID)
			if err != nil {
				return "", err
			}
			return run.ProjectID + " " + run.PluginID, nil
		})
		projectID, pluginID, _ := strings.Cut(refs, " ")
		switch {
		case errors.Is(err, hubtype.ErrNotFound):
			// The run went with its project: nothing to link to.
		case err != nil:
			return nil, fmt.Errorf("get run of notification %s: %w", n.ID, err)
		default:
			v.RunURL = runPagePath(projectID, n.RunID)
			if n.Kind == kindRunFailed && n.Body == hubtype.RunMsgNoInstance {
				v.Action = "Start the plugin, then run the export again:"
				v.StartCommand = startCommand(ui.hub.PublicURL(), pluginID)
			}
		}
	}
	if n.Kind == kindRunFailed && v.Body != "" && strings.Contains(v.Title, v.Body) {
		v.Body = "" // the title says the error
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
	if err := ui.hub.MarkNotificationsRead(q.r.Context(), q.user.ID, ids); err != nil {
		ui.apiFail(q, err)
		return
	}
	ui.handleNotifications(q)
}

// handleNotificationStream streams the bell's content as a
// "notifications" event, first at once and then whenever the hub's
// notification feed (the one the API's stream follows) wakes it: a
// notification stored for the user, or some marked read, on any replica.
// It ends when the browser leaves, the hub begins to shut down or the
// session ends.
func (ui *UI) handleNotificationStream(q *request) {
	wake, stop := ui.hub.WatchNotifications(q.user.ID)
	defer stop()
	es, err := sse.Start(q.w)
	if err != nil {
		return
	}
	ctx, cancel := ui.streamContext(q)
	defer cancel()
	var last *bellView
	for {
		v, err := ui.bell(ctx, q.session)
		if err != nil {
			ui.streamEnded(ctx, err)
			return
		}
		if !sameBell(last, v) {
			if err := es.Event("notifications", "", v); err != nil {
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
		}
	}
}
