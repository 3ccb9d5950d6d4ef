// Package postgrestest gives each test a PostgreSQL schema of its own on
// the server named by TEST_DATABASE_URL, so tests run in parallel and leave
// nothing behind. A test that needs the server skips when it does not
// answer, and fails instead when CI=true.
package postgrestest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the test server used when TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// probe remembers whether the server answered, so that a missing server
// costs one connection attempt per test binary, not one per test.
var probe = sync.OnceValues(func() (string, error) {
	u := cmp.Or(os.Getenv("TEST_DATABASE_URL"), DefaultURL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return u, err
	}
	defer conn.Close(ctx)
	return u, conn.Ping(ctx)
})

// ServerURL returns TEST_DATABASE_URL (or DefaultURL) once the server
// answers. It skips t when the server does not answer, or fails t when the
// environment variable CI is "true".
func ServerURL(t testing.TB) string {
	t.Helper()
	u, err := probe()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at TEST_DATABASE_URL is not reachable (CI=true requires it): %v", err)
		}
		t.Skipf("PostgreSQL at TEST_DATABASE_URL is not reachable, skipping: %v", err)
	}
	return u
}

// NewSchema creates an empty schema with a random name on the test server
// (see ServerURL) and returns the server URL and the schema. The schema is
// dropped, with everything in it, when t ends.
func NewSchema(t testing.TB) (serverURL, schema string) {
	t.Helper()
	serverURL = ServerURL(t)
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	schema = "test_" + hex.EncodeToString(b[:])
	exec(t, serverURL, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	t.Cleanup(func() { exec(t, serverURL, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE") })
	return serverURL, schema
}

// SchemaURL returns a connection URL whose search_path is a fresh schema
// (see NewSchema): whatever connects with it creates its tables there.
func SchemaURL(t testing.TB) string {
	t.Helper()
	serverURL, schema := NewSchema(t)
	u, err := url.Parse(serverURL)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL is not a URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// exec runs one statement on a short-lived connection; it outlives t's
// context so that it also works in cleanups.
func exec(t testing.TB, serverURL, stmt string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Fatalf("connect to TEST_DATABASE_URL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}
