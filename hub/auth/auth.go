// Package auth holds who is calling the hub: the [Principal] that the hub's
// authentication middleware puts in a request's context, the context
// helpers that handlers (HTTP API, run gateway, web UI) read it with, and
// the format of API keys and run tokens.
//
// Keys are random strings with a visible prefix ("ehk_" for API keys,
// "ehr_" for run tokens). The hub stores only their SHA-256 ([HashKey]) and
// a short display prefix; the full key is shown once, when it is created.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"net/http"
	"strings"

	"github.com/exporthub/exporthub/hub/hubtype"
)

// Principal is the authenticated caller of a request. A Principal is
// read-only once it is in a context.
type Principal struct {
	// OrgID is the caller's organization; every lookup is scoped to it.
	OrgID string
	// UserID is the user the key or session belongs to (for a run token:
	// the user who started the run).
	UserID string
	// Role is the user's role in the organization.
	Role hubtype.Role
	// KeyID is the id of the API key or run token used; "" for a browser
	// session.
	KeyID string
	// ProjectID and RunID are set for a run token only: the token may reach
	// that project's /v2 endpoints and that run's log and response calls,
	// nothing else.
	ProjectID string
	RunID     string
}

// IsAdmin reports whether the caller is an organization admin using a user
// key or session (a run token is never admin).
func (p *Principal) IsAdmin() bool { return p.Role == hubtype.RoleAdmin && !p.IsRunToken() }

// IsRunToken reports whether the caller authenticated with a run-scoped
// token.
func (p *Principal) IsRunToken() bool { return p.RunID != "" }

// CanReachProject reports whether the caller's token scope allows project
// id. User keys reach every project of their organization (the
// organization check is the store's); run tokens only their own project.
func (p *Principal) CanReachProject(id string) bool {
	return !p.IsRunToken() || p.ProjectID == id
}

type principalKey struct{}

// NewContext returns a copy of ctx carrying p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal in ctx, if any.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// Key prefixes: the visible start of every key, so a leaked key is easy to
// recognise (and to search for) as an exporthub credential.
const (
	// KeyPrefix starts every API key.
	KeyPrefix = "ehk_"
	// RunTokenPrefix starts every run-scoped token.
	RunTokenPrefix = "ehr_"
)

// DisplayPrefixLen is how many leading characters of a key are stored in
// clear (hubtype.APIKey.Prefix) to identify it in lists.
const DisplayPrefixLen = 12

// keyEncoding is lowercase base32 without padding: case-insensitive,
// URL- and header-safe, no ambiguous punctuation.
var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewKey returns a new random key starting with prefix (KeyPrefix or
// RunTokenPrefix), its display prefix and its SHA-256. The key carries 256
// bits of randomness.
func NewKey(prefix string) (key, display string, hash []byte) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	key = prefix + keyEncoding.EncodeToString(b[:])
	return key, key[:DisplayPrefixLen], HashKey(key)
}

// HashKey returns the SHA-256 of key: the only form in which the hub
// stores keys.
func HashKey(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// HeaderAPIKey is the header the Ango SDK sends its key in.
const HeaderAPIKey = "apikey"

// RequestKey returns the key a request presents: the "apikey" header, or
// else the token of an "Authorization: Bearer" header; "" when neither.
func RequestKey(r *http.Request) string {
	if k := strings.TrimSpace(r.Header.Get(HeaderAPIKey)); k != "" {
		return k
	}
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
