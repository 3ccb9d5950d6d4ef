package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/postgres"
	"github.com/exporthub/exporthub/hub/store/postgres/postgrestest"
	"github.com/exporthub/exporthub/hub/store/storetest"
)

var _ store.Store = (*postgres.Store)(nil)

// newStore opens a store in a fresh schema of the test server.
func newStore(t testing.TB) *postgres.Store {
	t.Helper()
	serverURL, schema := postgrestest.NewSchema(t)
	s, err := postgres.New(t.Context(), &postgres.Config{URL: serverURL, Schema: schema, MaxConns: 4})
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
	// Config.Schema creates the schema; its name needs quoting.
	serverURL, parent := postgrestest.NewSchema(t)
	schemaA := parent + "-Mixed Case"
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), serverURL)
		require.NoError(t, err)
		defer conn.Close(context.Background())
		_, err = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schemaA}.Sanitize()+" CASCADE")
		require.NoError(t, err)
	})
	a, err := postgres.New(ctx, &postgres.Config{URL: serverURL, Schema: schemaA, MaxConns: 2})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, a.Close()) })

	// The search_path may also come with the URL.
	b, err := postgres.New(ctx, &postgres.Config{URL: postgrestest.SchemaURL(t), MaxConns: 2})
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
		{"NegativeMaxConns", &postgres.Config{URL: postgrestest.DefaultURL, MaxConns: -1}, "MaxConns must not be negative, got -1"},
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

func BenchmarkAssetImport(b *testing.B) {
	storetest.BenchAssetImport(b, func(b *testing.B) store.Store { return newStore(b) })
}

func BenchmarkAssetListPage(b *testing.B) {
	storetest.BenchAssetListPage(b, func(b *testing.B) store.Store { return newStore(b) })
}
