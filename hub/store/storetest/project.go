package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

func testProject(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("InsertGet", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := &store.Project{
			ID: store.NewID(), OrgID: o.ID, Name: "Cars", Description: "street scenes",
			// Key order and spacing must survive.
			CategorySchema: json.RawMessage(`{"tools":[{"title":"car","tool":"bounding-box"}],  "classifications":[]}`),
			Stages: []store.Stage{{ID: "s1", Name: "Label"}, {ID: "s2", Name: "Review", Type: store.StageReview,
				Position: &store.StagePosition{X: 450.5, Y: -20}, Next: []string{"s1", "Complete"},
				Extra: map[string]json.RawMessage{"assignedTo": json.RawMessage(`["a@example.test"]`), "reviewRatio": json.RawMessage(`0.25`)}}},
			Batches:   []store.Batch{{ID: "b1", Name: "day-1"}},
			CreatedAt: at(0),
		}
		require.NoError(t, b.s.ProjectInsert(b.ctx, p))
		require.Equal(t, norm(at(0)), p.UpdatedAt, "UpdatedAt starts at CreatedAt")
		got, err := b.s.ProjectGet(b.ctx, o.ID, p.ID)
		require.NoError(t, err)
		require.Equal(t, p, got)
	})

	t.Run("InsertDefaults", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := &store.Project{ID: store.NewID(), OrgID: o.ID, Name: "Empty"}
		require.NoError(t, b.s.ProjectInsert(b.ctx, p))
		got, err := b.s.ProjectGet(b.ctx, o.ID, p.ID)
		require.NoError(t, err)
		require.JSONEq(t, `{}`, string(got.CategorySchema))
		require.Nil(t, got.Stages)
		require.Nil(t, got.Batches)
		require.False(t, got.CreatedAt.IsZero())
	})

	t.Run("InsertInvalidSchema", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		err := b.s.ProjectInsert(b.ctx, &store.Project{ID: store.NewID(), OrgID: o.ID, Name: "x", CategorySchema: json.RawMessage(`{"tools":`)})
		require.ErrorContains(t, err, "CategorySchema")
	})

	t.Run("InsertConflictAndMissingOrg", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		require.ErrorIs(t, b.s.ProjectInsert(b.ctx, &store.Project{ID: p.ID, OrgID: o.ID, Name: "dup"}), store.ErrConflict)
		require.ErrorIs(t, b.s.ProjectInsert(b.ctx, &store.Project{ID: store.NewID(), OrgID: store.NewID(), Name: "x"}), store.ErrNotFound)
	})

	t.Run("ListNewestFirst", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o, other := b.org(), b.org()
		var want []string
		for i := range 3 {
			p := &store.Project{ID: store.NewID(), OrgID: o.ID, Name: "P", CreatedAt: at(i)}
			require.NoError(t, b.s.ProjectInsert(b.ctx, p))
			want = append([]string{p.ID}, want...)
		}
		b.project(other.ID)
		got, err := b.s.ProjectList(b.ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, want, ids(got, func(p *store.Project) string { return p.ID }))
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := &store.Project{ID: store.NewID(), OrgID: o.ID, Name: "Old", CreatedAt: at(0)}
		require.NoError(t, b.s.ProjectInsert(b.ctx, p))
		before := time.Now().Add(-time.Second)
		p.Name, p.Description = "New", "desc"
		p.CategorySchema = json.RawMessage(`{"tools":[]}`)
		p.Stages = []store.Stage{{ID: "s", Name: "Stage"}}
		p.Batches = []store.Batch{{ID: "b", Name: "Batch"}}
		require.NoError(t, b.s.ProjectUpdate(b.ctx, p))
		require.True(t, p.UpdatedAt.After(before), "UpdatedAt moves to now")
		got, err := b.s.ProjectGet(b.ctx, o.ID, p.ID)
		require.NoError(t, err)
		require.Equal(t, p, got)
		require.Equal(t, norm(at(0)), got.CreatedAt)

		err = b.s.ProjectUpdate(b.ctx, &store.Project{ID: store.NewID(), OrgID: o.ID, Name: "x"})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("DeleteCascades", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u := b.user(o.ID)
		p, kept := b.project(o.ID), b.project(o.ID)
		pl := b.plugin(o.ID, "coco")
		require.NoError(t, b.s.ProjectPluginEnable(b.ctx, o.ID, p.ID, pl.ID))
		require.NoError(t, b.s.ProjectPluginEnable(b.ctx, o.ID, kept.ID, pl.ID))
		_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: assetRows(genAssets(5))})
		require.NoError(t, err)
		_, err = b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: kept.ID, Rows: assetRows(genAssets(2))})
		require.NoError(t, err)
		run := b.run(o.ID, p.ID, pl.ID, at(0))
		_, err = b.s.RunLogAppend(b.ctx, run.ID, []*store.RunLog{{Level: "INFO", Msg: "hi"}}, 0)
		require.NoError(t, err)
		token := &store.APIKey{ID: store.NewID(), OrgID: o.ID, UserID: u.ID, Hash: hashOf("tok"), ProjectID: p.ID, RunID: run.ID}
		require.NoError(t, b.s.APIKeyInsert(b.ctx, token))
		exp := &store.Export{ID: store.NewID(), OrgID: o.ID, ProjectID: p.ID, RunID: run.ID, FileName: "x.zip", ObjectKey: "k"}
		require.NoError(t, b.s.ExportInsert(b.ctx, exp))
		note := &store.Notification{ID: store.NewID(), OrgID: o.ID, UserID: u.ID, Kind: "export_ready", RunID: run.ID, ExportID: exp.ID}
		require.NoError(t, b.s.NotificationInsert(b.ctx, note))

		require.NoError(t, b.s.ProjectDelete(b.ctx, o.ID, p.ID))

		_, err = b.s.ProjectGet(b.ctx, o.ID, p.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		n, err := b.s.AssetCount(b.ctx, &store.AssetListParams{ProjectID: p.ID})
		require.NoError(t, err)
		require.Zero(t, n, "assets are deleted")
		_, err = b.s.RunGetByID(b.ctx, run.ID)
		require.ErrorIs(t, err, store.ErrNotFound, "runs are deleted")
		logs, err := b.s.RunLogList(b.ctx, run.ID, 0, 0)
		require.NoError(t, err)
		require.Empty(t, logs, "run logs are deleted")
		_, err = b.s.APIKeyGetByHash(b.ctx, token.Hash)
		require.ErrorIs(t, err, store.ErrNotFound, "run tokens are deleted")
		links, err := b.s.ProjectPluginList(b.ctx, o.ID, p.ID)
		require.NoError(t, err)
		require.Empty(t, links, "plugin links are deleted")

		_, err = b.s.ExportGet(b.ctx, o.ID, exp.ID)
		require.NoError(t, err, "exports stay")
		notes, err := b.s.NotificationList(b.ctx, u.ID, 0)
		require.NoError(t, err)
		require.Len(t, notes, 1, "notifications stay")
		_, err = b.s.PluginGet(b.ctx, o.ID, pl.ID)
		require.NoError(t, err, "the plugin stays")
		links, err = b.s.ProjectPluginList(b.ctx, o.ID, kept.ID)
		require.NoError(t, err)
		require.Len(t, links, 1, "other projects keep their links")
		n, err = b.s.AssetCount(b.ctx, &store.AssetListParams{ProjectID: kept.ID})
		require.NoError(t, err)
		require.Equal(t, int64(2), n, "other projects keep their assets")

		require.ErrorIs(t, b.s.ProjectDelete(b.ctx, o.ID, p.ID), store.ErrNotFound, "second delete")
	})
}
