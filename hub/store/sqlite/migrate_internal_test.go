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

// TestMigrate_AssetIDs checks migration 6 on rows written before it: the
// AAF's assetId and taskId become the ids (the first asset of a project
// keeps a duplicate, the later one gets a new id), assets without them or
// with unreadable data get new ids, and pre_labeled says whether the task
// holds annotations.
func TestMigrate_AssetIDs(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "hub.db")
	db, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	provider, err := goose.NewProvider(goose.DialectSQLite3, db, migrationFS(), goose.WithDisableGlobalRegistry(true))
	require.NoError(t, err)
	_, err = provider.UpTo(ctx, 5)
	require.NoError(t, err)
	for _, q := range []string{
		`INSERT INTO orgs (id, name, created_at) VALUES ('o', 'o', 0)`,
		`INSERT INTO projects (id, org_id, name, created_at, updated_at) VALUES ('p', 'o', 'p', 0, 0)`,
		`INSERT INTO projects (id, org_id, name, created_at, updated_at) VALUES ('q', 'o', 'q', 0, 0)`,
		`INSERT INTO assets (project_id, external_id, updated_at, data) VALUES ('p', 'v3', 1,
			CAST('{"assetId":"A1","task":{"taskId":"T1","tools":[{"objectId":"o"}]}}' AS BLOB))`,
		`INSERT INTO assets (project_id, external_id, updated_at, data) VALUES ('p', 'dup', 1,
			CAST('{"assetId":"A1","task":{"taskId":"T1","tools":[]}}' AS BLOB))`,
		`INSERT INTO assets (project_id, external_id, updated_at, data) VALUES ('p', 'legacy', 1,
			CAST('{"tasks":[{"taskId":"T2","objects":[],"classifications":[{"schemaId":"c"}]}]}' AS BLOB))`,
		`INSERT INTO assets (project_id, external_id, updated_at, data) VALUES ('p', 'bare', 1, x'7b7d')`,
		`INSERT INTO assets (project_id, external_id, updated_at, data) VALUES ('p', 'broken', 1, x'7b')`,
		`INSERT INTO assets (project_id, external_id, updated_at, data) VALUES ('q', 'other', 1,
			CAST('{"assetId":"A1","task":{"taskId":"T1"}}' AS BLOB))`,
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	_, err = provider.Up(ctx)
	require.NoError(t, err)

	rows, err := db.QueryContext(ctx, `SELECT external_id, asset_id, task_id, pre_labeled FROM assets ORDER BY seq`)
	require.NoError(t, err)
	got := map[string][3]string{}
	for rows.Next() {
		var ext, id, task string
		var pre bool
		require.NoError(t, rows.Scan(&ext, &id, &task, &pre))
		got[ext] = [3]string{id, task, fmt.Sprint(pre)}
	}
	require.NoError(t, rows.Err())
	require.Equal(t, [3]string{"A1", "T1", "true"}, got["v3"])
	require.Equal(t, [3]string{"A1", "T1", "false"}, got["other"], "ids are unique per project")
	require.Equal(t, "T2", got["legacy"][1], "a legacy asset's first task id")
	require.Equal(t, "true", got["legacy"][2], "a classification is an annotation")
	for _, ext := range []string{"dup", "bare", "broken"} {
		require.Regexp(t, `^[0-9a-f]{24}$`, got[ext][0], "%s gets a new asset id", ext)
		require.Regexp(t, `^[0-9a-f]{24}$`, got[ext][1], "%s gets a new task id", ext)
		require.Equal(t, "false", got[ext][2])
	}
	require.Regexp(t, `^[0-9a-f]{24}$`, got["legacy"][0])
}

// TestMigrate_StorageProviders upgrades a database holding an S3 storage
// of the version before organization storages had providers: it comes
// out as an AWS storage with an access key, as the hub now names them.
func TestMigrate_StorageProviders(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "hub.db")
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	provider, err := goose.NewProvider(goose.DialectSQLite3, db, migrationFS(), goose.WithDisableGlobalRegistry(true))
	require.NoError(t, err)
	_, err = provider.UpTo(ctx, 6)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO orgs (id, name, created_at) VALUES ('o1', 'Org', 0)`)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO storages (id, org_id, name, provider, bucket, access_key, secret_key_enc, created_at)
		VALUES ('s1', 'o1', 'old', 's3', 'exports', 'AK', x'0102', 0)`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s, err := New(ctx, &Config{Path: path})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	st, err := s.StorageGet(ctx, "o1", "s1")
	require.NoError(t, err)
	require.Equal(t, "AWS", st.Provider, "got provider %q, want AWS", st.Provider)
	require.Equal(t, "accessKey", st.CredentialType)
	require.False(t, st.Proxied)
	require.Equal(t, []byte{1, 2}, st.SecretKeyEnc)
}
