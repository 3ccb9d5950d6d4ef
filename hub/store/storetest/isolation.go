package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

// testIsolation checks that every organization-scoped method treats rows of
// another organization as missing and leaves them unchanged.
func testIsolation(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("OtherOrgIsNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		mine, theirs := b.org(), b.org()
		u := b.user(theirs.ID)
		p := b.project(theirs.ID)
		pl := b.plugin(theirs.ID, "coco")
		require.NoError(t, b.s.ProjectPluginEnable(b.ctx, theirs.ID, p.ID, pl.ID))
		r := b.run(theirs.ID, p.ID, pl.ID, at(0))
		e := &store.Export{ID: store.NewID(), OrgID: theirs.ID, ProjectID: p.ID, RunID: r.ID, FileName: "x.zip", ObjectKey: "k"}
		require.NoError(t, b.s.ExportInsert(b.ctx, e))
		st := &store.Storage{ID: store.NewID(), OrgID: theirs.ID, Name: "s3", Provider: "AWS", Bucket: "b"}
		require.NoError(t, b.s.StorageInsert(b.ctx, st))
		k := &store.APIKey{ID: store.NewID(), OrgID: theirs.ID, UserID: u.ID, Hash: hashOf("k")}
		require.NoError(t, b.s.APIKeyInsert(b.ctx, k))

		notFound := map[string]error{}
		_, notFound["UserGet"] = b.s.UserGet(b.ctx, mine.ID, u.ID)
		notFound["UserUpdate"] = b.s.UserUpdate(b.ctx, &store.User{ID: u.ID, OrgID: mine.ID, Name: "x", Role: store.RoleAdmin})
		notFound["UserDelete"] = b.s.UserDelete(b.ctx, mine.ID, u.ID)
		notFound["APIKeyRevoke"] = b.s.APIKeyRevoke(b.ctx, mine.ID, k.ID, at(1))
		_, notFound["ProjectGet"] = b.s.ProjectGet(b.ctx, mine.ID, p.ID)
		notFound["ProjectUpdate"] = b.s.ProjectUpdate(b.ctx, &store.Project{ID: p.ID, OrgID: mine.ID, Name: "x"})
		notFound["ProjectDelete"] = b.s.ProjectDelete(b.ctx, mine.ID, p.ID)
		_, notFound["PluginGet"] = b.s.PluginGet(b.ctx, mine.ID, pl.ID)
		notFound["PluginUpdate"] = b.s.PluginUpdate(b.ctx, &store.Plugin{ID: pl.ID, OrgID: mine.ID, Name: "x"})
		notFound["PluginDelete"] = b.s.PluginDelete(b.ctx, mine.ID, pl.ID)
		notFound["ProjectPluginDisable"] = b.s.ProjectPluginDisable(b.ctx, mine.ID, p.ID, pl.ID)
		_, notFound["RunGet"] = b.s.RunGet(b.ctx, mine.ID, r.ID)
		_, notFound["ExportGet"] = b.s.ExportGet(b.ctx, mine.ID, e.ID)
		_, notFound["StorageGet"] = b.s.StorageGet(b.ctx, mine.ID, st.ID)
		notFound["StorageDelete"] = b.s.StorageDelete(b.ctx, mine.ID, st.ID)
		for name, err := range notFound {
			require.ErrorIs(t, err, store.ErrNotFound, name)
		}

		empty := map[string]int{}
		users, err := b.s.UserList(b.ctx, mine.ID)
		require.NoError(t, err)
		empty["UserList"] = len(users)
		keys, err := b.s.APIKeyList(b.ctx, mine.ID)
		require.NoError(t, err)
		empty["APIKeyList"] = len(keys)
		projects, err := b.s.ProjectList(b.ctx, mine.ID)
		require.NoError(t, err)
		empty["ProjectList"] = len(projects)
		plugins, err := b.s.PluginList(b.ctx, mine.ID)
		require.NoError(t, err)
		empty["PluginList"] = len(plugins)
		links, err := b.s.ProjectPluginList(b.ctx, mine.ID, p.ID)
		require.NoError(t, err)
		empty["ProjectPluginList"] = len(links)
		runs, err := b.s.RunList(b.ctx, &store.RunListParams{OrgID: mine.ID, ProjectID: p.ID})
		require.NoError(t, err)
		empty["RunList"] = len(runs)
		exports, err := b.s.ExportList(b.ctx, mine.ID, p.ID)
		require.NoError(t, err)
		empty["ExportList"] = len(exports)
		storages, err := b.s.StorageList(b.ctx, mine.ID)
		require.NoError(t, err)
		empty["StorageList"] = len(storages)
		for name, n := range empty {
			require.Zero(t, n, name)
		}

		// Nothing of theirs changed.
		gotU, err := b.s.UserGet(b.ctx, theirs.ID, u.ID)
		require.NoError(t, err)
		require.Equal(t, u, gotU)
		gotP, err := b.s.ProjectGet(b.ctx, theirs.ID, p.ID)
		require.NoError(t, err)
		require.Equal(t, p, gotP)
		gotPl, err := b.s.PluginGet(b.ctx, theirs.ID, pl.ID)
		require.NoError(t, err)
		require.Equal(t, pl, gotPl)
		gotK, err := b.s.APIKeyGetByHash(b.ctx, k.Hash)
		require.NoError(t, err)
		require.Nil(t, gotK.RevokedAt)
		_, err = b.s.StorageGet(b.ctx, theirs.ID, st.ID)
		require.NoError(t, err)
		links, err = b.s.ProjectPluginList(b.ctx, theirs.ID, p.ID)
		require.NoError(t, err)
		require.Len(t, links, 1)
	})
}
