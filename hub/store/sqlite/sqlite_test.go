package sqlite_test

import (
	"path/filepath"
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
