// Package storetest is the one behaviour suite every [store.Store]
// implementation passes. A backend's test calls [Run] with a function that
// returns a fresh, migrated, empty store; benchmarks call [BenchAssetImport]
// and [BenchAssetListPage] the same way.
//
// A change to the store seam extends this suite first.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

// Run runs the conformance suite. newStore is called once per subtest, with
// that subtest's t, and must return an empty, migrated store whose cleanup
// it registers with t.Cleanup. Subtests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	suites := []struct {
		name string
		run  func(t *testing.T, newStore func(t *testing.T) store.Store)
	}{
		{"APIKey", testAPIKey},
		{"Asset", testAsset},
		{"Concurrency", testConcurrency},
		{"Export", testExport},
		{"Instance", testInstance},
		{"Issue", testIssue},
		{"Isolation", testIsolation},
		{"Node", testNode},
		{"Notification", testNotification},
		{"Notify", testNotify},
		{"Org", testOrg},
		{"Plugin", testPlugin},
		{"Project", testProject},
		{"Run", testRun},
		{"RunDispatch", testRunDispatch},
		{"RunLog", testRunLog},
		{"Setting", testSetting},
		{"Storage", testStorage},
		{"Store", testStore},
		{"User", testUser},
		{"WebSession", testWebSession},
	}
	for _, sc := range suites {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.run(t, newStore)
		})
	}
}

// bundle is what one subtest works with: a fresh store and helpers that
// create valid rows in it.
type bundle struct {
	t   *testing.T
	ctx context.Context
	s   store.Store
}

func setup(t *testing.T, newStore func(t *testing.T) store.Store) *bundle {
	t.Helper()
	return &bundle{t: t, ctx: t.Context(), s: newStore(t)}
}

// base is a time with nanoseconds in a zone that is not UTC, so that every
// round trip checks the conversion to UTC and the truncation to
// microseconds.
var base = time.Date(2025, 3, 10, 12, 30, 45, 123456789, time.FixedZone("UTC+5:30", 5*3600+1800))

// at returns base plus i minutes.
func at(i int) time.Time {
	return base.Add(time.Duration(i) * time.Minute)
}

// norm is what a store gives back for t: UTC, truncated to microseconds.
func norm(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// normPtr is norm for an optional time.
func normPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := norm(*t)
	return &v
}

// ptr returns a pointer to t.
func ptr(t time.Time) *time.Time {
	return &t
}

func (b *bundle) org() *store.Org {
	b.t.Helper()
	o := &store.Org{ID: store.NewID(), Name: "Org " + store.NewID()[:6]}
	require.NoError(b.t, b.s.OrgInsert(b.ctx, o))
	return o
}

func (b *bundle) user(orgID string) *store.User {
	b.t.Helper()
	id := store.NewID()
	u := &store.User{ID: id, OrgID: orgID, Email: id + "@example.com", Name: "User " + id[:6], Role: store.RoleMember}
	require.NoError(b.t, b.s.UserInsert(b.ctx, u))
	return u
}

func (b *bundle) project(orgID string) *store.Project {
	b.t.Helper()
	p := &store.Project{ID: store.NewID(), OrgID: orgID, Name: "Project"}
	require.NoError(b.t, b.s.ProjectInsert(b.ctx, p))
	return p
}

func (b *bundle) plugin(orgID, name string) *store.Plugin {
	b.t.Helper()
	p := &store.Plugin{ID: store.NewID(), OrgID: orgID, Name: name, Connector: store.ConnectorWS, RunTimeout: time.Minute}
	require.NoError(b.t, b.s.PluginInsert(b.ctx, p))
	return p
}

func (b *bundle) run(orgID, projectID, pluginID string, created time.Time) *store.Run {
	b.t.Helper()
	r := &store.Run{
		ID: store.NewID(), OrgID: orgID, ProjectID: projectID, PluginID: pluginID,
		Status: store.RunQueued, CreatedAt: created,
	}
	require.NoError(b.t, b.s.RunInsert(b.ctx, r))
	return r
}

func testStore(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("Ping", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		require.NoError(t, b.s.Ping(b.ctx))
	})

	t.Run("CloseTwice", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		require.NoError(t, b.s.Close())
		require.NoError(t, b.s.Close(), "second Close")
	})
}

// ids returns one field of every row, in order (never nil).
func ids[T, K any](rows []*T, id func(*T) K) []K {
	out := make([]K, 0, len(rows))
	for _, r := range rows {
		out = append(out, id(r))
	}
	return out
}
