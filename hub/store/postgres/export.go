package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/exporthub/exporthub/hub/store"
)

const exportColumns = `id, org_id, project_id, run_id, plugin_id, user_id, file_name, size, sha256, storage_id, bucket,
	object_key, created_at`

func scanExport(row pgx.Row) (*store.Export, error) {
	var e store.Export
	if err := row.Scan(&e.ID, &e.OrgID, &e.ProjectID, &e.RunID, &e.PluginID, &e.UserID, &e.FileName, &e.Size,
		&e.SHA256, &e.StorageID, &e.Bucket, &e.ObjectKey, &e.CreatedAt); err != nil {
		return nil, err
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return &e, nil
}

// ExportInsert records an export file. ErrConflict if the id exists;
// ErrNotFound if the organization does not exist.
func (s *Store) ExportInsert(ctx context.Context, e *store.Export) error {
	e.CreatedAt = orNow(e.CreatedAt)
	_, err := s.exec(ctx, `INSERT INTO exports (`+exportColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		e.ID, e.OrgID, e.ProjectID, e.RunID, e.PluginID, e.UserID, e.FileName, e.Size, e.SHA256, e.StorageID, e.Bucket,
		e.ObjectKey, e.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert export %s: %w", e.ID, err)
	}
	return nil
}

// ExportGet returns an export of org; ErrNotFound when missing or in
// another organization.
func (s *Store) ExportGet(ctx context.Context, orgID, id string) (*store.Export, error) {
	e, err := scanExport(s.pool.QueryRow(ctx, `SELECT `+exportColumns+` FROM exports WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil {
		return nil, fmt.Errorf("get export %s: %w", id, interpretError(err))
	}
	return e, nil
}

// ExportList returns the exports of a project of org, newest first.
func (s *Store) ExportList(ctx context.Context, orgID, projectID string) ([]*store.Export, error) {
	out, err := queryList(ctx, s.pool, scanExport, `SELECT `+exportColumns+` FROM exports
		WHERE org_id = $1 AND project_id = $2 ORDER BY created_at DESC, id DESC`, orgID, projectID)
	if err != nil {
		return nil, fmt.Errorf("list exports of project %s: %w", projectID, err)
	}
	return out, nil
}
