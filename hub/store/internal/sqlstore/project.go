package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/exporthub/exporthub/hub/store"
)

const projectColumns = `id, org_id, name, description, category_schema, stages, batches, created_at, updated_at`

func scanProject(row Row) (*store.Project, error) {
	var (
		p               store.Project
		schema          string
		stages, batches []byte
	)
	if err := row.Scan(&p.ID, &p.OrgID, &p.Name, &p.Description, &schema, &stages, &batches,
		TimeDest(&p.CreatedAt), TimeDest(&p.UpdatedAt)); err != nil {
		return nil, err
	}
	var err error
	if p.Stages, err = store.DecodeJSONList[store.Stage](stages); err != nil {
		return nil, fmt.Errorf("project %s stages: %w", p.ID, err)
	}
	if p.Batches, err = store.DecodeJSONList[store.Batch](batches); err != nil {
		return nil, fmt.Errorf("project %s batches: %w", p.ID, err)
	}
	p.CategorySchema = json.RawMessage(schema)
	return &p, nil
}

// projectJSON encodes the JSON columns of p.
func projectJSON(p *store.Project) (schema, stages, batches string, err error) {
	schema = "{}"
	if len(p.CategorySchema) > 0 {
		if !json.Valid(p.CategorySchema) {
			return "", "", "", fmt.Errorf("project %s: CategorySchema is not valid JSON", p.ID)
		}
		schema = string(p.CategorySchema)
	}
	if stages, err = store.EncodeJSONList(p.Stages); err != nil {
		return "", "", "", fmt.Errorf("project %s stages: %w", p.ID, err)
	}
	if batches, err = store.EncodeJSONList(p.Batches); err != nil {
		return "", "", "", fmt.Errorf("project %s batches: %w", p.ID, err)
	}
	return schema, stages, batches, nil
}

// ProjectInsert creates a project. ErrConflict if the id exists;
// ErrNotFound if the organization does not exist.
func (s *Store) ProjectInsert(ctx context.Context, p *store.Project) error {
	schema, stages, batches, err := projectJSON(p)
	if err != nil {
		return fmt.Errorf("insert project: %w", err)
	}
	p.CategorySchema = json.RawMessage(schema)
	p.CreatedAt = OrNow(p.CreatedAt)
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.CreatedAt
	}
	p.UpdatedAt = OrNow(p.UpdatedAt)
	_, err = s.exec(ctx, `INSERT INTO projects (`+projectColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.OrgID, p.Name, p.Description, schema, stages, batches, s.d.TimeFunc(p.CreatedAt), s.d.TimeFunc(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert project %s: %w", p.ID, err)
	}
	return nil
}

// ProjectGet returns a project of org; ErrNotFound when missing or in
// another organization.
func (s *Store) ProjectGet(ctx context.Context, orgID, id string) (*store.Project, error) {
	p, err := Get(ctx, s, s.db.Read, scanProject, `SELECT `+projectColumns+` FROM projects WHERE org_id = ? AND id = ?`, orgID, id)
	if err != nil {
		return nil, fmt.Errorf("get project %s: %w", id, err)
	}
	return p, nil
}

// ProjectList returns the projects of org, newest first.
func (s *Store) ProjectList(ctx context.Context, orgID string) ([]*store.Project, error) {
	out, err := List(ctx, s, s.db.Read, scanProject,
		`SELECT `+projectColumns+` FROM projects WHERE org_id = ? ORDER BY created_at DESC, id DESC`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	return out, nil
}

// ProjectUpdate updates Name, Description, CategorySchema, Stages and
// Batches and sets UpdatedAt to now (written back into p); ErrNotFound
// when missing.
func (s *Store) ProjectUpdate(ctx context.Context, p *store.Project) error {
	schema, stages, batches, err := projectJSON(p)
	if err != nil {
		return fmt.Errorf("update project: %w", err)
	}
	p.CategorySchema = json.RawMessage(schema)
	p.UpdatedAt = Now()
	err = s.execOne(ctx, `UPDATE projects SET name = ?, description = ?, category_schema = ?, stages = ?, batches = ?,
			updated_at = ?
		WHERE org_id = ? AND id = ?`,
		p.Name, p.Description, schema, stages, batches, s.d.TimeFunc(p.UpdatedAt), p.OrgID, p.ID)
	if err != nil {
		return fmt.Errorf("update project %s: %w", p.ID, err)
	}
	return nil
}

// ProjectDelete deletes a project of org with its assets, runs, run logs,
// run tokens and plugin links; exports and notifications stay.
// ErrNotFound when missing.
func (s *Store) ProjectDelete(ctx context.Context, orgID, id string) error {
	if err := s.execOne(ctx, `DELETE FROM projects WHERE org_id = ? AND id = ?`, orgID, id); err != nil {
		return fmt.Errorf("delete project %s: %w", id, err)
	}
	return nil
}
