package storetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func testAPIKey(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("InsertGetByHash", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u := b.user(o.ID)
		k := &store.APIKey{
			ID: store.NewID(), OrgID: o.ID, UserID: u.ID, Name: "ci", Prefix: "eh_ab12",
			Hash: hashOf("secret-1"), ExpiresAt: ptr(at(60)), LastUsedAt: ptr(at(2)), CreatedAt: at(1),
		}
		require.NoError(t, b.s.APIKeyInsert(b.ctx, k))
		got, err := b.s.APIKeyGetByHash(b.ctx, hashOf("secret-1"))
		require.NoError(t, err)
		want := *k
		want.ExpiresAt, want.LastUsedAt = normPtr(k.ExpiresAt), normPtr(k.LastUsedAt)
		require.Equal(t, &want, got)

		_, err = b.s.APIKeyGetByHash(b.ctx, hashOf("other"))
		require.ErrorIs(t, err, store.ErrNotFound)

		got, err = b.s.APIKeyGet(b.ctx, o.ID, k.ID)
		require.NoError(t, err)
		require.Equal(t, &want, got, "by id")
		_, err = b.s.APIKeyGet(b.ctx, b.org().ID, k.ID)
		require.ErrorIs(t, err, store.ErrNotFound, "another organization's key")
		_, err = b.s.APIKeyGet(b.ctx, o.ID, store.NewID())
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("DuplicateHashConflict", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u := b.user(o.ID)
		require.NoError(t, b.s.APIKeyInsert(b.ctx, &store.APIKey{ID: store.NewID(), OrgID: o.ID, UserID: u.ID, Hash: hashOf("s")}))
		err := b.s.APIKeyInsert(b.ctx, &store.APIKey{ID: store.NewID(), OrgID: o.ID, UserID: u.ID, Hash: hashOf("s")})
		require.ErrorIs(t, err, store.ErrConflict)
	})

	t.Run("InsertMissingUserNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o, other := b.org(), b.org()
		err := b.s.APIKeyInsert(b.ctx, &store.APIKey{ID: store.NewID(), OrgID: o.ID, UserID: store.NewID(), Hash: hashOf("s")})
		require.ErrorIs(t, err, store.ErrNotFound)
		u := b.user(other.ID)
		err = b.s.APIKeyInsert(b.ctx, &store.APIKey{ID: store.NewID(), OrgID: o.ID, UserID: u.ID, Hash: hashOf("s")})
		require.ErrorIs(t, err, store.ErrNotFound, "a user of another organization")
	})

	t.Run("ListUserKeysNewestFirst", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o, other := b.org(), b.org()
		u, ou := b.user(o.ID), b.user(other.ID)
		p := b.project(o.ID)
		run := b.run(o.ID, p.ID, store.NewID(), at(0))
		var want []string
		for i := range 3 {
			k := &store.APIKey{ID: store.NewID(), OrgID: o.ID, UserID: u.ID, Hash: hashOf(store.NewID()), CreatedAt: at(i)}
			require.NoError(t, b.s.APIKeyInsert(b.ctx, k))
			want = append([]string{k.ID}, want...)
		}
		// A run token and another organization's key are not listed.
		require.NoError(t, b.s.APIKeyInsert(b.ctx, &store.APIKey{ID: store.NewID(), OrgID: o.ID, UserID: u.ID,
			Hash: hashOf(store.NewID()), ProjectID: p.ID, RunID: run.ID, CreatedAt: at(10)}))
		require.NoError(t, b.s.APIKeyInsert(b.ctx, &store.APIKey{ID: store.NewID(), OrgID: other.ID, UserID: ou.ID,
			Hash: hashOf(store.NewID()), CreatedAt: at(11)}))

		got, err := b.s.APIKeyList(b.ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, want, ids(got, func(k *store.APIKey) string { return k.ID }))
	})

	t.Run("Revoke", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o, other := b.org(), b.org()
		u := b.user(o.ID)
		k := &store.APIKey{ID: store.NewID(), OrgID: o.ID, UserID: u.ID, Hash: hashOf("s")}
		require.NoError(t, b.s.APIKeyInsert(b.ctx, k))

		require.ErrorIs(t, b.s.APIKeyRevoke(b.ctx, other.ID, k.ID, at(5)), store.ErrNotFound, "another organization")
		require.ErrorIs(t, b.s.APIKeyRevoke(b.ctx, o.ID, store.NewID(), at(5)), store.ErrNotFound)
		got, err := b.s.APIKeyGetByHash(b.ctx, k.Hash)
		require.NoError(t, err)
		require.Nil(t, got.RevokedAt)

		require.NoError(t, b.s.APIKeyRevoke(b.ctx, o.ID, k.ID, at(5)))
		require.NoError(t, b.s.APIKeyRevoke(b.ctx, o.ID, k.ID, at(9)), "revoking twice")
		got, err = b.s.APIKeyGetByHash(b.ctx, k.Hash)
		require.NoError(t, err)
		require.Equal(t, normPtr(ptr(at(5))), got.RevokedAt, "the first revocation time is kept")
	})

	t.Run("Touch", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u := b.user(o.ID)
		k := &store.APIKey{ID: store.NewID(), OrgID: o.ID, UserID: u.ID, Hash: hashOf("s")}
		require.NoError(t, b.s.APIKeyInsert(b.ctx, k))

		require.NoError(t, b.s.APIKeyTouch(b.ctx, k.ID, at(7)))
		require.NoError(t, b.s.APIKeyTouch(b.ctx, k.ID, at(3)), "an older touch arriving late")
		got, err := b.s.APIKeyGetByHash(b.ctx, k.Hash)
		require.NoError(t, err)
		require.Equal(t, normPtr(ptr(at(7))), got.LastUsedAt)

		require.ErrorIs(t, b.s.APIKeyTouch(b.ctx, store.NewID(), at(7)), store.ErrNotFound)
	})

	t.Run("RevokeForRun", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u := b.user(o.ID)
		p := b.project(o.ID)
		run1 := b.run(o.ID, p.ID, store.NewID(), at(0))
		run2 := b.run(o.ID, p.ID, store.NewID(), at(1))
		tok1 := &store.APIKey{ID: store.NewID(), OrgID: o.ID, UserID: u.ID, Hash: hashOf("t1"), ProjectID: p.ID, RunID: run1.ID}
		tok1b := &store.APIKey{ID: store.NewID(), OrgID: o.ID, Hash: hashOf("t1b"), ProjectID: p.ID, RunID: run1.ID,
			RevokedAt: ptr(at(1))}
		tok2 := &store.APIKey{ID: store.NewID(), OrgID: o.ID, UserID: u.ID, Hash: hashOf("t2"), ProjectID: p.ID, RunID: run2.ID}
		userKey := &store.APIKey{ID: store.NewID(), OrgID: o.ID, UserID: u.ID, Hash: hashOf("k")}
		for _, k := range []*store.APIKey{tok1, tok1b, tok2, userKey} {
			require.NoError(t, b.s.APIKeyInsert(b.ctx, k))
		}

		require.NoError(t, b.s.APIKeyRevokeForRun(b.ctx, run1.ID, at(4)))
		want := map[string]*time.Time{
			"t1": normPtr(ptr(at(4))), "t1b": normPtr(ptr(at(1))), "t2": nil, "k": nil,
		}
		for secret, revoked := range want {
			got, err := b.s.APIKeyGetByHash(b.ctx, hashOf(secret))
			require.NoError(t, err)
			require.Equal(t, revoked, got.RevokedAt, "key %s", secret)
		}
		require.NoError(t, b.s.APIKeyRevokeForRun(b.ctx, store.NewID(), at(4)), "a run without tokens")
	})
}
