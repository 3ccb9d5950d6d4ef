package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/exporthub/exporthub/hub/store"
)

const webSessionColumns = `hash, user_id, org_id, csrf_token, api_key_id, password_fingerprint, expires_at, created_at`

func scanWebSession(row Row) (*store.WebSession, error) {
	var ws store.WebSession
	if err := row.Scan(&ws.Hash, &ws.UserID, &ws.OrgID, &ws.CSRFToken, &ws.APIKeyID, &ws.PasswordFingerprint, TimeDest(&ws.ExpiresAt), TimeDest(&ws.CreatedAt)); err != nil {
		return nil, err
	}
	return &ws, nil
}

// WebSessionInsert stores a browser session. ErrConflict if the hash
// exists; ErrNotFound if the user is not in ws.OrgID.
func (s *Store) WebSessionInsert(ctx context.Context, ws *store.WebSession) error {
	ws.CreatedAt = OrNow(ws.CreatedAt)
	ws.ExpiresAt = ws.ExpiresAt.UTC().Truncate(time.Microsecond)
	_, err := s.exec(ctx, `INSERT INTO web_sessions (`+webSessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ws.Hash, ws.UserID, ws.OrgID, ws.CSRFToken, ws.APIKeyID, nullBytes(ws.PasswordFingerprint), s.d.TimeFunc(ws.ExpiresAt), s.d.TimeFunc(ws.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert web session: %w", err)
	}
	return nil
}

// WebSessionGetByHash returns a session by hash; ErrNotFound when missing.
func (s *Store) WebSessionGetByHash(ctx context.Context, hash []byte) (*store.WebSession, error) {
	ws, err := Get(ctx, s, s.db.Read, scanWebSession, `SELECT `+webSessionColumns+` FROM web_sessions WHERE hash = ?`, hash)
	if err != nil {
		return nil, fmt.Errorf("get web session: %w", err)
	}
	return ws, nil
}

// WebSessionDelete deletes a session by hash; deleting a missing one is
// not an error.
func (s *Store) WebSessionDelete(ctx context.Context, hash []byte) error {
	if _, err := s.exec(ctx, `DELETE FROM web_sessions WHERE hash = ?`, hash); err != nil {
		return fmt.Errorf("delete web session: %w", err)
	}
	return nil
}

// WebSessionDeleteExpired deletes the sessions that expired at or before
// before and returns how many it deleted.
func (s *Store) WebSessionDeleteExpired(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.exec(ctx, `DELETE FROM web_sessions WHERE expires_at <= ?`, s.d.TimeFunc(OrNow(before)))
	if err != nil {
		return 0, fmt.Errorf("delete expired web sessions: %w", err)
	}
	return n, nil
}
