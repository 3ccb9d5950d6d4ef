package hub

import (
	"context"
	"fmt"
	"strings"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/users"
)

// IssueKeyParams is the input of [IssueKey] (users.IssueParams).
type IssueKeyParams = users.IssueParams

// IssueKey creates an API key or run token in st and returns the key in
// clear (shown once, never stored) with its stored row
// (users.Issue). A caller-chosen Key must pass the bootstrap key rules.
// It works on a store directly, so `exporthub admin create-key` needs no
// running hub.
func IssueKey(ctx context.Context, st store.Store, p *IssueKeyParams) (string, *store.APIKey, error) {
	if p.Key != "" {
		if err := validateBootstrapKey(p.Key); err != nil {
			return "", nil, err
		}
	}
	return users.Issue(ctx, st, p)
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
