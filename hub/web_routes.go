package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/users"
	"github.com/exporthub/exporthub/web"
)

// webSessionAuth authenticates API requests by the web UI's session
// cookie (EventSource and fetch calls cannot send an API key header); an
// unsafe method also needs the session's CSRF token in X-CSRF-Token.
func (s *Server) webSessionAuth(r *http.Request) (*auth.Principal, error) {
	p, err := web.SessionPrincipal(r, s.users)
	switch {
	case errors.Is(err, web.ErrNoSession):
		return nil, Errorf(http.StatusUnauthorized, hubapi.CodeUnauthorized, "the browser session expired: sign in again")
	case errors.Is(err, web.ErrCSRF):
		return nil, Errorf(http.StatusForbidden, hubapi.CodeForbidden, "a request with the session cookie needs the session's CSRF token in the %s header", web.CSRFHeader)
	case err != nil:
		return nil, fmt.Errorf("authenticate web session: %w", err)
	}
	return p, nil
}

// webHub gives the web UI the hub's services.
type webHub struct {
	s *Server
}

var _ web.Hub = (*webHub)(nil)

// inputError turns a hub error meant for the client (4xx) into the UI's
// *web.InputError; other errors pass unchanged.
func inputError(err error) error {
	var he *Error
	if errors.As(err, &he) && he.Status < 500 {
		return &web.InputError{Message: he.Message}
	}
	return err
}

// PublicURL returns the hub's public URL.
func (h *webHub) PublicURL() string { return h.s.cfg.PublicURL }

// HashPassword checks a password against the hub's rules (8 to 72 bytes)
// and returns its bcrypt hash, the form store.User.PasswordHash holds
// (users.HashPassword).
func HashPassword(password string) (string, error) { return users.HashPassword(password) }

// CreateStorage validates, checks (unless skipCheck) and stores a storage
// as POST /api/storages does. A bucket that does not answer is a
// *web.StorageCheckError, which the UI words for its form.
func (h *webHub) CreateStorage(ctx context.Context, orgID, name string, in *blob.StorageInput, skipCheck bool) (*store.Storage, error) {
	st, err := h.s.createStorage(ctx, orgID, name, in, skipCheck)
	var ce *blob.StorageCheckError
	if errors.As(err, &ce) {
		return nil, &web.StorageCheckError{What: ce.What, Err: ce}
	}
	if err != nil {
		return nil, inputError(err)
	}
	return st, nil
}

// Storages lists the storages of p's organization as GET /api/storages
// does.
func (h *webHub) Storages(ctx context.Context, p *auth.Principal) ([]*store.Storage, error) {
	ss, err := h.s.store.StorageList(ctx, p.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list storages: %w", err)
	}
	return ss, nil
}

// DeleteStorage deletes a storage and forgets its opened bucket.
func (h *webHub) DeleteStorage(ctx context.Context, orgID, id string) error {
	if err := h.s.store.StorageDelete(ctx, orgID, id); err != nil {
		return fmt.Errorf("delete storage: %w", err)
	}
	h.s.blobs.ForgetStorage(id)
	return nil
}

// StartRun starts a run as POST /api/projects/{pid}/plugins/{id}/runs
// does.
func (h *webHub) StartRun(ctx context.Context, p *auth.Principal, params *web.StartRunParams) (*store.Run, error) {
	config := params.ConfigJSON
	run, err := h.s.Runs().Submit(ctx, &runs.SubmitParams{
		OrgID: p.OrgID, ProjectID: params.ProjectID, PluginID: params.PluginID, UserID: p.UserID,
		ConfigJSON: &config, Stages: params.Stages, Batches: params.Batches, Retries: params.Retries,
	})
	if err != nil {
		return nil, inputError(runError(err, params.ProjectID, params.PluginID))
	}
	return run, nil
}

// Stopping returns the server's Stopping channel: the UI's event
// streams end when the hub begins to shut down.
func (h *webHub) Stopping() <-chan struct{} { return h.s.Stopping() }

// WatchNotifications wakes the bell of a user when a notification for
// them is stored on any replica of this hub.
func (h *webHub) WatchNotifications(userID string) (<-chan *store.Notification, func()) {
	return h.s.Runs().WatchNotifications(userID)
}

// FollowRun follows a run as GET /api/runs/{id}/logs/stream does.
func (h *webHub) FollowRun(ctx context.Context, p *auth.Principal, params *web.FollowRunParams) (*store.Run, error) {
	return h.s.Runs().FollowLogs(ctx, &runs.FollowParams{
		OrgID: p.OrgID, RunID: params.RunID, AfterSeq: params.AfterSeq,
		OnStatus: params.OnStatus, OnLine: params.OnLine, OnIdle: params.OnIdle,
	})
}

// MarkNotificationsRead marks notifications read as POST
// /api/notifications/read does.
func (h *webHub) MarkNotificationsRead(ctx context.Context, userID string, ids []string) error {
	return h.s.Runs().MarkNotificationsRead(ctx, userID, ids)
}
