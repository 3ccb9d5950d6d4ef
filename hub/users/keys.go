package users

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubtype"
)

// ErrBadCredentials is wrapped by the errors of credentials that do not
// hold: an unknown, revoked or expired API key, a key of a deleted user,
// a wrong e-mail or password.
var ErrBadCredentials = errors.New("invalid credentials")

// CredentialsError says why credentials were refused; it matches
// ErrBadCredentials.
type CredentialsError struct {
	// Message says why, e.g. "API key ehk_abcdefgh… was revoked".
	Message string
}

// Error returns the message.
func (e *CredentialsError) Error() string { return e.Message }

// Unwrap returns ErrBadCredentials.
func (e *CredentialsError) Unwrap() error { return ErrBadCredentials }

// IssueParams is the input of [Issue].
type IssueParams struct {
	OrgID  string
	UserID string
	// Name labels the key in lists ("ci", "laptop").
	Name string
	// ProjectID and RunID make a run-scoped token (prefix "ehr_"); leave
	// both empty for a user API key (prefix "ehk_").
	ProjectID string
	RunID     string
	// ExpiresAt ends the key's validity; nil for no expiry (run tokens
	// should always expire).
	ExpiresAt *time.Time
	// Key, when set, is used as the key instead of a random one (a
	// bootstrap key the operator chose, checked by the caller).
	Key string
}

// Issue creates an API key or run token in st and returns the key in
// clear (shown once, never stored) with its stored row. It applies no
// rule about who may: the hub's bootstrap, the run dispatcher and
// `exporthub admin create-key` use it directly, callers with a principal
// use [Service.CreateKey].
func Issue(ctx context.Context, st KeyStore, p *IssueParams) (string, *hubtype.APIKey, error) {
	prefix := auth.KeyPrefix
	if p.RunID != "" {
		prefix = auth.RunTokenPrefix
	}
	key, display, hash := auth.NewKey(prefix)
	if p.Key != "" {
		key, display, hash = p.Key, p.Key[:min(auth.DisplayPrefixLen, len(p.Key))], auth.HashKey(p.Key)
	}
	k := &hubtype.APIKey{
		ID:        hubtype.NewID(),
		OrgID:     p.OrgID,
		UserID:    p.UserID,
		Name:      p.Name,
		Prefix:    display,
		Hash:      hash,
		ProjectID: p.ProjectID,
		RunID:     p.RunID,
		ExpiresAt: p.ExpiresAt,
		CreatedAt: time.Now().UTC(),
	}
	if err := st.APIKeyInsert(ctx, k); err != nil {
		return "", nil, fmt.Errorf("insert api key: %w", err)
	}
	return key, k, nil
}

// CreateKeyParams is the input of [Service.CreateKey].
type CreateKeyParams struct {
	// Name labels the key: 1 to MaxNameLen bytes once trimmed.
	Name string
	// ExpiresIn ends the key's validity that long from now (at most
	// MaxKeyLifetime); 0 for no expiry.
	ExpiresIn time.Duration
	// UserID is the user the key is for (admins only for another user);
	// empty for the caller.
	UserID string
}

// CreateKey creates an API key and returns it in clear (shown once) with
// its stored row. Users create keys for themselves, admins for any user
// of the organization.
func (s *Service) CreateKey(ctx context.Context, pr *auth.Principal, p *CreateKeyParams) (string, *hubtype.APIKey, error) {
	if pr.IsRunToken() {
		return "", nil, hubtype.Forbiddenf("a run token may not create API keys")
	}
	name := strings.TrimSpace(p.Name)
	switch {
	case name == "":
		return "", nil, hubtype.Fieldf("name", "name is required: say what the key is for, e.g. \"ci\"")
	case len(name) > MaxNameLen:
		return "", nil, hubtype.Fieldf("name", "name is longer than %d characters", MaxNameLen)
	case p.ExpiresIn < 0 || p.ExpiresIn > MaxKeyLifetime:
		return "", nil, hubtype.Fieldf("expiresIn", "expiresIn must be a positive duration such as \"720h\", at most %s", MaxKeyLifetime)
	}
	ip := &IssueParams{OrgID: pr.OrgID, UserID: pr.UserID, Name: name}
	if p.ExpiresIn > 0 {
		at := s.now().Add(p.ExpiresIn).UTC()
		ip.ExpiresAt = &at
	}
	if p.UserID != "" && p.UserID != pr.UserID {
		if !pr.IsAdmin() {
			return "", nil, hubtype.Forbiddenf("only an admin may create keys for another user")
		}
		if _, err := s.st.UserGet(ctx, pr.OrgID, p.UserID); err != nil {
			return "", nil, fmt.Errorf("get user: %w", err)
		}
		ip.UserID = p.UserID
	}
	return Issue(ctx, s.st, ip)
}

