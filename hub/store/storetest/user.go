package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

func testUser(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("InsertGet", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u := &store.User{
			ID: store.NewID(), OrgID: o.ID, Email: "Ada@Example.com", Name: "Ada", Role: store.RoleAdmin,
			PasswordHash: "$2a$10$abcdefghijklmnopqrstuv", CreatedAt: at(1),
		}
		require.NoError(t, b.s.UserInsert(b.ctx, u))
		got, err := b.s.UserGet(b.ctx, o.ID, u.ID)
		require.NoError(t, err)
		require.Equal(t, u, got)
		require.Equal(t, norm(at(1)), got.CreatedAt)
	})

	t.Run("GetByEmailIgnoresCase", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u := &store.User{ID: store.NewID(), OrgID: o.ID, Email: "Ada@Example.com", Role: store.RoleMember}
		require.NoError(t, b.s.UserInsert(b.ctx, u))
		got, err := b.s.UserGetByEmail(b.ctx, "ada@EXAMPLE.com")
		require.NoError(t, err)
		require.Equal(t, u.ID, got.ID)
		require.Equal(t, "Ada@Example.com", got.Email, "the e-mail keeps its case")

		_, err = b.s.UserGetByEmail(b.ctx, "nobody@example.com")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("DuplicateEmailConflict", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o1, o2 := b.org(), b.org()
		require.NoError(t, b.s.UserInsert(b.ctx, &store.User{ID: store.NewID(), OrgID: o1.ID, Email: "ada@example.com", Role: store.RoleMember}))
		err := b.s.UserInsert(b.ctx, &store.User{ID: store.NewID(), OrgID: o2.ID, Email: "ADA@example.com", Role: store.RoleMember})
		require.ErrorIs(t, err, store.ErrConflict, "e-mails are unique across the hub, ignoring case")
	})

	t.Run("DuplicateIDConflict", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u := b.user(o.ID)
		err := b.s.UserInsert(b.ctx, &store.User{ID: u.ID, OrgID: o.ID, Email: "other@example.com", Role: store.RoleMember})
		require.ErrorIs(t, err, store.ErrConflict)
	})

	t.Run("InsertMissingOrgNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		err := b.s.UserInsert(b.ctx, &store.User{ID: store.NewID(), OrgID: store.NewID(), Email: "a@example.com", Role: store.RoleMember})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("ListOrderedByEmail", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o, other := b.org(), b.org()
		for _, e := range []string{"carol@example.com", "Alice@example.com", "bob@example.com"} {
			require.NoError(t, b.s.UserInsert(b.ctx, &store.User{ID: store.NewID(), OrgID: o.ID, Email: e, Role: store.RoleMember}))
		}
		b.user(other.ID)
		got, err := b.s.UserList(b.ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"Alice@example.com", "bob@example.com", "carol@example.com"},
			ids(got, func(u *store.User) string { return u.Email }))
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u := b.user(o.ID)
		u.Name, u.Role, u.PasswordHash = "New Name", store.RoleAdmin, "hash2"
		require.NoError(t, b.s.UserUpdate(b.ctx, u))
		got, err := b.s.UserGet(b.ctx, o.ID, u.ID)
		require.NoError(t, err)
		require.Equal(t, u, got)

		err = b.s.UserUpdate(b.ctx, &store.User{ID: store.NewID(), OrgID: o.ID, Role: store.RoleMember})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("DeleteRemovesKeysSessionsNotifications", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u := b.user(o.ID)
		keyHash, sessHash := []byte("key-hash-"+u.ID), []byte("session-hash-"+u.ID)
		require.NoError(t, b.s.APIKeyInsert(b.ctx, &store.APIKey{ID: store.NewID(), OrgID: o.ID, UserID: u.ID, Hash: keyHash}))
		require.NoError(t, b.s.WebSessionInsert(b.ctx, &store.WebSession{Hash: sessHash, UserID: u.ID, OrgID: o.ID, CSRFToken: "c", ExpiresAt: at(60)}))
		require.NoError(t, b.s.NotificationInsert(b.ctx, &store.Notification{ID: store.NewID(), OrgID: o.ID, UserID: u.ID, Kind: "export_ready"}))

		require.NoError(t, b.s.UserDelete(b.ctx, o.ID, u.ID))
		_, err := b.s.UserGet(b.ctx, o.ID, u.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = b.s.APIKeyGetByHash(b.ctx, keyHash)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = b.s.WebSessionGetByHash(b.ctx, sessHash)
		require.ErrorIs(t, err, store.ErrNotFound)
		n, err := b.s.NotificationList(b.ctx, u.ID, 0)
		require.NoError(t, err)
		require.Empty(t, n)

		require.ErrorIs(t, b.s.UserDelete(b.ctx, o.ID, u.ID), store.ErrNotFound, "second delete")
	})
}
