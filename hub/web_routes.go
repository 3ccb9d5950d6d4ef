package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/crypto/bcrypt"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/web"
)

// webSessionAuth authenticates API requests by the web UI's session
// cookie (EventSource and fetch calls cannot send an API key header); an
// unsafe method also needs the session's CSRF token in X-CSRF-Token.
func (s *Server) webSessionAuth(r *http.Request) (*auth.Principal, error) {
	p, err := web.SessionPrincipal(r, s.store)
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

// AuthenticateKey resolves key exactly as the API does.
func (h *webHub) AuthenticateKey(r *http.Request, key string) (*auth.Principal, error) {
	if key == "" {
		return nil, web.ErrBadCredentials
	}
	kr := r.Clone(r.Context())
	kr.Header = http.Header{}
	kr.Header.Set(auth.HeaderAPIKey, key)
	p, err := h.s.authenticate(kr)
	var he *Error
	if errors.As(err, &he) && he.Status == http.StatusUnauthorized {
		return nil, fmt.Errorf("%w: %s", web.ErrBadCredentials, he.Message)
	}
	return p, err
}

// IssueKey creates an API key for the user p acts as.
func (h *webHub) IssueKey(ctx context.Context, p *auth.Principal, name string) (string, error) {
	key, _, err := h.s.IssueKey(ctx, &IssueKeyParams{OrgID: p.OrgID, UserID: p.UserID, Name: name})
	return key, err
}

// CreateUser validates and stores a user as POST /api/users does.
func (h *webHub) CreateUser(ctx context.Context, u *store.User, password string) error {
	if err := validateUser(u, password); err != nil {
		return inputError(err)
	}
	if password != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
		if err != nil {
			return fmt.Errorf("hash password: %w", err)
		}
		u.PasswordHash = string(hash)
	}
	if err := h.s.store.UserInsert(ctx, u); err != nil {
		if isConflict(err) {
			return &web.InputError{Message: fmt.Sprintf("a user with e-mail %q already exists", u.Email)}
		}
		return fmt.Errorf("insert user: %w", err)
	}
	return nil
}

// SetPassword stores a new password for u.
func (h *webHub) SetPassword(ctx context.Context, u *store.User, password string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return inputError(err)
	}
	u.PasswordHash = hash
	if err := h.s.store.UserUpdate(ctx, u); err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	return nil
}

// HashPassword checks a password against the hub's rules (8 to 72 bytes)
// and returns its bcrypt hash, the form store.User.PasswordHash holds.
func HashPassword(password string) (string, error) {
	if len(password) < minPasswordLen || len(password) > maxPasswordLen {
		return "", Errorf(http.StatusBadRequest, hubapi.CodeBadRequest, "password must be %d to %d bytes long", minPasswordLen, maxPasswordLen)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(hash), nil
}

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
