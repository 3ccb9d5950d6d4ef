package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

func testConcurrency(t *testing.T, newStore func(t *testing.T) store.Store) {
	// Many goroutines write at once, as the hub does while runs stream
	// logs and users import: every write must succeed (on SQLite, none may
	// fail with "database is locked").
	t.Run("ConcurrentWriters", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		shared := b.run(o.ID, p.ID, store.NewID(), at(0))

		const (
			writers = 8
			rounds  = 15
		)
		errs := make(chan error, writers*rounds*3+1)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range rounds {
					r := &store.Run{ID: store.NewID(), OrgID: o.ID, ProjectID: p.ID, PluginID: store.NewID()}
					errs <- b.s.RunInsert(b.ctx, r)
					_, err := b.s.RunLogAppend(b.ctx, r.ID, logLines(3, fmt.Sprintf("w%d-%d", w, i)), 0)
					errs <- err
					_, err = b.s.RunLogAppend(b.ctx, shared.ID, logLines(2, fmt.Sprintf("w%d-%d", w, i)), 0)
					errs <- err
				}
			})
		}
		otherProject := b.project(o.ID)
		wg.Go(func() {
			_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: otherProject.ID, Rows: assetRows(genAssets(2000))})
			errs <- err
		})
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}

		runs, err := b.s.RunList(b.ctx, &store.RunListParams{OrgID: o.ID, Limit: 1000})
		require.NoError(t, err)
		require.Len(t, runs, writers*rounds+1)
		logs, err := b.s.RunLogList(b.ctx, shared.ID, 0, 0)
		require.NoError(t, err)
		require.Len(t, logs, writers*rounds*2)
		for i, l := range logs {
			require.Equal(t, int64(i+1), l.Seq, "Seq has no gaps or duplicates")
		}
		n, err := b.s.AssetCount(b.ctx, &store.AssetListParams{ProjectID: otherProject.ID})
		require.NoError(t, err)
		require.Equal(t, int64(2000), n)
	})
}
