package runs_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/postgres"
	"github.com/exporthub/exporthub/hub/store/sqlite"
	"github.com/exporthub/exporthub/internal/secretbox"
)

func TestNew_Validation(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	box, err := secretbox.New(secretbox.NewKey())
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		cfg  runs.Config
		msg  string
	}{
		{"NoStore", runs.Config{}, "runs: Config.Store is required"},
		{"NoStorage", runs.Config{Store: st}, "runs: Config.Storage is required"},
		{"NegativeLines", runs.Config{Store: st, Storage: fileStorage{}, Box: box, MaxLogLines: -1}, "runs: MaxLogLines must not be negative, got -1"},
		{"NegativeTimeout", runs.Config{Store: st, Storage: fileStorage{}, Box: box, DefaultRunTimeout: -time.Second}, "runs: DefaultRunTimeout must not be negative, got -1s"},
		{"ShortNodeLease", runs.Config{Store: st, Storage: fileStorage{}, Box: box, NodeID: "a", NodeLease: 999 * time.Millisecond}, "runs: NodeLease must be at least 1s, got 999ms"},
		{"NegativeRemoteTimeout", runs.Config{Store: st, Storage: fileStorage{}, Box: box, RemoteTimeout: -time.Second}, "runs: RemoteTimeout must not be negative, got -1s"},
		{"BadNodeID", runs.Config{Store: st, Storage: fileStorage{}, Box: box, NodeID: "hub/1"}, `runs: NodeID: "hub/1" may hold only letters, digits and ".-_:@", not '/'`},
		{"LongNodeID", runs.Config{Store: st, Storage: fileStorage{}, Box: box, NodeID: strings.Repeat("x", runs.MaxNodeIDLen+1)}, "must be 1 to 128 characters long"},
		{"NodeIDNeedsNotifier", runs.Config{Store: plainStore{st}, Storage: fileStorage{}, Box: box, NodeID: "hub-1:7420"}, "runs: with a NodeID, Config.Store must implement runs.Notifier (Notify and Listen)"},
		{"BadRESTURL", func() runs.Config {
			c := runs.Config{Store: st, Storage: fileStorage{}, Box: box}
			c.Gateway.RESTAllowedURLs = []string{"ftp://x"}
			return c
		}(), `gateway: RESTAllowedURLs: base URL "ftp://x" must start with http:// or https://`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := runs.New(&tc.cfg)
			require.ErrorContains(t, err, tc.msg)
		})
	}

	t.Run("Defaults", func(t *testing.T) {
		t.Parallel()
		m, err := runs.New(&runs.Config{Store: st, Storage: fileStorage{}, Box: box})
		require.NoError(t, err)
		defer m.Close()
		require.Equal(t, runs.DefaultRunTimeout, m.DefaultRunTimeout())
		require.NoError(t, m.Close(), "a second Close returns nil")
	})
}

// plainStore hides the Notifier methods of a store: a store without the
// capability, which both real backends have.
type plainStore struct{ store.Store }

var (
	_ runs.Notifier = (*sqlite.Store)(nil)
	_ runs.Notifier = (*postgres.Store)(nil)
)

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	// HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"),
	// the well-known test vector.
	got := runs.WebhookSignature([]byte("key"), []byte("The quick brown fox jumps over the lazy dog"))
	require.Equal(t, "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", got)
}

func TestSubmit_Closed(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	box, err := secretbox.New(secretbox.NewKey())
	require.NoError(t, err)
	m, err := runs.New(&runs.Config{Store: st, Storage: fileStorage{}, Box: box})
	require.NoError(t, err)
	require.NoError(t, m.Shutdown(context.Background()))
	_, err = m.Submit(context.Background(), &runs.SubmitParams{OrgID: store.NewID()})
	require.ErrorIs(t, err, runs.ErrClosed)
}
