package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// SettingInit stores value under name unless a value is stored there, and
// returns the stored value.
func (s *Store) SettingInit(ctx context.Context, name, value string) (string, error) {
	var stored string
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO hub_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
			name, value); err != nil {
			return interpretError(err)
		}
		return interpretError(tx.QueryRowContext(ctx, `SELECT value FROM hub_settings WHERE name = ?`, name).Scan(&stored))
	})
	if err != nil {
		return "", fmt.Errorf("init setting %s: %w", name, err)
	}
	return stored, nil
}
