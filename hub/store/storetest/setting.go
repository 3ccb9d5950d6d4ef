package storetest

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

func testSetting(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("FirstValueStays", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		got, err := b.s.SettingInit(b.ctx, "hub_key_check", "one")
		require.NoError(t, err)
		require.Equal(t, "one", got, "the first call stores its value")
		got, err = b.s.SettingInit(b.ctx, "hub_key_check", "two")
		require.NoError(t, err)
		require.Equal(t, "one", got, "later calls get the stored value")
		got, err = b.s.SettingInit(b.ctx, "other", "three")
		require.NoError(t, err)
		require.Equal(t, "three", got)
	})

	t.Run("ConcurrentFirstCallsAgree", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		const n = 8
		got := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], errs[i] = b.s.SettingInit(b.ctx, "k", string(rune('a'+i)))
			}()
		}
		wg.Wait()
		for i := range n {
			require.NoError(t, errs[i])
			require.Equal(t, got[0], got[i], "every caller gets the one stored value")
		}
	})
}
