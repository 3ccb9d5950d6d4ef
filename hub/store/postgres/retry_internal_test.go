package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/postgres/postgrestest"
)

// terminatePool terminates the server processes of every connection of
// s's pool, as a database restart, a failover or pg_terminate_backend
// does; the pool still holds the connections, idle, and finds out on
// their next use (SQLSTATE 57P01).
func terminatePool(t *testing.T, s *Store, serverURL string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, serverURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'retry-test' AND pid <> pg_backend_pid()`).Scan(&n))
	require.Positive(t, n)
	require.Eventually(t, func() bool {
		var left int
		require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'retry-test'`).Scan(&left))
		return left == 0
	}, 10*time.Second, 5*time.Millisecond)
}

func TestRetry_TerminatedConnections(t *testing.T) {
	t.Parallel()
	serverURL, schema := postgrestest.NewSchema(t)
	s, err := New(t.Context(), &Config{URL: serverURL + "&application_name=retry-test", Schema: schema, MaxConns: 2})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	ctx := t.Context()
	org := &store.Org{ID: store.NewID(), Name: "o"}
	require.NoError(t, s.OrgInsert(ctx, org))
	project := &store.Project{ID: store.NewID(), OrgID: org.ID, Name: "p"}
	require.NoError(t, s.ProjectInsert(ctx, project))
	run := &store.Run{ID: store.NewID(), OrgID: org.ID, ProjectID: project.ID, PluginID: store.NewID(), NodeID: "n"}
	require.NoError(t, s.RunInsert(ctx, run))

	// The first statement on each pooled connection after the database
	// ended its process: the way the hub talks to the store (one row,
	// a list, a statement, a transaction) all succeed.
	for _, c := range []struct {
		name string
		do   func() error
	}{
		{"QueryRow", func() error {
			got, err := s.RunGetByID(ctx, run.ID)
			if err == nil {
				require.Equal(t, run.ID, got.ID)
			}
			return err
		}},
		{"Query", func() error {
			got, err := s.RunListActive(ctx)
			if err == nil {
				require.Len(t, got, 1)
			}
			return err
		}},
		{"Exec", func() error { return s.APIKeyRevokeForRun(ctx, run.ID, time.Now()) }},
		{"Tx", func() error {
			_, err := s.RunSetStatus(ctx, &store.RunSetStatusParams{ID: run.ID, Status: store.RunQueued})
			return err
		}},
		{"Insert", func() error {
			return s.OrgInsert(ctx, &store.Org{ID: store.NewID(), Name: "after a restart"})
		}},
	} {
		// Two connections in use, so that both are idle in the pool.
		require.NoError(t, warm(ctx, s))
		terminatePool(t, s, serverURL)
		require.NoError(t, c.do(), c.name)
	}
}

// warm holds both pooled connections at once, so that the pool keeps two.
func warm(ctx context.Context, s *Store) error {
	c1, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c1.Release()
	c2, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c2.Release()
	return nil
}

func TestRetry_WhatIsTriedAgain(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		sql  string
		want bool
	}{
		{`SELECT id, updated_at FROM runs WHERE id = $1`, true},
		{`  select count(*) FROM assets`, true},
		{`WITH x AS (SELECT 1) SELECT * FROM x`, true},
		{`SELECT 1 FROM plugins WHERE id = $1 FOR NO KEY UPDATE`, false},
		{`SELECT pg_notify($1, $2)`, false},
		{`WITH d AS (DELETE FROM runs RETURNING id) SELECT id FROM d`, false},
		{`UPDATE runs SET status = $2 WHERE id = $1`, false},
		{`INSERT INTO orgs (id) VALUES ($1)`, false},
	} {
		require.Equal(t, c.want, readOnly(c.sql), c.sql)
	}
}
