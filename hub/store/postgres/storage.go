package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/exporthub/exporthub/hub/store"
)

const storageColumns = `id, org_id, name, provider, endpoint, region, bucket, access_key, secret_key_enc, credential_type, proxied, created_at`

func scanStorage(row pgx.Row) (*store.Storage, error) {
	var st store.Storage
	if err := row.Scan(&st.ID, &st.OrgID, &st.Name, &st.Provider, &st.Endpoint, &st.Region, &st.Bucket,
		&st.AccessKey, &st.SecretKeyEnc, &st.CredentialType, &st.Proxied, &st.CreatedAt); err != nil {
		return nil, err
	}
	st.SecretKeyEnc = bytesOrNil(st.SecretKeyEnc)
	st.CreatedAt = st.CreatedAt.UTC()
	return &st, nil
}

// StorageInsert registers an organization storage. ErrConflict if the id
// exists; ErrNotFound if the organization does not exist.
func (s *Store) StorageInsert(ctx context.Context, st *store.Storage) error {
	st.CreatedAt = orNow(st.CreatedAt)
	_, err := s.exec(ctx, `INSERT INTO storages (`+storageColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		st.ID, st.OrgID, st.Name, st.Provider, st.Endpoint, st.Region, st.Bucket, st.AccessKey, st.SecretKeyEnc, st.CredentialType, st.Proxied,
		st.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert storage %s: %w", st.ID, err)
	}
	return nil
}

// StorageGet returns a storage of org; ErrNotFound when missing or in
// another organization.
func (s *Store) StorageGet(ctx context.Context, orgID, id string) (*store.Storage, error) {
	st, err := scanStorage(s.pool.QueryRow(ctx,
		`SELECT `+storageColumns+` FROM storages WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil {
		return nil, fmt.Errorf("get storage %s: %w", id, interpretError(err))
	}
	return st, nil
}

// StorageList returns the storages of org ordered by name.
func (s *Store) StorageList(ctx context.Context, orgID string) ([]*store.Storage, error) {
	out, err := queryList(ctx, s.pool, scanStorage,
		`SELECT `+storageColumns+` FROM storages WHERE org_id = $1 ORDER BY name COLLATE "C", id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list storages: %w", err)
	}
	return out, nil
}

// StorageDelete deletes a storage of org; ErrNotFound when missing.
func (s *Store) StorageDelete(ctx context.Context, orgID, id string) error {
	if err := s.execOne(ctx, `DELETE FROM storages WHERE org_id = $1 AND id = $2`, orgID, id); err != nil {
		return fmt.Errorf("delete storage %s: %w", id, err)
	}
	return nil
}
