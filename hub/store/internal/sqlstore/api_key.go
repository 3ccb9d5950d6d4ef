package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/exporthub/exporthub/hub/store"
)

const apiKeyColumns = `id, org_id, coalesce(user_id, ''), name, prefix, hash, coalesce(project_id, ''), run_id,
	expires_at, revoked_at, last_used_at, created_at`

func scanAPIKey(row Row) (*store.APIKey, error) {
	var k store.APIKey
	if err := row.Scan(&k.ID, &k.OrgID, &k.UserID, &k.Name, &k.Prefix, &k.Hash, &k.ProjectID, &k.RunID,
		NullTimeDest(&k.ExpiresAt), NullTimeDest(&k.RevokedAt), NullTimeDest(&k.LastUsedAt), TimeDest(&k.CreatedAt)); err != nil {
		return nil, err
	}
	return &k, nil
}

// APIKeyInsert stores a key. ErrConflict if the id or the hash exists;
// ErrNotFound if its organization, user or project does not exist.
func (s *Store) APIKeyInsert(ctx context.Context, k *store.APIKey) error {
	k.CreatedAt = OrNow(k.CreatedAt)
	_, err := s.exec(ctx, `INSERT INTO api_keys (id, org_id, user_id, name, prefix, hash, project_id, run_id,
			expires_at, revoked_at, last_used_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.OrgID, nullString(k.UserID), k.Name, k.Prefix, k.Hash, nullString(k.ProjectID), k.RunID,
		s.d.nullTime(k.ExpiresAt), s.d.nullTime(k.RevokedAt), s.d.nullTime(k.LastUsedAt), s.d.TimeFunc(k.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert api key %s: %w", k.ID, err)
	}
	return nil
}

// APIKeyGetByHash returns the key whose Hash equals hash; ErrNotFound when
// none.
func (s *Store) APIKeyGetByHash(ctx context.Context, hash []byte) (*store.APIKey, error) {
	k, err := Get(ctx, s, s.db.Read, scanAPIKey, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ?`, hash)
	if err != nil {
		return nil, fmt.Errorf("get api key by hash: %w", err)
	}
	return k, nil
}

// APIKeyGet returns a key of org by id, revoked or not; ErrNotFound when
// missing.
func (s *Store) APIKeyGet(ctx context.Context, orgID, id string) (*store.APIKey, error) {
	k, err := Get(ctx, s, s.db.Read, scanAPIKey, `SELECT `+apiKeyColumns+` FROM api_keys WHERE org_id = ? AND id = ?`, orgID, id)
	if err != nil {
		return nil, fmt.Errorf("get api key %s: %w", id, err)
	}
	return k, nil
}

// APIKeyList returns the user-created keys of org, newest first.
func (s *Store) APIKeyList(ctx context.Context, orgID string) ([]*store.APIKey, error) {
	out, err := List(ctx, s, s.db.Read, scanAPIKey, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE org_id = ? AND run_id = '' ORDER BY created_at DESC, id DESC`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return out, nil
}

// APIKeyRevoke sets RevokedAt on a key of org (an earlier revocation is
// kept); ErrNotFound when missing.
func (s *Store) APIKeyRevoke(ctx context.Context, orgID, id string, at time.Time) error {
	err := s.execOne(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE org_id = ? AND id = ?`,
		s.d.TimeFunc(OrNow(at)), orgID, id)
	if err != nil {
		return fmt.Errorf("revoke api key %s: %w", id, err)
	}
	return nil
}

// APIKeyTouch records that a key was used at the given time; LastUsedAt
// never moves backwards. ErrNotFound when missing.
func (s *Store) APIKeyTouch(ctx context.Context, id string, at time.Time) error {
	t := s.d.TimeFunc(OrNow(at))
	err := s.execOne(ctx, `UPDATE api_keys SET last_used_at =
			CASE WHEN last_used_at IS NULL OR last_used_at < ? THEN ? ELSE last_used_at END
		WHERE id = ?`, t, t, id)
	if err != nil {
		return fmt.Errorf("touch api key %s: %w", id, err)
	}
	return nil
}

// APIKeyRevokeForRun revokes every unrevoked token scoped to run runID.
func (s *Store) APIKeyRevokeForRun(ctx context.Context, runID string, at time.Time) error {
	if runID == "" {
		return nil
	}
	_, err := s.exec(ctx, `UPDATE api_keys SET revoked_at = ? WHERE run_id = ? AND revoked_at IS NULL`,
		s.d.TimeFunc(OrNow(at)), runID)
	if err != nil {
		return fmt.Errorf("revoke api keys of run %s: %w", runID, err)
	}
	return nil
}
