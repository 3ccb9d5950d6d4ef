package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SettingInit stores value under name unless a value is stored there, and
// returns the stored value. The read is a second statement of the
// transaction, so it sees a row another process inserted meanwhile.
func (s *Store) SettingInit(ctx context.Context, name, value string) (string, error) {
	var stored string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO hub_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
			name, value); err != nil {
			return interpretError(err)
		}
		return interpretError(tx.QueryRow(ctx, `SELECT value FROM hub_settings WHERE name = $1`, name).Scan(&stored))
	})
	if err != nil {
		return "", fmt.Errorf("init setting %s: %w", name, err)
	}
	return stored, nil
}
