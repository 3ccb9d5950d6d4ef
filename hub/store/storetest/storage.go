package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

func testStorage(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("InsertGetListDelete", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o, other := b.org(), b.org()
		st := &store.Storage{
			ID: store.NewID(), OrgID: o.ID, Name: "zeta", Provider: "AWS", Endpoint: "http://127.0.0.1:9000",
			Region: "us-east-1", Bucket: "exports", AccessKey: "AK", SecretKeyEnc: []byte{9, 8, 7}, CredentialType: "accessKey",
			CreatedAt: at(0),
		}
		require.NoError(t, b.s.StorageInsert(b.ctx, st))
		got, err := b.s.StorageGet(b.ctx, o.ID, st.ID)
		require.NoError(t, err)
		require.Equal(t, st, got)

		// A proxied Azure storage with a SAS token keeps both fields.
		alpha := &store.Storage{ID: store.NewID(), OrgID: o.ID, Name: "alpha", Provider: "AZURE", Bucket: "b",
			AccessKey: "account", SecretKeyEnc: []byte{1}, CredentialType: "sasToken", Proxied: true}
		require.NoError(t, b.s.StorageInsert(b.ctx, alpha))
		require.NoError(t, b.s.StorageInsert(b.ctx, &store.Storage{ID: store.NewID(), OrgID: other.ID, Name: "beta", Provider: "GCP"}))
		list, err := b.s.StorageList(b.ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"alpha", "zeta"}, ids(list, func(s *store.Storage) string { return s.Name }))
		require.True(t, list[0].Proxied, "got proxied false, want true")
		require.Equal(t, "sasToken", list[0].CredentialType)
		require.False(t, list[1].Proxied)

		require.ErrorIs(t, b.s.StorageInsert(b.ctx, &store.Storage{ID: st.ID, OrgID: o.ID, Name: "dup"}), store.ErrConflict)

		require.NoError(t, b.s.StorageDelete(b.ctx, o.ID, st.ID))
		_, err = b.s.StorageGet(b.ctx, o.ID, st.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, b.s.StorageDelete(b.ctx, o.ID, st.ID), store.ErrNotFound, "second delete")
	})
}
