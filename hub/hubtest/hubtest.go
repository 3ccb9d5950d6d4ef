// Package hubtest starts real hubs for tests: an in-process [hub.Server]
// on a loopback port, with a fresh SQLite database in t.TempDir() or a
// fresh PostgreSQL schema on TEST_DATABASE_URL, a local blob directory,
// and a known admin key. Everything is cleaned up with t.Cleanup.
package hubtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/postgres/postgrestest"
)

// DefaultTestDatabaseURL is the PostgreSQL server used when
// TEST_DATABASE_URL is not set.
const DefaultTestDatabaseURL = postgrestest.DefaultURL

// Backend names a database backend.
type Backend string

// The backends.
const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// Backends lists every backend, for tests that run against each.
var Backends = []Backend{SQLite, Postgres}

// LoopbackNetworks are the networks a test hub allows organization
// storages and webhooks to reach (hub.Config.AllowPrivateNetworks).
var LoopbackNetworks = []string{"127.0.0.0/8", "::1/128"}

// Options adjusts a test hub. The zero value is a SQLite hub.
type Options struct {
	// Backend selects the database. Defaults to SQLite.
	Backend Backend
	// Configure, when set, adjusts the hub's Config before New (DataDir,
	// PublicURL, DatabaseURL, BootstrapKey and AllowPrivateNetworks, set to
	// LoopbackNetworks, are already set).
	Configure func(*hub.Config)
	// NoStart skips Server.Start: the HTTP API is served but components
	// (run dispatcher, ...) do not run.
	NoStart bool
}

// Hub is a running test hub.
type Hub struct {
	// Server is the hub.
	Server *hub.Server
	// URL is its base URL (http://127.0.0.1:PORT).
	URL string
	// AdminKey is the bootstrap admin's API key.
	AdminKey string
	// OrgID and AdminID are the bootstrap organization and admin.
	OrgID   string
	AdminID string
	// DataDir is the hub's data directory.
	DataDir string
	// DatabaseURL is the hub's database.
	DatabaseURL string
}

// Start starts a hub for t and stops it at cleanup. A PostgreSQL hub
// skips the test when the server is not reachable, unless CI=true, where
// it fails.
func Start(t testing.TB, opts *Options) *Hub {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h := &Hub{URL: "http://" + ln.Addr().String(), DataDir: t.TempDir()}
	key, _, _ := auth.NewKey(auth.KeyPrefix)
	cfg := &hub.Config{
		DataDir:      h.DataDir,
		Listen:       ln.Addr().String(),
		PublicURL:    h.URL,
		BootstrapKey: key,
		Logger:       NewLogger(t),
		// The storages and webhooks of tests are servers on loopback;
		// tests of the egress policy set this back to nil in Configure.
		AllowPrivateNetworks: LoopbackNetworks,
	}
	if opts.Backend == Postgres {
		cfg.DatabaseURL = PostgresURL(t)
	}
	if opts.Configure != nil {
		opts.Configure(cfg)
	}
	h.DatabaseURL = cfg.DatabaseURL
	ctx := context.Background()
	s, err := hub.New(ctx, cfg)
	if err != nil {
		ln.Close()
		require.NoError(t, err, "start hub")
	}
	h.Server = s
	b := s.Bootstrap()
	require.NotNil(t, b, "a fresh hub bootstraps an organization")
	h.AdminKey, h.OrgID, h.AdminID = b.Key, b.OrgID, b.UserID

	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	// Open event streams end when srv shuts down, as with Server.Serve.
	srv.RegisterOnShutdown(s.EndStreams)
	go func() { _ = srv.Serve(ln) }() // returns ErrServerClosed at cleanup
	if !opts.NoStart {
		require.NoError(t, s.Start(ctx))
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		_ = s.Shutdown(sctx)
		require.NoError(t, s.Close())
	})
	return h
}

// Org is an extra organization made by NewOrg.
type Org struct {
	ID       string
	AdminID  string
	AdminKey string
}

// NewOrg creates another organization with an admin and returns the
// admin's key, for isolation tests.
func (h *Hub) NewOrg(t testing.TB, name string) *Org {
	t.Helper()
	ctx := context.Background()
	st := h.Server.Store()
	o := &store.Org{ID: store.NewID(), Name: name}
	require.NoError(t, st.OrgInsert(ctx, o))
	u := &store.User{ID: store.NewID(), OrgID: o.ID, Email: strings.ToLower(name) + "-" + o.ID[:6] + "@example.test", Name: name + " admin", Role: store.RoleAdmin}
	require.NoError(t, st.UserInsert(ctx, u))
	key, _, err := hub.IssueKey(ctx, st, &hub.IssueKeyParams{OrgID: o.ID, UserID: u.ID, Name: "test"})
	require.NoError(t, err)
	return &Org{ID: o.ID, AdminID: u.ID, AdminKey: key}
}

// NewUser creates a user with role in org and returns its id and key.
func (h *Hub) NewUser(t testing.TB, orgID string, role store.Role) (userID, key string) {
	t.Helper()
	ctx := context.Background()
	u := &store.User{ID: store.NewID(), OrgID: orgID, Email: "user-" + store.NewID()[:8] + "@example.test", Name: "user", Role: role}
	require.NoError(t, h.Server.Store().UserInsert(ctx, u))
	key, _, err := hub.IssueKey(ctx, h.Server.Store(), &hub.IssueKeyParams{OrgID: orgID, UserID: u.ID, Name: "test"})
	require.NoError(t, err)
	return u.ID, key
}

// Do sends a request with key in the apikey header ("" for none). body
// may be nil, an io.Reader, a []byte or a value encoded as JSON. The
// caller closes the response body.
func (h *Hub) Do(t testing.TB, method, path, key string, body any) *http.Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case io.Reader:
		rd = b
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, h.URL+path, rd)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set(auth.HeaderAPIKey, key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	return resp
}

// JSON sends a request like Do, requires the status want and decodes the
// response body into out (when out is not nil). It returns the body.
func (h *Hub) JSON(t testing.TB, method, path, key string, body any, want int, out any) []byte {
	t.Helper()
	resp := h.Do(t, method, path, key, body)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, want, resp.StatusCode, "%s %s: got status %d, want %d; body: %s", method, path, resp.StatusCode, want, b)
	if out != nil {
		require.NoError(t, json.Unmarshal(b, out), "decode %s", b)
	}
	return b
}

// PostgresURL creates a fresh schema on TEST_DATABASE_URL (default
// DefaultTestDatabaseURL), drops it at cleanup and returns a URL whose
// search_path is that schema. It skips the test when PostgreSQL is not
// reachable, and fails instead when CI=true.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return postgrestest.SchemaURL(t)
}

// NewLogger returns a logger writing warnings and errors to t.Log.
func NewLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
