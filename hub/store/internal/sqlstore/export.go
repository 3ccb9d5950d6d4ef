package sqlstore

import (
	"context"
	"fmt"

	"github.com/exporthub/exporthub/hub/store"
)

const exportColumns = `id, org_id, project_id, run_id, plugin_id, user_id, file_name, size, sha256, storage_id, bucket,
	object_key, created_at`

func scanExport(row Row) (*store.Export, error) {
	var e store.Export
	if err := row.Scan(&e.ID, &e.OrgID, &e.ProjectID, &e.RunID, &e.PluginID, &e.UserID, &e.FileName, &e.Size,
		&e.SHA256, &e.StorageID, &e.Bucket, &e.ObjectKey, TimeDest(&e.CreatedAt)); err != nil {
		return nil, err
	}
	return &e, nil
}

// ExportInsert records an export file. ErrConflict if the id exists;
// ErrNotFound if the organization does not exist.
func (s *Store) ExportInsert(ctx context.Context, e *store.Export) error {
	e.CreatedAt = OrNow(e.CreatedAt)
	_, err := s.exec(ctx, `INSERT INTO exports (`+exportColumns+`) VALUES (`+placeholders(13)+`)`,
		e.ID, e.OrgID, e.ProjectID, e.RunID, e.PluginID, e.UserID, e.FileName, e.Size, e.SHA256, e.StorageID, e.Bucket,
		e.ObjectKey, s.d.TimeFunc(e.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert export %s: %w", e.ID, err)
	}
	return nil
}

// ExportGet returns an export of org; ErrNotFound when missing or in
// another organization.
func (s *Store) ExportGet(ctx context.Context, orgID, id string) (*store.Export, error) {
	e, err := Get(ctx, s, s.db.Read, scanExport, `SELECT `+exportColumns+` FROM exports WHERE org_id = ? AND id = ?`, orgID, id)
	if err != nil {
		return nil, fmt.Errorf("get export %s: %w", id, err)
	}
	return e, nil
}

// ExportList returns the exports of a project of org, newest first.
func (s *Store) ExportList(ctx context.Context, orgID, projectID string) ([]*store.Export, error) {
	out, err := List(ctx, s, s.db.Read, scanExport, `SELECT `+exportColumns+` FROM exports
		WHERE org_id = ? AND project_id = ? ORDER BY created_at DESC, id DESC`, orgID, projectID)
	if err != nil {
		return nil, fmt.Errorf("list exports of project %s: %w", projectID, err)
	}
	return out, nil
}
