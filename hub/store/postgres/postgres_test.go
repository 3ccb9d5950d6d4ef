package postgres_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/postgres"
	"github.com/exporthub/exporthub/hub/store/storetest"
)

var _ store.Store = (*postgres.Store)(nil)

// defaultTestDatabaseURL is used when TEST_DATABASE_URL is unset.
const defaultTestDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// testDatabaseURL returns the server the tests use. It skips the test when
// the server does not answer, or fails it when CI=true.
func testDatabaseURL(t testing.TB) string {
	t.Helper()
	url := cmp.Or(os.Getenv("TEST_DATABASE_URL"), defaultTestDatabaseURL)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err == nil {
		err = conn.Ping(ctx)
		_ = conn.Close(ctx)
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at TEST_DATABASE_URL is unreachable (CI=true requires it): %v", err)
		}
		t.Skipf("PostgreSQL at TEST_DATABASE_URL is unreachable, skipping: %v", err)
	}
	return url
}

// newSchema returns a fresh schema name that is dropped, with everything
// in it, when t ends.
func newSchema(t testing.TB, url string) string {
	t.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "storetest_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		require.NoError(t, err)
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
		require.NoError(t, err)
	})
	return schema
}

// newStore opens a store in a fresh schema of the test server.
func newStore(t testing.TB) *postgres.Store {
	t.Helper()
	url := testDatabaseURL(t)
	schema := newSchema(t, url)
	s, err := postgres.New(t.Context(), &postgres.Config{URL: url, Schema: schema, MaxConns: 4})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}

func TestNew_SchemaIsolation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := testDatabaseURL(t)
	// A name that needs quoting: upper case and a hyphen.
	schemaA, schemaB := newSchema(t, url)+"-A", newSchema(t, url)
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), url)
		require.NoError(t, err)
		defer conn.Close(context.Background())
		_, err = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schemaA}.Sanitize()+" CASCADE")
		require.NoError(t, err)
	})

	a, err := postgres.New(ctx, &postgres.Config{URL: url, Schema: schemaA, MaxConns: 2})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, a.Close()) })

	// The search_path may also come with the URL.
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schemaB}.Sanitize())
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
	b, err := postgres.New(ctx, &postgres.Config{URL: url + "&search_path=" + schemaB, MaxConns: 2})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })

	o := &store.Org{ID: store.NewID(), Name: "only in A"}
	require.NoError(t, a.OrgInsert(ctx, o))
	list, err := b.OrgList(ctx)
	require.NoError(t, err)
	require.Empty(t, list, "schema B does not see schema A's rows")
	list, err = a.OrgList(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
}

func TestNew_Errors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  *postgres.Config
		want string
	}{
		{"Nil", nil, "URL is required"},
		{"NoURL", &postgres.Config{}, "URL is required"},
		{"NegativeMaxConns", &postgres.Config{URL: defaultTestDatabaseURL, MaxConns: -1}, "MaxConns must not be negative, got -1"},
		{"BadURL", &postgres.Config{URL: "postgres://u:hunter2@[::1"}, "URL is not a valid connection string"},
		{"Unreachable", &postgres.Config{URL: "postgres://u:hunter2@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"}, "connect: postgres: failed to connect"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := postgres.New(t.Context(), c.cfg)
			require.ErrorContains(t, err, c.want)
			require.NotContains(t, err.Error(), "hunter2", "the password never appears in errors")
		})
	}
}
