package postgres

import (
	"fmt"
	"io/fs"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store/postgres/postgrestest"
)

func TestMigrate_Idempotent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url, schema := postgrestest.NewSchema(t)

	s, err := New(ctx, &Config{URL: url, Schema: schema, MaxConns: 2})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	s, err = New(ctx, &Config{URL: url, Schema: schema, MaxConns: 2})
	require.NoError(t, err, "opening a migrated schema again")
	t.Cleanup(func() { require.NoError(t, s.Close()) })

	results, err := s.migrate(ctx, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.Empty(t, results, "nothing is applied twice")

	files, err := fs.Glob(migrationFS(), "*.sql")
	require.NoError(t, err)
	var version int
	require.NoError(t, s.pool.QueryRow(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&version))
	require.Len(t, files, version, "every embedded migration is applied")
}

// TestMigrate_AssetIDs checks migration 6 on rows written before it: the
// AAF's assetId and taskId become the ids (the first asset of a project
// keeps a duplicate, the later one gets a new id), assets without them or
// with unreadable data get new ids, and pre_labeled says whether the task
// holds annotations.
func TestMigrate_AssetIDs(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url, schema := postgrestest.NewSchema(t)
	pcfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	pcfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	_, err = pool.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize())
	require.NoError(t, err)
	db := stdlib.OpenDBFromPool(pool)
	t.Cleanup(func() { _ = db.Close() })
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrationFS(), goose.WithDisableGlobalRegistry(true))
	require.NoError(t, err)
	_, err = provider.UpTo(ctx, 5)
	require.NoError(t, err)
	for _, q := range []string{
		`INSERT INTO orgs (id, name, created_at) VALUES ('o', 'o', now())`,
		`INSERT INTO projects (id, org_id, name, created_at, updated_at) VALUES ('p', 'o', 'p', now(), now())`,
		`INSERT INTO projects (id, org_id, name, created_at, updated_at) VALUES ('q', 'o', 'q', now(), now())`,
		`INSERT INTO assets (project_id, external_id, updated_at, data) VALUES ('p', 'v3', now(),
			convert_to('{"assetId":"A1","task":{"taskId":"T1","tools":[{"objectId":"o"}]}}', 'UTF8'))`,
		`INSERT INTO assets (project_id, external_id, updated_at, data) VALUES ('p', 'dup', now(),
			convert_to('{"assetId":"A1","task":{"taskId":"T1","tools":[]}}', 'UTF8'))`,
		`INSERT INTO assets (project_id, external_id, updated_at, data) VALUES ('p', 'legacy', now(),
			convert_to('{"tasks":[{"taskId":"T2","objects":[],"classifications":[{"schemaId":"c"}]}]}', 'UTF8'))`,
		`INSERT INTO assets (project_id, external_id, updated_at, data) VALUES ('p', 'bare', now(), '\x7b7d')`,
		`INSERT INTO assets (project_id, external_id, updated_at, data) VALUES ('p', 'broken', now(), '\x7bff')`,
		`INSERT INTO assets (project_id, external_id, updated_at, data) VALUES ('q', 'other', now(),
			convert_to('{"assetId":"A1","task":{"taskId":"T1"}}', 'UTF8'))`,
	} {
		_, err := pool.Exec(ctx, q)
		require.NoError(t, err, q)
	}
	_, err = provider.Up(ctx)
	require.NoError(t, err)

	rows, err := pool.Query(ctx, `SELECT external_id, asset_id, task_id, pre_labeled FROM assets ORDER BY seq`)
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
