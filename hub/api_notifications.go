package hub

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/store"
)

// maxNotificationList bounds one page of notifications.
const maxNotificationList = 500

// maxWebhookURLLen bounds a webhook URL.
const maxWebhookURLLen = 2048

// maxMarkRead bounds the ids of one mark-read request.
const maxMarkRead = 1000

func init() { RegisterRoutes(mountNotifications) }

// mountNotifications adds the notification and webhook API.
func mountNotifications(s *Server, mux *http.ServeMux) {
	s.Handle(mux, "GET /api/notifications", AccessMember, s.handleNotificationList)
	s.Handle(mux, "GET /api/notifications/unread-count", AccessMember, s.handleNotificationUnreadCount)
	s.Handle(mux, "POST /api/notifications/read", AccessMember, s.handleNotificationMarkRead)
	s.Handle(mux, "GET /api/notifications/stream", AccessMember, s.handleNotificationStream)
	s.Handle(mux, "GET /api/org/webhook", AccessAdmin, s.handleWebhookGet)
	s.Handle(mux, "PUT /api/org/webhook", AccessAdmin, s.handleWebhookPut)
	s.Handle(mux, "DELETE /api/org/webhook", AccessAdmin, s.handleWebhookDelete)
}

// NotificationResponse is a notification on the wire.
type NotificationResponse struct {
	ID string `json:"id"`
	// Kind is "export_ready" or "run_failed".
	Kind  string `json:"kind"`
	Title string `json:"title"`
	Body  string `json:"body"`
	// Link is the hub path the notification points to (the download, or
	// the run).
	Link      string     `json:"link"`
	RunID     string     `json:"runId,omitempty"`
	ExportID  string     `json:"exportId,omitempty"`
	Read      bool       `json:"read"`
	ReadAt    *time.Time `json:"readAt,omitempty"`
	CreatedAt time.Time  `json:"createdAt"`
}

// NewNotificationResponse returns n on the wire.
func NewNotificationResponse(n *store.Notification) *NotificationResponse {
	return &NotificationResponse{
		ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, Link: n.Link, RunID: n.RunID, ExportID: n.ExportID,
		Read: n.ReadAt != nil, ReadAt: n.ReadAt, CreatedAt: n.CreatedAt,
	}
}

// NotificationListResponse is the body of GET /api/notifications.
type NotificationListResponse struct {
	Notifications []*NotificationResponse `json:"notifications"`
	Unread        int                     `json:"unread"`
}

// UnreadCountResponse is the body of GET /api/notifications/unread-count
// and POST /api/notifications/read, and the data of the stream's
// `unread` event.
type UnreadCountResponse struct {
	Unread int `json:"unread"`
}

// MarkReadRequest is the body of POST /api/notifications/read.
type MarkReadRequest struct {
	// IDs lists the notifications to mark read; empty marks all.
	IDs []string `json:"ids"`
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
	p := Principal(r)
	list, err := s.store.NotificationList(r.Context(), p.UserID, limit)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	unread, err := s.store.NotificationUnreadCount(r.Context(), p.UserID)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	out := NotificationListResponse{Notifications: make([]*NotificationResponse, 0, len(list)), Unread: unread}
	for _, n := range list {
		out.Notifications = append(out.Notifications, NewNotificationResponse(n))
	}
	WriteJSON(w, http.StatusOK, out)
}

// handleNotificationUnreadCount serves GET
// /api/notifications/unread-count.
func (s *Server) handleNotificationUnreadCount(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.NotificationUnreadCount(r.Context(), Principal(r).UserID)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, UnreadCountResponse{Unread: n})
}

// handleNotificationMarkRead serves POST /api/notifications/read: marks
// the given notifications (all without ids) read and answers the unread
// count. Unknown ids and other users' notifications are skipped.
func (s *Server) handleNotificationMarkRead(w http.ResponseWriter, r *http.Request) {
	var req MarkReadRequest
	if r.ContentLength != 0 {
		if err := DecodeJSON(r, &req); err != nil {
			s.WriteError(w, r, err)
			return
		}
	}
	if len(req.IDs) > maxMarkRead {
		s.WriteError(w, r, Errorf(http.StatusBadRequest, CodeBadRequest, "ids holds %d notifications, at most %d at once", len(req.IDs), maxMarkRead))
		return
	}
	p := Principal(r)
	if err := s.store.NotificationMarkRead(r.Context(), p.UserID, req.IDs, time.Now().UTC()); err != nil {
		s.WriteError(w, r, err)
		return
	}
	n, err := s.store.NotificationUnreadCount(r.Context(), p.UserID)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, UnreadCountResponse{Unread: n})
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
	unread, err := s.store.NotificationUnreadCount(r.Context(), p.UserID)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	sse := newSSE(w)
	if sse.event("unread", "", UnreadCountResponse{Unread: unread}) != nil {
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
			if !ok || sse.event("notification", n.ID, NewNotificationResponse(n)) != nil {
				return
			}
		case <-t.C:
			if sse.keepAlive() != nil {
				return
			}
		}
	}
}

// WebhookRequest is the body of PUT /api/org/webhook.
type WebhookRequest struct {
	// URL receives a POST (a runs.WebhookEvent) when a run ends.
	URL string `json:"url"`
	// RotateSecret makes a new signing secret even if one exists.
	RotateSecret bool `json:"rotateSecret"`
}

// WebhookResponse describes the organization's webhook.
type WebhookResponse struct {
	URL string `json:"url"`
	// Secret signs the webhook bodies (HMAC-SHA256, hex, in the
	// X-Exporthub-Signature header as "sha256=<hex>"). It is shown only
	// when it was just created or rotated.
	Secret string `json:"secret,omitempty"`
	// HasSecret says whether a signing secret exists.
	HasSecret bool `json:"hasSecret"`
	// SignatureHeader names the signature header.
	SignatureHeader string `json:"signatureHeader"`
}

// handleWebhookGet serves GET /api/org/webhook (admins).
func (s *Server) handleWebhookGet(w http.ResponseWriter, r *http.Request) {
	org, err := s.store.OrgGet(r.Context(), Principal(r).OrgID)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, WebhookResponse{URL: org.WebhookURL, HasSecret: len(org.WebhookSecretEnc) > 0, SignatureHeader: runs.HeaderWebhookSignature})
}

// handleWebhookPut serves PUT /api/org/webhook (admins): sets the URL
// called when a run ends. The first time (or with rotateSecret) it makes
// the signing secret and answers it, this once.
func (s *Server) handleWebhookPut(w http.ResponseWriter, r *http.Request) {
	var req WebhookRequest
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
	out := WebhookResponse{URL: u, HasSecret: true, SignatureHeader: runs.HeaderWebhookSignature}
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
