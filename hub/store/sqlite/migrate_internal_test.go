package sqlite

import (
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"
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

// TestMigrate_StageLists checks migration 5 on rows written before it: a
// run's stage becomes a one-element list, an asset without a stage moves
// to Complete and gets its updated_at as created_at.
func TestMigrate_StageLists(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "hub.db")
	db, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	provider, err := goose.NewProvider(goose.DialectSQLite3, db, migrationFS(), goose.WithDisableGlobalRegistry(true))
	require.NoError(t, err)
	_, err = provider.UpTo(ctx, 4)
	require.NoError(t, err)
	for _, q := range []string{
		`INSERT INTO orgs (id, name, created_at) VALUES ('o', 'o', 0)`,
		`INSERT INTO projects (id, org_id, name, created_at, updated_at) VALUES ('p', 'o', 'p', 0, 0)`,
		`INSERT INTO assets (project_id, external_id, stage_id, updated_at, data) VALUES ('p', 'legacy', '', 77, x'7b7d')`,
		`INSERT INTO assets (project_id, external_id, stage_id, updated_at, data) VALUES ('p', 'labeled', 'Label', 88, x'7b7d')`,
		`INSERT INTO runs (id, org_id, project_id, plugin_id, status, stage, created_at) VALUES ('r1', 'o', 'p', 'x', 'queued', 'Review', 0)`,
		`INSERT INTO runs (id, org_id, project_id, plugin_id, status, stage, created_at) VALUES ('r2', 'o', 'p', 'x', 'queued', '', 0)`,
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	_, err = provider.Up(ctx)
	require.NoError(t, err)

	rows, err := db.QueryContext(ctx, `SELECT external_id, stage_id, created_at FROM assets ORDER BY seq`)
	require.NoError(t, err)
	var got []string
	for rows.Next() {
		var id, stage string
		var created int64
		require.NoError(t, rows.Scan(&id, &stage, &created))
		got = append(got, fmt.Sprintf("%s %s %d", id, stage, created))
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"legacy Complete 77", "labeled Label 88"}, got)
	var s1, s2 string
	require.NoError(t, db.QueryRowContext(ctx, `SELECT stages FROM runs WHERE id = 'r1'`).Scan(&s1))
	require.NoError(t, db.QueryRowContext(ctx, `SELECT stages FROM runs WHERE id = 'r2'`).Scan(&s2))
	require.Equal(t, `["Review"]`, s1)
	require.Equal(t, `[]`, s2)
}
