package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/store"
)

// BootstrapInfo describes what the first start of a hub created.
type BootstrapInfo struct {
	OrgID      string
	UserID     string
	AdminEmail string
	// Key is the admin's API key in clear. It is shown once: print it and
	// forget it.
	Key string
	// KeyGenerated is true when Key was generated (not Config.BootstrapKey).
	KeyGenerated bool
}

// Bootstrap returns what this start created on an empty database, or nil
// when the hub already had an organization.
func (s *Server) Bootstrap() *BootstrapInfo { return s.bootstrap }

// bootstrap creates the first organization, its admin and the admin's API
// key when the database holds no organization.
func bootstrap(ctx context.Context, st store.Store, cfg *Config, log *slog.Logger) (*BootstrapInfo, error) {
	orgs, err := st.OrgList(ctx)
	if err != nil {
		return nil, fmt.Errorf("list organizations: %w", err)
	}
	if len(orgs) > 0 {
		if cfg.BootstrapKey != "" {
			if _, err := st.APIKeyGetByHash(ctx, auth.HashKey(cfg.BootstrapKey)); errors.Is(err, store.ErrNotFound) {
				log.WarnContext(ctx, "bootstrap key ignored: the hub was already bootstrapped with another key")
			}
		}
		return nil, nil
	}
	now := time.Now().UTC()
	org := &store.Org{ID: store.NewID(), Name: cfg.BootstrapOrgName, CreatedAt: now}
	if err := st.OrgInsert(ctx, org); err != nil {
		return nil, fmt.Errorf("create organization: %w", err)
	}
	user := &store.User{ID: store.NewID(), OrgID: org.ID, Email: cfg.BootstrapAdminEmail, Name: "Admin", Role: store.RoleAdmin, CreatedAt: now}
	if err := st.UserInsert(ctx, user); err != nil {
		return nil, fmt.Errorf("create admin user: %w", err)
	}
	key, _, err := IssueKey(ctx, st, &IssueKeyParams{OrgID: org.ID, UserID: user.ID, Name: "bootstrap", Key: cfg.BootstrapKey})
	if err != nil {
		return nil, fmt.Errorf("create admin key: %w", err)
	}
	log.InfoContext(ctx, "bootstrapped organization and admin",
		slog.String(logKeyOrgID, org.ID), slog.String(logKeyUserID, user.ID), slog.String("email", user.Email))
	return &BootstrapInfo{
		OrgID:        org.ID,
		UserID:       user.ID,
		AdminEmail:   user.Email,
		Key:          key,
		KeyGenerated: cfg.BootstrapKey == "",
	}, nil
}
