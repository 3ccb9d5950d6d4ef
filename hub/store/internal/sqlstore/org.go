package sqlstore

import (
	"context"
	"fmt"

	"github.com/exporthub/exporthub/hub/store"
)

const orgColumns = `id, name, webhook_url, webhook_secret_enc, created_at`

func scanOrg(row Row) (*store.Org, error) {
	var o store.Org
	if err := row.Scan(&o.ID, &o.Name, &o.WebhookURL, &o.WebhookSecretEnc, TimeDest(&o.CreatedAt)); err != nil {
		return nil, err
	}
	o.WebhookSecretEnc = bytesOrNil(o.WebhookSecretEnc)
	return &o, nil
}

// OrgInsert creates an organization. ErrConflict if the id exists.
func (s *Store) OrgInsert(ctx context.Context, o *store.Org) error {
	o.CreatedAt = OrNow(o.CreatedAt)
	_, err := s.exec(ctx, `INSERT INTO orgs (`+orgColumns+`) VALUES (?, ?, ?, ?, ?)`,
		o.ID, o.Name, o.WebhookURL, o.WebhookSecretEnc, s.d.TimeFunc(o.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert org %s: %w", o.ID, err)
	}
	return nil
}

// OrgGet returns an organization by id; ErrNotFound when missing.
func (s *Store) OrgGet(ctx context.Context, id string) (*store.Org, error) {
	o, err := Get(ctx, s, s.db.Read, scanOrg, `SELECT `+orgColumns+` FROM orgs WHERE id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("get org %s: %w", id, err)
	}
	return o, nil
}

// OrgList returns every organization ordered by creation time.
func (s *Store) OrgList(ctx context.Context) ([]*store.Org, error) {
	out, err := List(ctx, s, s.db.Read, scanOrg, `SELECT `+orgColumns+` FROM orgs ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list orgs: %w", err)
	}
	return out, nil
}

// OrgUpdate updates Name, WebhookURL and WebhookSecretEnc; ErrNotFound
// when the organization does not exist.
func (s *Store) OrgUpdate(ctx context.Context, o *store.Org) error {
	err := s.execOne(ctx, `UPDATE orgs SET name = ?, webhook_url = ?, webhook_secret_enc = ? WHERE id = ?`,
		o.Name, o.WebhookURL, o.WebhookSecretEnc, o.ID)
	if err != nil {
		return fmt.Errorf("update org %s: %w", o.ID, err)
	}
	return nil
}
