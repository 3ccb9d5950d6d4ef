package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

func testNotification(t *testing.T, newStore func(t *testing.T) store.Store) {
	// notes inserts n notifications for u, created at at(0) .. at(n-1),
	// and returns their ids newest first.
	notes := func(b *bundle, u *store.User, n int) []string {
		var out []string
		for i := range n {
			x := &store.Notification{ID: store.NewID(), OrgID: u.OrgID, UserID: u.ID, Kind: "export_ready",
				Title: "Your export is ready", Body: "b", Link: "/exports/x", RunID: "r", ExportID: "e", CreatedAt: at(i)}
			require.NoError(b.t, b.s.NotificationInsert(b.ctx, x))
			out = append([]string{x.ID}, out...)
		}
		return out
	}
	noteIDs := func(ns []*store.Notification) []string {
		return ids(ns, func(n *store.Notification) string { return n.ID })
	}

	t.Run("InsertList", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u, other := b.user(o.ID), b.user(o.ID)
		want := notes(b, u, 3)
		notes(b, other, 2)

		got, err := b.s.NotificationList(b.ctx, u.ID, 0)
		require.NoError(t, err)
		require.Equal(t, want, noteIDs(got), "newest first, only the user's")
		require.Equal(t, &store.Notification{ID: want[2], OrgID: o.ID, UserID: u.ID, Kind: "export_ready",
			Title: "Your export is ready", Body: "b", Link: "/exports/x", RunID: "r", ExportID: "e", CreatedAt: norm(at(0))}, got[2])
		got, err = b.s.NotificationList(b.ctx, u.ID, 2)
		require.NoError(t, err)
		require.Equal(t, want[:2], noteIDs(got), "limit")

		err = b.s.NotificationInsert(b.ctx, &store.Notification{ID: store.NewID(), OrgID: o.ID, UserID: store.NewID(), Kind: "k"})
		require.ErrorIs(t, err, store.ErrNotFound, "a missing user")
		err = b.s.NotificationInsert(b.ctx, &store.Notification{ID: want[0], OrgID: o.ID, UserID: u.ID, Kind: "k"})
		require.ErrorIs(t, err, store.ErrConflict)
	})

	t.Run("MarkReadSome", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u, other := b.user(o.ID), b.user(o.ID)
		mine := notes(b, u, 4)
		theirs := notes(b, other, 1)

		require.NoError(t, b.s.NotificationMarkRead(b.ctx, u.ID, []string{mine[0], mine[2], theirs[0], store.NewID()}, at(10)))
		n, err := b.s.NotificationUnreadCount(b.ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		n, err = b.s.NotificationUnreadCount(b.ctx, other.ID)
		require.NoError(t, err)
		require.Equal(t, 1, n, "another user's notification is not touched")

		require.NoError(t, b.s.NotificationMarkRead(b.ctx, u.ID, []string{mine[0], mine[1]}, at(20)))
		got, err := b.s.NotificationList(b.ctx, u.ID, 0)
		require.NoError(t, err)
		require.Equal(t, normPtr(ptr(at(10))), got[0].ReadAt, "an earlier ReadAt is kept")
		require.Equal(t, normPtr(ptr(at(20))), got[1].ReadAt)
		require.Equal(t, normPtr(ptr(at(10))), got[2].ReadAt)
		require.Nil(t, got[3].ReadAt)
	})

	t.Run("MarkReadAll", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u, other := b.user(o.ID), b.user(o.ID)
		notes(b, u, 3)
		notes(b, other, 2)
		require.NoError(t, b.s.NotificationMarkRead(b.ctx, u.ID, nil, at(5)))
		n, err := b.s.NotificationUnreadCount(b.ctx, u.ID)
		require.NoError(t, err)
		require.Zero(t, n)
		n, err = b.s.NotificationUnreadCount(b.ctx, other.ID)
		require.NoError(t, err)
		require.Equal(t, 2, n)
	})
}