// Keys returns the user keys the caller may see, newest first: their
// own, or every user key of the organization for an admin. Run tokens
// are never listed.
func (s *Service) Keys(ctx context.Context, pr *auth.Principal) ([]*hubtype.APIKey, error) {
	ks, err := s.st.APIKeyList(ctx, pr.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	out := []*hubtype.APIKey{}
	for _, k := range ks {
		if k.RunID == "" && (pr.IsAdmin() || k.UserID == pr.UserID) {
			out = append(out, k)
		}
	}
	return out, nil
}

// RevokeKey revokes a key the caller may see ([Service.Keys]) and
// returns it; ErrNotFound for any other key, run tokens included.
func (s *Service) RevokeKey(ctx context.Context, pr *auth.Principal, id string) (*hubtype.APIKey, error) {
	ks, err := s.Keys(ctx, pr)
	if err != nil {
		return nil, err
	}
	for _, k := range ks {
		if k.ID == id {
			at := s.now().UTC()
			if err := s.st.APIKeyRevoke(ctx, pr.OrgID, id, at); err != nil {
				return nil, fmt.Errorf("revoke key: %w", err)
			}
			k.RevokedAt = &at
			return k, nil
		}
	}
	return nil, hubtype.ErrNotFound
}

// keyTouchInterval throttles APIKeyTouch: a key's last-used time is
// written at most once per interval per service.
const keyTouchInterval = time.Minute

// Authenticate resolves an API key or run token into its principal. An
// unknown, revoked or expired key, or one whose user was deleted, gives
// a *CredentialsError saying which. It records the use of the key (at
// most once a minute).
func (s *Service) Authenticate(ctx context.Context, key string) (*auth.Principal, error) {
	k, u, err := s.checkKey(ctx, key)
	if err != nil {
		return nil, err
	}
	return &auth.Principal{
		OrgID:     k.OrgID,
		UserID:    k.UserID,
		Role:      u.Role,
		KeyID:     k.ID,
		ProjectID: k.ProjectID,
		RunID:     k.RunID,
	}, nil
}

// checkKey returns the valid key stored for key with its user, recording
// its use; a CredentialsError when it is unknown, revoked or expired, or
// its user was deleted.
func (s *Service) checkKey(ctx context.Context, key string) (*hubtype.APIKey, *hubtype.User, error) {
	if key == "" {
		return nil, nil, &CredentialsError{Message: "missing API key"}
	}
	k, err := s.st.APIKeyGetByHash(ctx, auth.HashKey(key))
	if errors.Is(err, hubtype.ErrNotFound) {
		return nil, nil, &CredentialsError{Message: "invalid API key"}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("look up api key: %w", err)
	}
	now := s.now()
	if err := keyUsable(k, now); err != nil {
		return nil, nil, err
	}
	u, err := s.st.UserGet(ctx, k.OrgID, k.UserID)
	if errors.Is(err, hubtype.ErrNotFound) {
		return nil, nil, &CredentialsError{Message: fmt.Sprintf("API key %s… belongs to a deleted user", k.Prefix)}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("look up key owner: %w", err)
	}
	s.touchKey(ctx, k.ID, now)
	return k, u, nil
}

// keyUsable returns a CredentialsError when k is revoked or expired at now.
func keyUsable(k *hubtype.APIKey, now time.Time) error {
	if k.RevokedAt != nil {
		return &CredentialsError{Message: fmt.Sprintf("API key %s… was revoked", k.Prefix)}
	}
	if k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
		return &CredentialsError{Message: fmt.Sprintf("API key %s… expired at %s", k.Prefix, k.ExpiresAt.UTC().Format(time.RFC3339))}
	}
	return nil
}

// touchKey records key use, at most once per keyTouchInterval.
func (s *Service) touchKey(ctx context.Context, id string, now time.Time) {
	if v, ok := s.touched.Load(id); ok && now.Sub(v.(time.Time)) < keyTouchInterval {
		return
	}
	s.touched.Store(id, now)
	// Best effort: a failed touch only leaves "last used" stale, so it is
	// logged at debug and the request goes on.
	if err := s.st.APIKeyTouch(ctx, id, now); err != nil {
		s.log.DebugContext(ctx, "touch api key", slog.String("key_id", id), slog.Any("error", err))
	}
}
