package hub

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/store"
)

// IssueKeyParams is the input of [IssueKey].
type IssueKeyParams struct {
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
	// Key, when set, is used as the key instead of a random one (the
	// bootstrap key); it must pass the bootstrap key rules.
	Key string
}

// IssueKey creates an API key or run token in st and returns the key in
// clear (shown once, never stored) with its stored row. It works on a
// store directly, so `exporthub admin create-key` needs no running hub.
func IssueKey(ctx context.Context, st store.Store, p *IssueKeyParams) (string, *store.APIKey, error) {
	prefix := auth.KeyPrefix
	if p.RunID != "" {
		prefix = auth.RunTokenPrefix
	}
	key, display, hash := auth.NewKey(prefix)
	if p.Key != "" {
		if err := validateBootstrapKey(p.Key); err != nil {
			return "", nil, err
		}
		key, display, hash = p.Key, p.Key[:auth.DisplayPrefixLen], auth.HashKey(p.Key)
	}
	k := &store.APIKey{
		ID:        store.NewID(),
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

// IssueKey creates an API key or run token; see the function [IssueKey].
// The run dispatcher issues a run's token with ProjectID, RunID and
// ExpiresAt set, and revokes it with Store().APIKeyRevokeForRun.
func (s *Server) IssueKey(ctx context.Context, p *IssueKeyParams) (string, *store.APIKey, error) {
	return IssueKey(ctx, s.store, p)
}

// minBootstrapKeyLen is the shortest key accepted as BootstrapKey.
const minBootstrapKeyLen = 24

// validateBootstrapKey checks a caller-chosen key.
func validateBootstrapKey(k string) error {
	if !strings.HasPrefix(k, auth.KeyPrefix) {
		return fmt.Errorf("hub: BootstrapKey must start with %q", auth.KeyPrefix)
	}
	if len(k) < minBootstrapKeyLen {
		return fmt.Errorf("hub: BootstrapKey must be at least %d characters, got %d", minBootstrapKeyLen, len(k))
	}
	if strings.ContainsAny(k, " \t\r\n") {
		return fmt.Errorf("hub: BootstrapKey must not contain white space")
	}
	return nil
}
