package hub

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/sse"
)

// maxNotificationList bounds one page of notifications.
const maxNotificationList = 500

// maxWebhookURLLen bounds a webhook URL.
const maxWebhookURLLen = 2048

// NewNotificationResponse returns n on the wire.
func NewNotificationResponse(n *store.Notification) *hubapi.NotificationResponse {
	return &hubapi.NotificationResponse{
		ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, Link: n.Link, RunID: n.RunID, ExportID: n.ExportID,
		Read: n.ReadAt != nil, ReadAt: n.ReadAt, CreatedAt: n.CreatedAt,
	}
}

// handleNotificationList serves GET /api/notifications: the caller's
// notifications, newest first (?limit=N, default 50), with the unread
// count.
func (s *Server) handleNotificationList(w http.ResponseWriter, r *http.Request) {
	limit, err := listLimit(r, 50, maxNotificationList)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	list, unread, err := s.users.Notifications(r.Context(), Principal(r), limit)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	out := hubapi.NotificationListResponse{Notifications: make([]*hubapi.NotificationResponse, 0, len(list)), Unread: unread}
	for _, n := range list {
		out.Notifications = append(out.Notifications, NewNotificationResponse(n))
	}
	WriteJSON(w, http.StatusOK, out)
}

// handleNotificationUnreadCount serves GET
// /api/notifications/unread-count.
func (s *Server) handleNotificationUnreadCount(w http.ResponseWriter, r *http.Request) {
	n, err := s.users.UnreadNotifications(r.Context(), Principal(r))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, hubapi.UnreadCountResponse{Unread: n})
}

// handleNotificationMarkRead serves POST /api/notifications/read: marks
// the given notifications (all without ids) read and answers the unread
// count. Unknown ids and other users' notifications are skipped.
func (s *Server) handleNotificationMarkRead(w http.ResponseWriter, r *http.Request) {
	var req hubapi.MarkReadRequest
	if r.ContentLength != 0 {
		if err := DecodeJSON(r, &req); err != nil {
			s.WriteError(w, r, err)
			return
		}
	}
	p := Principal(r)
	if err := s.Runs().MarkNotificationsRead(r.Context(), p.UserID, req.IDs); err != nil {
		s.WriteError(w, r, err)
		return
	}
	n, err := s.users.UnreadNotifications(r.Context(), p)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, hubapi.UnreadCountResponse{Unread: n})
}

// notificationKeepAlive is how often an idle notification stream sends a
// keep-alive comment.
const notificationKeepAlive = 30 * time.Second

// handleNotificationStream serves GET /api/notifications/stream as
// text/event-stream for the web bell: an `unread` event (data: the unread
// count) at once, then a `notification` event (data: a
// NotificationResponse) for each new notification, until the client
// leaves or the hub begins to shut down (the client then reconnects).
func (s *Server) handleNotificationStream(w http.ResponseWriter, r *http.Request) {
	p := Principal(r)
	ch, stop := s.Runs().WatchNotifications(p.UserID)
	defer stop()
	unread, err := s.users.UnreadNotifications(r.Context(), p)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	events, err := sse.Start(w)
	if err != nil || events.Event("unread", "", hubapi.UnreadCountResponse{Unread: unread}) != nil {
		return
	}
	t := time.NewTicker(notificationKeepAlive)
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.stopping:
			return
		case n, ok := <-ch:
			if !ok {
				return
			}
			if n == nil {
				continue // a wake-up without a new notification (some were marked read)
			}
			if events.Event("notification", n.ID, NewNotificationResponse(n)) != nil {
				return
			}
		case <-t.C:
			if events.KeepAlive() != nil {
				return
			}
		}
	}
}

// handleWebhookGet serves GET /api/org/webhook (admins).
func (s *Server) handleWebhookGet(w http.ResponseWriter, r *http.Request) {
	org, err := s.store.OrgGet(r.Context(), Principal(r).OrgID)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, hubapi.WebhookResponse{URL: org.WebhookURL, HasSecret: len(org.WebhookSecretEnc) > 0, SignatureHeader: runs.HeaderWebhookSignature})
}

// handleWebhookPut serves PUT /api/org/webhook (admins): sets the URL
// called when a run ends. The first time (or with rotateSecret) it makes
// the signing secret and answers it, this once.
func (s *Server) handleWebhookPut(w http.ResponseWriter, r *http.Request) {
	var req hubapi.WebhookRequest
	if err := DecodeJSON(r, &req); err != nil {
		s.WriteError(w, r, err)
		return
	}
	u := strings.TrimSpace(req.URL)
	if err := checkWebhookURL(u); err != nil {
		s.WriteError(w, r, err)
		return
	}
	org, err := s.store.OrgGet(r.Context(), Principal(r).OrgID)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	out := hubapi.WebhookResponse{URL: u, HasSecret: true, SignatureHeader: runs.HeaderWebhookSignature}
	if len(org.WebhookSecretEnc) == 0 || req.RotateSecret {
		var b [32]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
		out.Secret = "whsec_" + hex.EncodeToString(b[:])
		org.WebhookSecretEnc = s.box.Seal([]byte(out.Secret))
	}
	org.WebhookURL = u
	if err := s.store.OrgUpdate(r.Context(), org); err != nil {
		s.WriteError(w, r, fmt.Errorf("update organization: %w", err))
		return
	}
	WriteJSON(w, http.StatusOK, out)
}

// handleWebhookDelete serves DELETE /api/org/webhook (admins): no more
// calls; the secret is dropped.
func (s *Server) handleWebhookDelete(w http.ResponseWriter, r *http.Request) {
	org, err := s.store.OrgGet(r.Context(), Principal(r).OrgID)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	org.WebhookURL, org.WebhookSecretEnc = "", nil
	if err := s.store.OrgUpdate(r.Context(), org); err != nil {
		s.WriteError(w, r, fmt.Errorf("update organization: %w", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkWebhookURL accepts an absolute http(s) URL without credentials.
func checkWebhookURL(s string) error {
	if s == "" {
		return badRequest("url is required (DELETE /api/org/webhook removes the webhook)")
	}
	if len(s) > maxWebhookURLLen {
		return badRequest("url is longer than %d bytes", maxWebhookURLLen)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return badRequest("url %q is not a URL: %v", s, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return badRequest("url %q must start with http:// or https://", s)
	case u.Host == "":
		return badRequest("url %q has no host", s)
	case u.User != nil:
		return badRequest("url must not hold credentials")
	}
	return nil
}
