package sqlite

import (
	"io/fs"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMigrate_Idempotent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "hub.db")
	s, err := New(ctx, &Config{Path: path})
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s, err = New(ctx, &Config{Path: path})
	require.NoError(t, err, "opening a migrated file again")
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	results, err := migrate(ctx, s.wdb, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.Empty(t, results, "nothing is applied twice")

	files, err := fs.Glob(migrationFS(), "*.sql")
	require.NoError(t, err)
	var version int
	require.NoError(t, s.rdb.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&version))
	require.Len(t, files, version, "every embedded migration is applied")
}

func TestStore_ReadPoolIsReadOnly(t *testing.T) {
	t.Parallel()
	s, err := New(t.Context(), &Config{Path: filepath.Join(t.TempDir(), "hub.db")})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	_, err = s.rdb.ExecContext(t.Context(), `INSERT INTO orgs (id, name, created_at) VALUES ('x', 'x', 0)`)
	require.Error(t, err, "writes must go through the single writer")

	var mode string
	require.NoError(t, s.rdb.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode))
	require.Equal(t, "wal", mode)
	var fk int
	require.NoError(t, s.wdb.QueryRowContext(t.Context(), `PRAGMA foreign_keys`).Scan(&fk))
	require.Equal(t, 1, fk)
}
