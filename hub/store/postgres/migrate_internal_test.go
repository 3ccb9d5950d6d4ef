package postgres

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

func TestMigrate_Idempotent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := cmp.Or(os.Getenv("TEST_DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	probeCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(probeCtx, url)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at TEST_DATABASE_URL is unreachable (CI=true requires it): %v", err)
		}
		t.Skipf("PostgreSQL at TEST_DATABASE_URL is unreachable, skipping: %v", err)
	}
	require.NoError(t, conn.Close(ctx))

	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "storetest_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), url)
		require.NoError(t, err)
		defer conn.Close(context.Background())
		_, err = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
		require.NoError(t, err)
	})

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
