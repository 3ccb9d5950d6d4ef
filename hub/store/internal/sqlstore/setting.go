package sqlstore

import (
	"context"
	"fmt"
)

// SettingInit stores value under name unless a value is stored there, and
// returns the stored value. The read is a second statement of the
// transaction, so it sees a row another process inserted meanwhile.
func (s *Store) SettingInit(ctx context.Context, name, value string) (string, error) {
	var stored string
	err := s.db.InTxFunc(ctx, func(q Querier) error {
		if _, err := Exec(ctx, s, q, `INSERT INTO hub_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
			name, value); err != nil {
			return err
		}
		return s.err(q.QueryRow(ctx, s.bind(`SELECT value FROM hub_settings WHERE name = ?`), name).Scan(&stored))
	})
	if err != nil {
		return "", fmt.Errorf("init setting %s: %w", name, err)
	}
	return stored, nil
}
