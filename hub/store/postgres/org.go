package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/exporthub/exporthub/hub/store"
)

const orgColumns = `id, name, webhook_url, webhook_secret_enc, created_at`

func scanOrg(row pgx.Row) (*store.Org, error) {
	var o store.Org
	if err := row.Scan(&o.ID, &o.Name, &o.WebhookURL, &o.WebhookSecretEnc, &o.CreatedAt); err != nil {
		return nil, err
	}
	o.WebhookSecretEnc = bytesOrNil(o.WebhookSecretEnc)
	o.CreatedAt = o.CreatedAt.UTC()
	return &o, nil
}

// OrgInsert creates an organization. ErrConflict if the id exists.
func (s *Store) OrgInsert(ctx context.Context, o *store.Org) error {
	o.CreatedAt = orNow(o.CreatedAt)
	_, err := s.exec(ctx, `INSERT INTO orgs (`+orgColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		o.ID, o.Name, o.WebhookURL, o.WebhookSecretEnc, o.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert org %s: %w", o.ID, err)
	}
	return nil
}

// OrgGet returns an organization by id; ErrNotFound when missing.
func (s *Store) OrgGet(ctx context.Context, id string) (*store.Org, error) {
	o, err := scanOrg(s.pool.QueryRow(ctx, `SELECT `+orgColumns+` FROM orgs WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("get org %s: %w", id, interpretError(err))
	}
	return o, nil
}

// OrgList returns every organization ordered by creation time.
func (s *Store) OrgList(ctx context.Context) ([]*store.Org, error) {
	out, err := queryList(ctx, s.pool, scanOrg, `SELECT `+orgColumns+` FROM orgs ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list orgs: %w", err)
	}
	return out, nil
}

// OrgUpdate updates Name, WebhookURL and WebhookSecretEnc; ErrNotFound
// when the organization does not exist.
func (s *Store) OrgUpdate(ctx context.Context, o *store.Org) error {
	err := s.execOne(ctx, `UPDATE orgs SET name = $1, webhook_url = $2, webhook_secret_enc = $3 WHERE id = $4`,
		o.Name, o.WebhookURL, o.WebhookSecretEnc, o.ID)
	if err != nil {
		return fmt.Errorf("update org %s: %w", o.ID, err)
	}
	return nil
}
