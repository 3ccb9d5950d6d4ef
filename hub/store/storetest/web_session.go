package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

func testWebSession(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("Lifecycle", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u := b.user(o.ID)
		ws := &store.WebSession{Hash: hashOf("cookie"), UserID: u.ID, OrgID: o.ID, CSRFToken: "csrf", ExpiresAt: at(60), CreatedAt: at(0)}
		require.NoError(t, b.s.WebSessionInsert(b.ctx, ws))

		got, err := b.s.WebSessionGetByHash(b.ctx, hashOf("cookie"))
		require.NoError(t, err)
		require.Equal(t, &store.WebSession{Hash: hashOf("cookie"), UserID: u.ID, OrgID: o.ID, CSRFToken: "csrf",
			ExpiresAt: norm(at(60)), CreatedAt: norm(at(0))}, got)

		err = b.s.WebSessionInsert(b.ctx, &store.WebSession{Hash: hashOf("cookie"), UserID: u.ID, OrgID: o.ID, ExpiresAt: at(60)})
		require.ErrorIs(t, err, store.ErrConflict)

		require.NoError(t, b.s.WebSessionDelete(b.ctx, hashOf("cookie")))
		_, err = b.s.WebSessionGetByHash(b.ctx, hashOf("cookie"))
		require.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, b.s.WebSessionDelete(b.ctx, hashOf("cookie")), "deleting a missing session")
	})

	t.Run("Origin", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u := b.user(o.ID)
		byKey := &store.WebSession{Hash: hashOf("key"), UserID: u.ID, OrgID: o.ID, CSRFToken: "c",
			APIKeyID: store.NewID(), ExpiresAt: at(60), CreatedAt: at(0)}
		byPassword := &store.WebSession{Hash: hashOf("password"), UserID: u.ID, OrgID: o.ID, CSRFToken: "c",
			PasswordFingerprint: hashOf("bcrypt hash"), ExpiresAt: at(60), CreatedAt: at(0)}
		for _, ws := range []*store.WebSession{byKey, byPassword} {
			require.NoError(t, b.s.WebSessionInsert(b.ctx, ws))
			got, err := b.s.WebSessionGetByHash(b.ctx, ws.Hash)
			require.NoError(t, err)
			want := *ws
			want.ExpiresAt, want.CreatedAt = norm(ws.ExpiresAt), norm(ws.CreatedAt)
			require.Equal(t, &want, got)
		}
	})

	t.Run("InsertUserOfOtherOrgNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o, other := b.org(), b.org()
		u := b.user(other.ID)
		err := b.s.WebSessionInsert(b.ctx, &store.WebSession{Hash: hashOf("c"), UserID: u.ID, OrgID: o.ID, ExpiresAt: at(60)})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("DeleteExpired", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u := b.user(o.ID)
		for i, name := range []string{"old", "edge", "live"} {
			require.NoError(t, b.s.WebSessionInsert(b.ctx, &store.WebSession{Hash: hashOf(name), UserID: u.ID, OrgID: o.ID,
				CSRFToken: "c", ExpiresAt: at(10 * i)}))
		}
		n, err := b.s.WebSessionDeleteExpired(b.ctx, at(10))
		require.NoError(t, err)
		require.Equal(t, int64(2), n)
		_, err = b.s.WebSessionGetByHash(b.ctx, hashOf("edge"))
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = b.s.WebSessionGetByHash(b.ctx, hashOf("live"))
		require.NoError(t, err)
	})
}
