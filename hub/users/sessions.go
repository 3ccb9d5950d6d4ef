package users

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubtype"
)

// ErrNoSession is returned by [Service.Session] when a session value is
// unknown or expired, its user was deleted, or what it was signed in with
// no longer holds.
var ErrNoSession = errors.New("session expired or signed out")

// Session is a signed-in browser: the stored session with its user and
// organization.
type Session struct {
	Web  *hubtype.WebSession
	User *hubtype.User
	Org  *hubtype.Org
}

// Principal returns the caller the session acts as.
func (s *Session) Principal() *auth.Principal {
	return &auth.Principal{OrgID: s.Org.ID, UserID: s.User.ID, Role: s.User.Role}
}

// RandomToken returns n random bytes, base64url encoded: session values
// and CSRF tokens.
func RandomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSession returns the stored form of a session value.
func hashSession(v string) []byte {
	sum := sha256.Sum256([]byte(v))
	return sum[:]
}

// dummyHash is compared against when an e-mail is unknown or has no
// password, so a refusal takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("exporthub timing equaliser"), bcrypt.DefaultCost) // cannot fail for a short password
	return h
})

// SignIn checks an e-mail and password and returns the user; an error
// wrapping ErrBadCredentials when they do not match a user with a
// password. A refusal takes as long as a wrong password.
func (s *Service) SignIn(ctx context.Context, email, password string) (*hubtype.User, error) {
	u, err := s.st.UserGetByEmail(ctx, email)
	if err != nil && !errors.Is(err, hubtype.ErrNotFound) {
		return nil, fmt.Errorf("get user by e-mail: %w", err)
	}
	hash := dummyHash()
	if u != nil && u.PasswordHash != "" {
		hash = []byte(u.PasswordHash)
	}
	match := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	if u == nil || u.PasswordHash == "" || !match || email == "" || password == "" {
		return nil, &CredentialsError{Message: "wrong e-mail or password"}
	}
	return u, nil
}

// SignInKey resolves a user's API key to its user and stored key; an
// error wrapping ErrBadCredentials when it is not a valid user key (run
// tokens are not).
func (s *Service) SignInKey(ctx context.Context, key string) (*hubtype.User, *hubtype.APIKey, error) {
	k, u, err := s.checkKey(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	if k.RunID != "" {
		return nil, nil, &CredentialsError{Message: "a run token cannot sign in"}
	}
	return u, k, nil
}

// passwordFingerprint returns what a password session records of its
// user's password hash: nil when the user has no password.
func passwordFingerprint(hash string) []byte {
	if hash == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(hash))
	return sum[:]
}

// StartSession stores a new browser session for u lasting ttl and returns
// the value its cookie holds (only its hash is stored) with the stored
// session. k is the API key u signed in with, nil for a password: a key's
// session ends when the key is revoked or expires (never later than the
// key's expiry), a password's when the password changes. It also sweeps
// expired sessions (best effort).
func (s *Service) StartSession(ctx context.Context, u *hubtype.User, k *hubtype.APIKey, ttl time.Duration) (string, *hubtype.WebSession, error) {
	value := RandomToken(32)
	now := s.now().UTC()
	ws := &hubtype.WebSession{
		Hash:      hashSession(value),
		UserID:    u.ID,
		OrgID:     u.OrgID,
		CSRFToken: RandomToken(32),
		ExpiresAt: now.Add(ttl),
		CreatedAt: now,
	}
	switch {
	case k != nil:
		if k.UserID != u.ID || k.OrgID != u.OrgID || k.RunID != "" {
			return "", nil, fmt.Errorf("start session: key %s is not a key of user %s", k.ID, u.ID)
		}
		ws.APIKeyID = k.ID
		if k.ExpiresAt != nil && k.ExpiresAt.Before(ws.ExpiresAt) {
			ws.ExpiresAt = k.ExpiresAt.UTC()
		}
	case u.PasswordHash != "":
		ws.PasswordFingerprint = passwordFingerprint(u.PasswordHash)
	default:
		return "", nil, fmt.Errorf("start session: user %s has neither a key nor a password to sign in with", u.ID)
	}
	if err := s.st.WebSessionInsert(ctx, ws); err != nil {
		return "", nil, fmt.Errorf("insert session: %w", err)
	}
	// Best effort: expired sessions are only dead rows, so a failed sweep
	// is logged at debug and sign-in goes on.
	if _, err := s.st.WebSessionDeleteExpired(ctx, now); err != nil {
		s.log.DebugContext(ctx, "delete expired sessions", "error", err)
	}
	return value, ws, nil
}

// Session returns the session whose cookie holds value: ErrNoSession
// when it is unknown or expired, or its user was deleted, or what it was
// signed in with no longer holds (the key was revoked, expired or
// deleted; the password changed).
func (s *Service) Session(ctx context.Context, value string) (*Session, error) {
	if value == "" {
		return nil, ErrNoSession
	}
	ws, err := s.st.WebSessionGetByHash(ctx, hashSession(value))
	if errors.Is(err, hubtype.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("get session: %w", err)
	}
	now := s.now()
	if !now.Before(ws.ExpiresAt) {
		return nil, ErrNoSession
	}
	u, err := s.st.UserGet(ctx, ws.OrgID, ws.UserID)
	if errors.Is(err, hubtype.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("get session user: %w", err)
	}
	if ws.APIKeyID != "" {
		k, err := s.st.APIKeyGet(ctx, ws.OrgID, ws.APIKeyID)
		if errors.Is(err, hubtype.ErrNotFound) {
			return nil, ErrNoSession
		}
		if err != nil {
			return nil, fmt.Errorf("get session key: %w", err)
		}
		if k.UserID != ws.UserID || keyUsable(k, now) != nil {
			return nil, ErrNoSession
		}
	} else {
		fp := passwordFingerprint(u.PasswordHash)
		if fp == nil || subtle.ConstantTimeCompare(fp, ws.PasswordFingerprint) != 1 {
			return nil, ErrNoSession
		}
	}
	o, err := s.st.OrgGet(ctx, ws.OrgID)
	if err != nil {
		return nil, fmt.Errorf("get session organization: %w", err)
	}
	return &Session{Web: ws, User: u, Org: o}, nil
}

// EndSession deletes the session whose cookie holds value; ending a
// missing one is not an error.
func (s *Service) EndSession(ctx context.Context, value string) error {
	if value == "" {
		return nil
	}
	if err := s.st.WebSessionDelete(ctx, hashSession(value)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
