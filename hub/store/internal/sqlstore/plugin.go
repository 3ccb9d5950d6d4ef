package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/exporthub/exporthub/hub/store"
)

const pluginColumns = `p.id, p.org_id, p.owner_id, p.name, p.description, p.default_config, p.run_timeout, p.connector,
	p.base_url, p.secret_hash, p.secret_enc, p.secret_revealed, p.created_at, p.updated_at`

func scanPlugin(row Row) (*store.Plugin, error) {
	var (
		p       store.Plugin
		timeout int64
	)
	if err := row.Scan(&p.ID, &p.OrgID, &p.OwnerID, &p.Name, &p.Description, &p.DefaultConfig, &timeout, &p.Connector,
		&p.BaseURL, &p.SecretHash, &p.SecretEnc, &p.SecretRevealed, TimeDest(&p.CreatedAt), TimeDest(&p.UpdatedAt)); err != nil {
		return nil, err
	}
	p.RunTimeout = time.Duration(timeout)
	p.SecretHash, p.SecretEnc = bytesOrNil(p.SecretHash), bytesOrNil(p.SecretEnc)
	return &p, nil
}

func defaultConfig(c string) string {
	if c == "" {
		return "{}"
	}
	return c
}

// PluginInsert creates a plugin. ErrConflict if the id exists; ErrNotFound
// if the organization does not exist.
func (s *Store) PluginInsert(ctx context.Context, p *store.Plugin) error {
	p.CreatedAt = OrNow(p.CreatedAt)
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.CreatedAt
	}
	p.UpdatedAt = OrNow(p.UpdatedAt)
	p.DefaultConfig = defaultConfig(p.DefaultConfig)
	_, err := s.exec(ctx, `INSERT INTO plugins (id, org_id, owner_id, name, description, default_config, run_timeout,
			connector, base_url, secret_hash, secret_enc, secret_revealed, created_at, updated_at)
		VALUES (`+placeholders(14)+`)`,
		p.ID, p.OrgID, p.OwnerID, p.Name, p.Description, p.DefaultConfig, int64(p.RunTimeout), string(p.Connector),
		p.BaseURL, p.SecretHash, p.SecretEnc, p.SecretRevealed, s.d.TimeFunc(p.CreatedAt), s.d.TimeFunc(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert plugin %s: %w", p.ID, err)
	}
	return nil
}

// PluginGet returns a plugin of org; ErrNotFound when missing or in
// another organization.
func (s *Store) PluginGet(ctx context.Context, orgID, id string) (*store.Plugin, error) {
	p, err := Get(ctx, s, s.db.Read, scanPlugin, `SELECT `+pluginColumns+` FROM plugins p WHERE p.org_id = ? AND p.id = ?`,
		orgID, id)
	if err != nil {
		return nil, fmt.Errorf("get plugin %s: %w", id, err)
	}
	return p, nil
}

// PluginGetByID returns a plugin by id in any organization; ErrNotFound
// when missing.
func (s *Store) PluginGetByID(ctx context.Context, id string) (*store.Plugin, error) {
	p, err := Get(ctx, s, s.db.Read, scanPlugin, `SELECT `+pluginColumns+` FROM plugins p WHERE p.id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("get plugin %s: %w", id, err)
	}
	return p, nil
}

// PluginList returns the plugins of org ordered by name.
func (s *Store) PluginList(ctx context.Context, orgID string) ([]*store.Plugin, error) {
	out, err := List(ctx, s, s.db.Read, scanPlugin,
		`SELECT `+pluginColumns+` FROM plugins p WHERE p.org_id = ? ORDER BY p.name`+s.d.Collate+`, p.id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list plugins: %w", err)
	}
	return out, nil
}

// PluginListByConnector returns every plugin using connector, ordered by
// organization and name.
func (s *Store) PluginListByConnector(ctx context.Context, connector string) ([]*store.Plugin, error) {
	out, err := List(ctx, s, s.db.Read, scanPlugin, `SELECT `+pluginColumns+` FROM plugins p WHERE p.connector = ?
		ORDER BY p.org_id, p.name`+s.d.Collate+`, p.id`, connector)
	if err != nil {
		return nil, fmt.Errorf("list %s plugins: %w", connector, err)
	}
	return out, nil
}

// PluginUpdate updates the mutable fields of a plugin of p.OrgID and sets
// UpdatedAt to now (written back into p); ErrNotFound when missing.
func (s *Store) PluginUpdate(ctx context.Context, p *store.Plugin) error {
	p.UpdatedAt = Now()
	p.DefaultConfig = defaultConfig(p.DefaultConfig)
	err := s.execOne(ctx, `UPDATE plugins SET name = ?, description = ?, default_config = ?, run_timeout = ?,
			connector = ?, base_url = ?, secret_hash = ?, secret_enc = ?, secret_revealed = ?, updated_at = ?
		WHERE org_id = ? AND id = ?`,
		p.Name, p.Description, p.DefaultConfig, int64(p.RunTimeout), string(p.Connector), p.BaseURL,
		p.SecretHash, p.SecretEnc, p.SecretRevealed, s.d.TimeFunc(p.UpdatedAt), p.OrgID, p.ID)
	if err != nil {
		return fmt.Errorf("update plugin %s: %w", p.ID, err)
	}
	return nil
}

// PluginDelete deletes a plugin of org and its project links; ErrNotFound
// when missing.
func (s *Store) PluginDelete(ctx context.Context, orgID, id string) error {
	if err := s.execOne(ctx, `DELETE FROM plugins WHERE org_id = ? AND id = ?`, orgID, id); err != nil {
		return fmt.Errorf("delete plugin %s: %w", id, err)
	}
	return nil
}

// ProjectPluginEnable enables a plugin on a project (idempotent);
// ErrNotFound when the project or the plugin is not in org.
func (s *Store) ProjectPluginEnable(ctx context.Context, orgID, projectID, pluginID string) error {
	_, err := s.exec(ctx, `INSERT INTO project_plugins (org_id, project_id, plugin_id, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (project_id, plugin_id) DO NOTHING`, orgID, projectID, pluginID, s.d.TimeFunc(Now()))
	if err != nil {
		return fmt.Errorf("enable plugin %s on project %s: %w", pluginID, projectID, err)
	}
	return nil
}

// ProjectPluginDisable disables a plugin on a project; ErrNotFound if it
// was not enabled.
func (s *Store) ProjectPluginDisable(ctx context.Context, orgID, projectID, pluginID string) error {
	err := s.execOne(ctx, `DELETE FROM project_plugins WHERE org_id = ? AND project_id = ? AND plugin_id = ?`,
		orgID, projectID, pluginID)
	if err != nil {
		return fmt.Errorf("disable plugin %s on project %s: %w", pluginID, projectID, err)
	}
	return nil
}

// ProjectPluginList returns the plugins enabled on a project of org,
// ordered by name.
func (s *Store) ProjectPluginList(ctx context.Context, orgID, projectID string) ([]*store.Plugin, error) {
	out, err := List(ctx, s, s.db.Read, scanPlugin, `SELECT `+pluginColumns+` FROM project_plugins pp
		JOIN plugins p ON p.org_id = pp.org_id AND p.id = pp.plugin_id
		WHERE pp.org_id = ? AND pp.project_id = ? ORDER BY p.name`+s.d.Collate+`, p.id`, orgID, projectID)
	if err != nil {
		return nil, fmt.Errorf("list plugins of project %s: %w", projectID, err)
	}
	return out, nil
}
