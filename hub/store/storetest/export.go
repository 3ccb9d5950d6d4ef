package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

func testExport(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("InsertGetList", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p, p2 := b.project(o.ID), b.project(o.ID)
		e := &store.Export{
			ID: store.NewID(), OrgID: o.ID, ProjectID: p.ID, RunID: store.NewID(), PluginID: store.NewID(),
			UserID: store.NewID(), FileName: "export.zip", Size: 1 << 40, SHA256: "ab12", StorageID: store.NewID(),
			Bucket: "org-bucket", ObjectKey: "exports/x/export.zip", CreatedAt: at(1),
		}
		require.NoError(t, b.s.ExportInsert(b.ctx, e))
		got, err := b.s.ExportGet(b.ctx, o.ID, e.ID)
		require.NoError(t, err)
		require.Equal(t, e, got)
		require.ErrorIs(t, b.s.ExportInsert(b.ctx, &store.Export{ID: e.ID, OrgID: o.ID, ProjectID: p.ID, FileName: "f", ObjectKey: "k"}),
			store.ErrConflict)

		newer := &store.Export{ID: store.NewID(), OrgID: o.ID, ProjectID: p.ID, FileName: "b.zip", ObjectKey: "k2", CreatedAt: at(2)}
		older := &store.Export{ID: store.NewID(), OrgID: o.ID, ProjectID: p.ID, FileName: "c.zip", ObjectKey: "k3", CreatedAt: at(0)}
		elsewhere := &store.Export{ID: store.NewID(), OrgID: o.ID, ProjectID: p2.ID, FileName: "d.zip", ObjectKey: "k4"}
		for _, x := range []*store.Export{newer, older, elsewhere} {
			require.NoError(t, b.s.ExportInsert(b.ctx, x))
		}
		list, err := b.s.ExportList(b.ctx, o.ID, p.ID)
		require.NoError(t, err)
		require.Equal(t, []string{newer.ID, e.ID, older.ID}, ids(list, func(x *store.Export) string { return x.ID }))

		_, err = b.s.ExportGet(b.ctx, o.ID, store.NewID())
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}
