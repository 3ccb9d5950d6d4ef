package postgres

import (
	"io/fs"
	"log/slog"
	"testing"

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
