package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

func pluginNames(ps []*store.Plugin) []string {
	return ids(ps, func(p *store.Plugin) string { return p.Name })
}

func testPlugin(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("InsertGet", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u := b.user(o.ID)
		p := &store.Plugin{
			ID: store.NewID(), OrgID: o.ID, OwnerID: u.ID, Name: "COCO export", Description: "d",
			DefaultConfig: `{"b": 1, "a": 2}`, RunTimeout: 90*time.Minute + 1, Connector: store.ConnectorREST,
			BaseURL: "http://127.0.0.1:8080", SecretHash: hashOf("plugin-secret"), SecretEnc: []byte{1, 2, 3},
			SecretRevealed: true, CreatedAt: at(0),
		}
		require.NoError(t, b.s.PluginInsert(b.ctx, p))
		got, err := b.s.PluginGet(b.ctx, o.ID, p.ID)
		require.NoError(t, err)
		require.Equal(t, p, got)
		got, err = b.s.PluginGetByID(b.ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, p, got)

		_, err = b.s.PluginGetByID(b.ctx, store.NewID())
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, b.s.PluginInsert(b.ctx, &store.Plugin{ID: p.ID, OrgID: o.ID, Name: "dup"}), store.ErrConflict)
	})

	t.Run("InsertDefaultConfig", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.plugin(o.ID, "x")
		got, err := b.s.PluginGet(b.ctx, o.ID, p.ID)
		require.NoError(t, err)
		require.Equal(t, "{}", got.DefaultConfig)
		require.Nil(t, got.SecretHash)
	})

	t.Run("ListByNameAndConnector", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o, other := b.org(), b.org()
		b.plugin(o.ID, "yolo")
		b.plugin(o.ID, "coco")
		b.plugin(other.ID, "voc")
		rest := &store.Plugin{ID: store.NewID(), OrgID: other.ID, Name: "remote", Connector: store.ConnectorREST}
		require.NoError(t, b.s.PluginInsert(b.ctx, rest))

		list, err := b.s.PluginList(b.ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"coco", "yolo"}, pluginNames(list))

		byConn, err := b.s.PluginListByConnector(b.ctx, string(store.ConnectorREST))
		require.NoError(t, err)
		require.Equal(t, []string{"remote"}, pluginNames(byConn))
		byConn, err = b.s.PluginListByConnector(b.ctx, string(store.ConnectorWS))
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"coco", "yolo", "voc"}, pluginNames(byConn), "every organization")
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o, other := b.org(), b.org()
		p := b.plugin(o.ID, "old")
		created := p.CreatedAt
		before := time.Now().Add(-time.Second)
		p.Name, p.Description, p.DefaultConfig = "new", "desc", `{"k":true}`
		p.RunTimeout, p.Connector, p.BaseURL = time.Hour, store.ConnectorREST, "http://127.0.0.1:1"
		p.SecretHash, p.SecretEnc, p.SecretRevealed = hashOf("s2"), []byte("enc2"), true
		require.NoError(t, b.s.PluginUpdate(b.ctx, p))
		require.True(t, p.UpdatedAt.After(before))
		got, err := b.s.PluginGet(b.ctx, o.ID, p.ID)
		require.NoError(t, err)
		require.Equal(t, p, got)
		require.Equal(t, created, got.CreatedAt)

		p.OrgID = other.ID
		require.ErrorIs(t, b.s.PluginUpdate(b.ctx, p), store.ErrNotFound, "another organization")
	})

	t.Run("ProjectLinks", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o, other := b.org(), b.org()
		proj := b.project(o.ID)
		yolo, coco := b.plugin(o.ID, "yolo"), b.plugin(o.ID, "coco")
		foreign := b.plugin(other.ID, "foreign")

		require.NoError(t, b.s.ProjectPluginEnable(b.ctx, o.ID, proj.ID, yolo.ID))
		require.NoError(t, b.s.ProjectPluginEnable(b.ctx, o.ID, proj.ID, coco.ID))
		require.NoError(t, b.s.ProjectPluginEnable(b.ctx, o.ID, proj.ID, coco.ID), "enable is idempotent")
		require.ErrorIs(t, b.s.ProjectPluginEnable(b.ctx, o.ID, proj.ID, foreign.ID), store.ErrNotFound,
			"a plugin of another organization")
		require.ErrorIs(t, b.s.ProjectPluginEnable(b.ctx, other.ID, proj.ID, foreign.ID), store.ErrNotFound,
			"a project of another organization")
		require.ErrorIs(t, b.s.ProjectPluginEnable(b.ctx, o.ID, store.NewID(), coco.ID), store.ErrNotFound)

		list, err := b.s.ProjectPluginList(b.ctx, o.ID, proj.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"coco", "yolo"}, pluginNames(list))
		list, err = b.s.ProjectPluginList(b.ctx, other.ID, proj.ID)
		require.NoError(t, err)
		require.Empty(t, list, "another organization sees nothing")

		require.NoError(t, b.s.ProjectPluginDisable(b.ctx, o.ID, proj.ID, yolo.ID))
		require.ErrorIs(t, b.s.ProjectPluginDisable(b.ctx, o.ID, proj.ID, yolo.ID), store.ErrNotFound, "not enabled")
		list, err = b.s.ProjectPluginList(b.ctx, o.ID, proj.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"coco"}, pluginNames(list))
	})

	t.Run("DeleteRemovesLinks", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o, other := b.org(), b.org()
		proj := b.project(o.ID)
		p := b.plugin(o.ID, "coco")
		require.NoError(t, b.s.ProjectPluginEnable(b.ctx, o.ID, proj.ID, p.ID))

		require.ErrorIs(t, b.s.PluginDelete(b.ctx, other.ID, p.ID), store.ErrNotFound, "another organization")
		require.NoError(t, b.s.PluginDelete(b.ctx, o.ID, p.ID))
		_, err := b.s.PluginGet(b.ctx, o.ID, p.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		list, err := b.s.ProjectPluginList(b.ctx, o.ID, proj.ID)
		require.NoError(t, err)
		require.Empty(t, list)
		require.ErrorIs(t, b.s.PluginDelete(b.ctx, o.ID, p.ID), store.ErrNotFound, "second delete")
	})
}
