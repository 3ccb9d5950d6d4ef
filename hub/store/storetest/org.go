package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

func testOrg(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("InsertGet", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := &store.Org{
			ID: store.NewID(), Name: "Acme", WebhookURL: "https://hooks.example.com/x",
			WebhookSecretEnc: []byte{0, 1, 2, 0xff}, CreatedAt: at(0),
		}
		require.NoError(t, b.s.OrgInsert(b.ctx, o))
		require.Equal(t, norm(at(0)), o.CreatedAt, "insert writes back the stored CreatedAt")

		got, err := b.s.OrgGet(b.ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, o, got)
	})

	t.Run("InsertSetsCreatedAt", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		before := time.Now().Add(-time.Second)
		o := &store.Org{ID: store.NewID(), Name: "Acme"}
		require.NoError(t, b.s.OrgInsert(b.ctx, o))
		require.WithinRange(t, o.CreatedAt, before, time.Now().Add(time.Second))
		require.Equal(t, time.UTC, o.CreatedAt.Location())

		got, err := b.s.OrgGet(b.ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, o.CreatedAt, got.CreatedAt)
		require.Nil(t, got.WebhookSecretEnc)
	})

	t.Run("InsertConflict", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		err := b.s.OrgInsert(b.ctx, &store.Org{ID: o.ID, Name: "Other"})
		require.ErrorIs(t, err, store.ErrConflict)
	})

	t.Run("GetNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		_, err := b.s.OrgGet(b.ctx, store.NewID())
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("ListOrderedByCreation", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		var want []string
		for _, i := range []int{3, 1, 2} {
			o := &store.Org{ID: store.NewID(), Name: "Org", CreatedAt: at(i)}
			require.NoError(t, b.s.OrgInsert(b.ctx, o))
			want = append(want, o.ID)
		}
		want = []string{want[1], want[2], want[0]}
		got, err := b.s.OrgList(b.ctx)
		require.NoError(t, err)
		require.Equal(t, want, ids(got, func(o *store.Org) string { return o.ID }))
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		o.Name, o.WebhookURL, o.WebhookSecretEnc = "Renamed", "https://hooks.example.com/y", []byte("sealed")
		require.NoError(t, b.s.OrgUpdate(b.ctx, o))
		got, err := b.s.OrgGet(b.ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, o, got)
	})

	t.Run("UpdateNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		err := b.s.OrgUpdate(b.ctx, &store.Org{ID: store.NewID(), Name: "x"})
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}
