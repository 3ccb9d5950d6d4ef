package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

func runIDs(rs []*store.Run) []string {
	return ids(rs, func(r *store.Run) string { return r.ID })
}

func testRun(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("InsertGet", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		u := b.user(o.ID)
		p := b.project(o.ID)
		pl := b.plugin(o.ID, "coco")
		r := &store.Run{
			ID: store.NewID(), OrgID: o.ID, ProjectID: p.ID, PluginID: pl.ID, UserID: u.ID,
			Status: store.RunQueued, Message: "waiting", ConfigJSON: `{"z":1,"a":2}`, Stages: []string{"s1", "Complete"},
			Batches: []string{"b1", "b2"}, InstanceID: "inst", NodeID: "hub-1:7420", NumTasks: 42, Retries: 3, Attempt: 2,
			Deadline: ptr(at(30)), CreatedAt: at(0),
		}
		require.NoError(t, b.s.RunInsert(b.ctx, r))
		want := *r
		want.Deadline = normPtr(r.Deadline)
		got, err := b.s.RunGet(b.ctx, o.ID, r.ID)
		require.NoError(t, err)
		require.Equal(t, &want, got)
		got, err = b.s.RunGetByID(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, &want, got)

		require.ErrorIs(t, b.s.RunInsert(b.ctx, &store.Run{ID: r.ID, OrgID: o.ID, ProjectID: p.ID, PluginID: pl.ID}),
			store.ErrConflict)
		_, err = b.s.RunGetByID(b.ctx, store.NewID())
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("InsertDefaults", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		r := &store.Run{ID: store.NewID(), OrgID: o.ID, ProjectID: p.ID, PluginID: store.NewID()}
		require.NoError(t, b.s.RunInsert(b.ctx, r))
		got, err := b.s.RunGet(b.ctx, o.ID, r.ID)
		require.NoError(t, err)
		require.Equal(t, store.RunQueued, got.Status)
		require.Nil(t, got.Stages)
		require.Nil(t, got.Batches)
		require.Nil(t, got.Deadline)
		require.Nil(t, got.DispatchedAt)
		require.False(t, got.CreatedAt.IsZero())
		require.Equal(t, 0, got.Retries)
		require.Equal(t, 1, got.Attempt, "a run starts at attempt 1")
		require.Equal(t, 1, r.Attempt, "RunInsert writes the default into the run")
	})

	t.Run("InsertProjectOfOtherOrgNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o, other := b.org(), b.org()
		p := b.project(other.ID)
		err := b.s.RunInsert(b.ctx, &store.Run{ID: store.NewID(), OrgID: o.ID, ProjectID: p.ID, PluginID: store.NewID()})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("ListNewestFirstFiltered", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o, other := b.org(), b.org()
		p1, p2 := b.project(o.ID), b.project(o.ID)
		plA, plB := b.plugin(o.ID, "a"), b.plugin(o.ID, "b")
		r0 := b.run(o.ID, p1.ID, plA.ID, at(0))
		r1 := b.run(o.ID, p2.ID, plA.ID, at(1))
		r2 := b.run(o.ID, p1.ID, plB.ID, at(2))
		r3 := b.run(o.ID, p1.ID, plA.ID, at(3))
		b.run(other.ID, b.project(other.ID).ID, plA.ID, at(4))

		cases := []struct {
			name   string
			params store.RunListParams
			want   []string
		}{
			{"Org", store.RunListParams{OrgID: o.ID}, []string{r3.ID, r2.ID, r1.ID, r0.ID}},
			{"Project", store.RunListParams{OrgID: o.ID, ProjectID: p1.ID}, []string{r3.ID, r2.ID, r0.ID}},
			{"Plugin", store.RunListParams{OrgID: o.ID, PluginID: plA.ID}, []string{r3.ID, r1.ID, r0.ID}},
			{"ProjectAndPlugin", store.RunListParams{OrgID: o.ID, ProjectID: p1.ID, PluginID: plA.ID}, []string{r3.ID, r0.ID}},
			{"Limit", store.RunListParams{OrgID: o.ID, Limit: 2}, []string{r3.ID, r2.ID}},
			{"OtherOrgProject", store.RunListParams{OrgID: other.ID, ProjectID: p1.ID}, []string{}},
		}
		for _, c := range cases {
			got, err := b.s.RunList(b.ctx, &c.params)
			require.NoError(t, err)
			require.Equal(t, c.want, runIDs(got), c.name)
		}
	})

	t.Run("ListActiveOldestFirst", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o, other := b.org(), b.org()
		p, op := b.project(o.ID), b.project(other.ID)
		r2 := b.run(o.ID, p.ID, store.NewID(), at(2))
		r0 := b.run(other.ID, op.ID, store.NewID(), at(0))
		done := b.run(o.ID, p.ID, store.NewID(), at(1))
		r3 := b.run(o.ID, p.ID, store.NewID(), at(3))
		_, err := b.s.RunSetStatus(b.ctx, &store.RunSetStatusParams{ID: done.ID, Status: store.RunFailed})
		require.NoError(t, err)
		_, err = b.s.RunSetStatus(b.ctx, &store.RunSetStatusParams{ID: r3.ID, Status: store.RunRunning})
		require.NoError(t, err)

		got, err := b.s.RunListActive(b.ctx)
		require.NoError(t, err)
		require.Equal(t, []string{r0.ID, r2.ID, r3.ID}, runIDs(got))
	})

	t.Run("SetStatusTransitions", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		r := b.run(o.ID, p.ID, store.NewID(), at(0))

		got, err := b.s.RunSetStatus(b.ctx, &store.RunSetStatusParams{
			ID: r.ID, From: []store.RunStatus{store.RunQueued}, Status: store.RunDispatched,
			InstanceID: "inst-1", Deadline: ptr(at(60)), At: at(1),
		})
		require.NoError(t, err)
		require.Equal(t, store.RunDispatched, got.Status)
		require.Equal(t, "inst-1", got.InstanceID)
		require.Equal(t, normPtr(ptr(at(60))), got.Deadline)
		require.Equal(t, normPtr(ptr(at(1))), got.DispatchedAt)
		require.Nil(t, got.StartedAt)
		require.Nil(t, got.EndedAt)

		_, err = b.s.RunSetStatus(b.ctx, &store.RunSetStatusParams{
			ID: r.ID, From: []store.RunStatus{store.RunQueued}, Status: store.RunDispatched, InstanceID: "inst-2",
		})
		require.ErrorIs(t, err, store.ErrConflict, "From does not hold")
		again, err := b.s.RunGetByID(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, got, again, "a refused transition changes nothing")

		got, err = b.s.RunSetStatus(b.ctx, &store.RunSetStatusParams{
			ID: r.ID, From: []store.RunStatus{store.RunQueued, store.RunDispatched}, Status: store.RunRunning,
			NumTasks: 120, At: at(2),
		})
		require.NoError(t, err)
		require.Equal(t, store.RunRunning, got.Status)
		require.Equal(t, int64(120), got.NumTasks)
		require.Equal(t, normPtr(ptr(at(2))), got.StartedAt)
		require.Equal(t, normPtr(ptr(at(1))), got.DispatchedAt, "earlier timestamps stay")
		require.Equal(t, "inst-1", got.InstanceID, "zero fields of the params change nothing")

		got, err = b.s.RunSetStatus(b.ctx, &store.RunSetStatusParams{
			ID: r.ID, From: []store.RunStatus{store.RunRunning, store.RunUploaded}, Status: store.RunSucceeded,
			ExportID: "exp-1", Message: "done", At: at(3),
		})
		require.NoError(t, err)
		require.Equal(t, store.RunSucceeded, got.Status)
		require.Equal(t, "exp-1", got.ExportID)
		require.Equal(t, "done", got.Message)
		require.Equal(t, normPtr(ptr(at(3))), got.EndedAt)
		stored, err := b.s.RunGet(b.ctx, o.ID, r.ID)
		require.NoError(t, err)
		require.Equal(t, got, stored, "the returned run is what is stored")

		_, err = b.s.RunSetStatus(b.ctx, &store.RunSetStatusParams{
			ID: r.ID, From: []store.RunStatus{store.RunRunning}, Status: store.RunFailed,
		})
		require.ErrorIs(t, err, store.ErrConflict, "a final run stays final")
	})

	t.Run("SetStatusRetry", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		r := &store.Run{ID: store.NewID(), OrgID: o.ID, ProjectID: p.ID, PluginID: store.NewID(), Retries: 2, NodeID: "hub-1"}
		require.NoError(t, b.s.RunInsert(b.ctx, r))
		_, err := b.s.RunSetStatus(b.ctx, &store.RunSetStatusParams{
			ID: r.ID, Status: store.RunRunning, InstanceID: "inst-1", At: at(1),
		})
		require.NoError(t, err)

		// The instance was lost: the run goes back to queued for its
		// second attempt, with a new deadline, held by another node.
		active := []store.RunStatus{store.RunDispatched, store.RunRunning, store.RunUploaded}
		got, err := b.s.RunSetStatus(b.ctx, &store.RunSetStatusParams{
			ID: r.ID, From: active, FromAttempt: 1, Status: store.RunQueued,
			Attempt: 2, Deadline: ptr(at(90)), NodeID: "hub-2", At: at(2),
		})
		require.NoError(t, err)
		require.Equal(t, store.RunQueued, got.Status)
		require.Equal(t, 2, got.Attempt)
		require.Equal(t, 2, got.Retries, "Retries stays what the user asked for")
		require.Equal(t, "hub-2", got.NodeID)
		require.Equal(t, normPtr(ptr(at(90))), got.Deadline)
		require.Equal(t, "inst-1", got.InstanceID, "the lost instance stays until the next dispatch")
		require.Nil(t, got.EndedAt)

		// Whoever still acts on attempt 1 (another node sweeping the same
		// run, the previous holder) changes nothing.
		_, err = b.s.RunSetStatus(b.ctx, &store.RunSetStatusParams{
			ID: r.ID, FromAttempt: 1, Status: store.RunLost, Message: "late",
		})
		require.ErrorIs(t, err, store.ErrConflict)
		require.ErrorContains(t, err, "run is at attempt 2, not 1")
		_, err = b.s.RunSetStatus(b.ctx, &store.RunSetStatusParams{
			ID: r.ID, From: active, FromAttempt: 2, Status: store.RunQueued, Attempt: 3,
		})
		require.ErrorIs(t, err, store.ErrConflict, "the status condition still holds with the attempt's")
		require.ErrorContains(t, err, "run is queued, not one of")
		again, err := b.s.RunGetByID(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, got, again, "refused changes change nothing")

		got, err = b.s.RunSetStatus(b.ctx, &store.RunSetStatusParams{
			ID: r.ID, FromAttempt: 2, Status: store.RunSucceeded, At: at(3),
		})
		require.NoError(t, err)
		require.Equal(t, store.RunSucceeded, got.Status)
		require.Equal(t, 2, got.Attempt, "a zero Attempt changes nothing")
	})

	t.Run("SetStatusAnyFromSetsNow", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		r := b.run(o.ID, p.ID, store.NewID(), at(0))
		before := time.Now().Add(-time.Second)
		got, err := b.s.RunSetStatus(b.ctx, &store.RunSetStatusParams{ID: r.ID, Status: store.RunCancelled})
		require.NoError(t, err)
		require.Equal(t, store.RunCancelled, got.Status)
		require.NotNil(t, got.EndedAt)
		require.WithinRange(t, *got.EndedAt, before, time.Now().Add(time.Second), "a zero At means now")
	})

	t.Run("SetStatusErrors", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		r := b.run(o.ID, p.ID, store.NewID(), at(0))
		_, err := b.s.RunSetStatus(b.ctx, &store.RunSetStatusParams{ID: store.NewID(), Status: store.RunRunning})
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = b.s.RunSetStatus(b.ctx, &store.RunSetStatusParams{ID: store.NewID(), From: []store.RunStatus{store.RunQueued},
			Status: store.RunRunning})
		require.ErrorIs(t, err, store.ErrNotFound, "a missing run with From")
		_, err = b.s.RunSetStatus(b.ctx, &store.RunSetStatusParams{ID: r.ID, Status: "paused"})
		require.ErrorContains(t, err, `"paused"`)
	})
}
