package sqlstore

import (
	"context"
	"fmt"

	"github.com/exporthub/exporthub/hub/store"
)

const storageColumns = `id, org_id, name, provider, endpoint, region, bucket, access_key, secret_key_enc, credential_type,
	proxied, created_at`

func scanStorage(row Row) (*store.Storage, error) {
	var st store.Storage
	if err := row.Scan(&st.ID, &st.OrgID, &st.Name, &st.Provider, &st.Endpoint, &st.Region, &st.Bucket,
		&st.AccessKey, &st.SecretKeyEnc, &st.CredentialType, &st.Proxied, TimeDest(&st.CreatedAt)); err != nil {
		return nil, err
	}
	st.SecretKeyEnc = bytesOrNil(st.SecretKeyEnc)
	return &st, nil
}

// StorageInsert registers an organization storage. ErrConflict if the id
// exists; ErrNotFound if the organization does not exist.
func (s *Store) StorageInsert(ctx context.Context, st *store.Storage) error {
	st.CreatedAt = OrNow(st.CreatedAt)
	_, err := s.exec(ctx, `INSERT INTO storages (`+storageColumns+`) VALUES (`+placeholders(12)+`)`,
		st.ID, st.OrgID, st.Name, st.Provider, st.Endpoint, st.Region, st.Bucket, st.AccessKey, st.SecretKeyEnc,
		st.CredentialType, st.Proxied, s.d.TimeFunc(st.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert storage %s: %w", st.ID, err)
	}
	return nil
}

// StorageGet returns a storage of org; ErrNotFound when missing or in
// another organization.
func (s *Store) StorageGet(ctx context.Context, orgID, id string) (*store.Storage, error) {
	st, err := Get(ctx, s, s.db.Read, scanStorage, `SELECT `+storageColumns+` FROM storages WHERE org_id = ? AND id = ?`, orgID, id)
	if err != nil {
		return nil, fmt.Errorf("get storage %s: %w", id, err)
	}
	return st, nil
}

// StorageList returns the storages of org ordered by name.
func (s *Store) StorageList(ctx context.Context, orgID string) ([]*store.Storage, error) {
	out, err := List(ctx, s, s.db.Read, scanStorage,
		`SELECT `+storageColumns+` FROM storages WHERE org_id = ? ORDER BY name`+s.d.Collate+`, id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list storages: %w", err)
	}
	return out, nil
}

// StorageDelete deletes a storage of org; ErrNotFound when missing.
func (s *Store) StorageDelete(ctx context.Context, orgID, id string) error {
	if err := s.execOne(ctx, `DELETE FROM storages WHERE org_id = ? AND id = ?`, orgID, id); err != nil {
		return fmt.Errorf("delete storage %s: %w", id, err)
	}
	return nil
}
