package sqlite_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/sqlite"
	"github.com/exporthub/exporthub/hub/store/storetest"
)

var _ store.Store = (*sqlite.Store)(nil)

// newStore opens a store on a fresh file in t's temporary directory.
func newStore(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.New(t.Context(), &sqlite.Config{Path: filepath.Join(t.TempDir(), "hub.db")})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}

func TestNew_Reopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "hub.db")
	s, err := sqlite.New(ctx, &sqlite.Config{Path: path})
	require.NoError(t, err)
	o := &store.Org{ID: store.NewID(), Name: "Acme"}
	require.NoError(t, s.OrgInsert(ctx, o))
	require.NoError(t, s.Close())

	s, err = sqlite.Open(ctx, path)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	got, err := s.OrgGet(ctx, o.ID)
	require.NoError(t, err, "the file keeps its rows across reopen")
	require.Equal(t, o, got)
}

func TestNew_Config(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  *sqlite.Config
		want string
	}{
		{"Nil", nil, "Path is required"},
		{"NoPath", &sqlite.Config{}, "Path is required"},
		{"Memory", &sqlite.Config{Path: ":memory:"}, `Path must be a file path, got ":memory:"`},
		{"URI", &sqlite.Config{Path: "file:x.db"}, `Path must be a file path, got "file:x.db"`},
		{"QuestionMark", &sqlite.Config{Path: "x.db?mode=ro"}, `Path must not contain '?'`},
		{"NegativeBusyTimeout", &sqlite.Config{Path: "x.db", BusyTimeout: -1}, "BusyTimeout must not be negative"},
		{"NegativeMaxReadConns", &sqlite.Config{Path: "x.db", MaxReadConns: -2}, "MaxReadConns must not be negative, got -2"},
		{"MissingDirectory", &sqlite.Config{Path: filepath.Join(t.TempDir(), "missing", "hub.db")}, "sqlite: open"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := sqlite.New(t.Context(), c.cfg)
			require.ErrorContains(t, err, c.want)
		})
	}
}

// Two stores on one file stand for two processes (the hub and an admin
// command): the busy timeout and IMMEDIATE transactions make their
// concurrent writes wait for each other instead of failing.
func TestStore_TwoStoresOneFile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "hub.db")
	a, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, a.Close()) })
	b, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })

	o := &store.Org{ID: store.NewID(), Name: "Acme"}
	require.NoError(t, a.OrgInsert(ctx, o))
	p := &store.Project{ID: store.NewID(), OrgID: o.ID, Name: "P"}
	require.NoError(t, a.ProjectInsert(ctx, p))
	run := &store.Run{ID: store.NewID(), OrgID: o.ID, ProjectID: p.ID, PluginID: store.NewID()}
	require.NoError(t, a.RunInsert(ctx, run))

	const rounds = 40
	errs := make(chan error, 2*rounds)
	var wg sync.WaitGroup
	for _, s := range []*sqlite.Store{a, b} {
		wg.Go(func() {
			for range rounds {
				_, err := s.RunLogAppend(ctx, run.ID, []*store.RunLog{{Level: "INFO", Msg: "x"}}, 0)
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	logs, err := b.RunLogList(ctx, run.ID, 0, 0)
	require.NoError(t, err)
	require.Len(t, logs, 2*rounds)
}

func BenchmarkAssetImport(b *testing.B) {
	storetest.BenchAssetImport(b, func(b *testing.B) store.Store { return newStore(b) })
}

func BenchmarkAssetListPage(b *testing.B) {
	storetest.BenchAssetListPage(b, func(b *testing.B) store.Store { return newStore(b) })
}
