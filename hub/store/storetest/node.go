package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

// node registers a node with a lease of an hour.
func (b *bundle) node(id string) *store.NodeLeaseParams {
	b.t.Helper()
	p := &store.NodeLeaseParams{ID: id, Incarnation: store.NewID(), Lease: time.Hour}
	_, err := b.s.NodeRegister(b.ctx, p)
	require.NoError(b.t, err)
	return p
}

// instance records an instance of plugin pl on node nodeID, connected at
// the given time.
func (b *bundle) instance(nodeID string, pl *store.Plugin, id string, connected time.Time) *store.Instance {
	b.t.Helper()
	i := &store.Instance{
		NodeID: nodeID, ID: id, PluginID: pl.ID, OrgID: pl.OrgID, Connector: store.ConnectorWS,
		RemoteAddr: "127.0.0.1:5000", ConnectedAt: connected, LastHeartbeat: connected,
	}
	require.NoError(b.t, b.s.InstanceUpsert(b.ctx, i))
	return i
}

// expiredNode registers a node whose lease has ended.
func (b *bundle) expiredNode(id string) *store.NodeLeaseParams {
	b.t.Helper()
	p := &store.NodeLeaseParams{ID: id, Incarnation: store.NewID(), Lease: time.Millisecond}
	_, err := b.s.NodeRegister(b.ctx, p)
	require.NoError(b.t, err)
	require.Eventually(b.t, func() bool {
		list, err := b.s.NodeList(b.ctx)
		require.NoError(b.t, err)
		for _, n := range list {
			if n.ID == id {
				return n.Expired
			}
		}
		return false
	}, 5*time.Second, time.Millisecond, "node %s's lease of 1ms ends", id)
	return p
}

func nodeIDs(ns []*store.Node) []string {
	return ids(ns, func(n *store.Node) string { return n.ID })
}

func instanceIDs(is []*store.Instance) []string {
	return ids(is, func(i *store.Instance) string { return i.ID })
}

func testNode(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("RegisterRenewList", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		before := time.Now().Add(-time.Minute)
		a := &store.NodeLeaseParams{ID: "hub-a:7420", Incarnation: "one", Lease: time.Hour}
		prev, err := b.s.NodeRegister(b.ctx, a)
		require.NoError(t, err)
		require.Nil(t, prev, "a new node replaces no row")
		forever := &store.NodeLeaseParams{ID: "hub-0", Incarnation: "x"}
		_, err = b.s.NodeRegister(b.ctx, forever)
		require.NoError(t, err)

		list, err := b.s.NodeList(b.ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"hub-0", "hub-a:7420"}, nodeIDs(list))
		require.Nil(t, list[0].ExpiresAt, "a lease of 0 never ends")
		require.False(t, list[0].Expired)
		got := list[1]
		require.Equal(t, "one", got.Incarnation)
		require.False(t, got.Expired)
		require.WithinRange(t, got.StartedAt, before, time.Now().Add(time.Minute))
		require.NotNil(t, got.ExpiresAt)
		require.InDelta(t, time.Hour.Seconds(), got.ExpiresAt.Sub(got.LastSeen).Seconds(), 1, "the lease ends Lease after LastSeen")

		require.NoError(t, b.s.NodeRenew(b.ctx, a))
		require.ErrorIs(t, b.s.NodeRenew(b.ctx, &store.NodeLeaseParams{ID: a.ID, Incarnation: "two", Lease: time.Hour}),
			store.ErrNotFound, "another incarnation cannot renew")
		require.ErrorIs(t, b.s.NodeRenew(b.ctx, &store.NodeLeaseParams{ID: "missing", Incarnation: "one", Lease: time.Hour}),
			store.ErrNotFound)

		again := &store.NodeLeaseParams{ID: a.ID, Incarnation: "two", Lease: time.Hour}
		prev, err = b.s.NodeRegister(b.ctx, again)
		require.NoError(t, err)
		require.NotNil(t, prev)
		require.Equal(t, "one", prev.Incarnation, "a restart replaces the previous incarnation's row")
		require.ErrorIs(t, b.s.NodeRenew(b.ctx, a), store.ErrNotFound, "the old incarnation lost its lease")
		require.NoError(t, b.s.NodeRenew(b.ctx, again))
	})

	t.Run("ExpiryAndDeleteExpired", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		pl := b.plugin(o.ID, "p")
		live := b.node("live")
		b.instance(live.ID, pl, "i-live", at(0))
		dead := b.expiredNode("dead")
		b.instance(dead.ID, pl, "i-dead", at(1))

		list, err := b.s.InstanceList(b.ctx, pl.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"i-live"}, instanceIDs(list), "instances of a node whose lease ended are not listed")

		gone, err := b.s.NodeDeleteExpired(b.ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"dead"}, gone)
		nodes, err := b.s.NodeList(b.ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"live"}, nodeIDs(nodes))
		gone, err = b.s.NodeDeleteExpired(b.ctx)
		require.NoError(t, err)
		require.Empty(t, gone)

		// The dead node's instance went with it: registering the id
		// again lists nothing of it.
		_, err = b.s.NodeRegister(b.ctx, &store.NodeLeaseParams{ID: "dead", Incarnation: "new", Lease: time.Hour})
		require.NoError(t, err)
		list, err = b.s.InstanceList(b.ctx, pl.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"i-live"}, instanceIDs(list))
	})

	t.Run("DeleteChecksIncarnation", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		pl := b.plugin(o.ID, "p")
		n := b.node("n")
		b.instance(n.ID, pl, "i1", at(0))
		require.NoError(t, b.s.NodeDelete(b.ctx, n.ID, "someone else"))
		nodes, err := b.s.NodeList(b.ctx)
		require.NoError(t, err)
		require.Len(t, nodes, 1, "another incarnation's row stays")
		require.NoError(t, b.s.NodeDelete(b.ctx, n.ID, n.Incarnation))
		nodes, err = b.s.NodeList(b.ctx)
		require.NoError(t, err)
		require.Empty(t, nodes)
		list, err := b.s.InstanceList(b.ctx, pl.ID)
		require.NoError(t, err)
		require.Empty(t, list, "a deleted node's instances go with it")
		require.NoError(t, b.s.NodeDelete(b.ctx, n.ID, n.Incarnation), "deleting a missing node")
	})

	t.Run("RegisterForgetsInstances", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		pl := b.plugin(o.ID, "p")
		n := b.node("n")
		other := b.node("other")
		b.instance(n.ID, pl, "i1", at(0))
		b.instance(other.ID, pl, "i2", at(1))
		_, err := b.s.NodeRegister(b.ctx, &store.NodeLeaseParams{ID: n.ID, Incarnation: "restarted", Lease: time.Hour})
		require.NoError(t, err)
		list, err := b.s.InstanceList(b.ctx, pl.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"i2"}, instanceIDs(list), "a restarted node's old instances are gone, others stay")
	})
}

func testInstance(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("UpsertListHeartbeatDelete", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		pl, other := b.plugin(o.ID, "p"), b.plugin(o.ID, "q")
		n1, n2 := b.node("n1"), b.node("n2")
		i2 := b.instance(n2.ID, pl, "sock-2", at(2))
		i1 := b.instance(n1.ID, pl, "sock-1", at(1))
		i0 := b.instance(n2.ID, pl, "sock-0", at(1))
		b.instance(n1.ID, other, "sock-q", at(0))

		list, err := b.s.InstanceList(b.ctx, pl.ID)
		require.NoError(t, err)
		want := func(i *store.Instance) *store.Instance {
			w := *i
			w.ConnectedAt, w.LastHeartbeat = norm(i.ConnectedAt), norm(i.LastHeartbeat)
			return &w
		}
		require.Equal(t, []*store.Instance{want(i1), want(i0), want(i2)}, list,
			"oldest connection first, ties by node then id")

		require.NoError(t, b.s.InstanceHeartbeat(b.ctx, n1.ID, i1.ID, at(9)))
		i1.RemoteAddr = "10.0.0.1:1234"
		i1.LastHeartbeat = at(10)
		require.NoError(t, b.s.InstanceUpsert(b.ctx, i1))
		list, err = b.s.InstanceList(b.ctx, pl.ID)
		require.NoError(t, err)
		require.Equal(t, "10.0.0.1:1234", list[0].RemoteAddr)
		require.Equal(t, norm(at(10)), list[0].LastHeartbeat)
		require.NoError(t, b.s.InstanceHeartbeat(b.ctx, n1.ID, i1.ID, at(11)))
		list, err = b.s.InstanceList(b.ctx, pl.ID)
		require.NoError(t, err)
		require.Equal(t, norm(at(11)), list[0].LastHeartbeat)

		require.ErrorIs(t, b.s.InstanceHeartbeat(b.ctx, n2.ID, i1.ID, at(12)), store.ErrNotFound, "the instance is on another node")
		require.NoError(t, b.s.InstanceDelete(b.ctx, n1.ID, i1.ID))
		require.NoError(t, b.s.InstanceDelete(b.ctx, n1.ID, i1.ID), "deleting a missing instance")
		list, err = b.s.InstanceList(b.ctx, pl.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"sock-0", "sock-2"}, instanceIDs(list))
	})

	t.Run("UpsertMissingParents", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		pl := b.plugin(o.ID, "p")
		n := b.node("n")
		err := b.s.InstanceUpsert(b.ctx, &store.Instance{NodeID: "missing", ID: "i", PluginID: pl.ID, OrgID: o.ID})
		require.ErrorIs(t, err, store.ErrNotFound, "a missing node")
		err = b.s.InstanceUpsert(b.ctx, &store.Instance{NodeID: n.ID, ID: "i", PluginID: store.NewID(), OrgID: o.ID})
		require.ErrorIs(t, err, store.ErrNotFound, "a missing plugin")
	})

	t.Run("PluginDeleteForgetsInstances", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		pl := b.plugin(o.ID, "p")
		n := b.node("n")
		b.instance(n.ID, pl, "i", at(0))
		require.NoError(t, b.s.PluginDelete(b.ctx, o.ID, pl.ID))
		list, err := b.s.InstanceList(b.ctx, pl.ID)
		require.NoError(t, err)
		require.Empty(t, list)
	})
}

func testRunDispatch(t *testing.T, newStore func(t *testing.T) store.Store) {
	type dispatchBundle struct {
		*bundle
		org     *store.Org
		project *store.Project
		plugin  *store.Plugin
	}
	setupDispatch := func(t *testing.T) *dispatchBundle {
		t.Helper()
		b := setup(t, newStore)
		o := b.org()
		return &dispatchBundle{bundle: b, org: o, project: b.project(o.ID), plugin: b.plugin(o.ID, "p")}
	}
	queued := func(db *dispatchBundle) *store.Run {
		db.t.Helper()
		r := &store.Run{ID: store.NewID(), OrgID: db.org.ID, ProjectID: db.project.ID, PluginID: db.plugin.ID, NodeID: "creator"}
		require.NoError(db.t, db.s.RunInsert(db.ctx, r))
		return r
	}
	dispatch := func(db *dispatchBundle, r *store.Run) *store.RunDispatchResult {
		db.t.Helper()
		res, err := db.s.RunDispatch(db.ctx, &store.RunDispatchParams{RunID: r.ID, PluginID: db.plugin.ID})
		require.NoError(db.t, err)
		return res
	}
	end := func(db *dispatchBundle, r *store.Run) {
		db.t.Helper()
		_, err := db.s.RunSetStatus(db.ctx, &store.RunSetStatusParams{ID: r.ID, Status: store.RunSucceeded})
		require.NoError(db.t, err)
	}

	t.Run("Fields", func(t *testing.T) {
		t.Parallel()
		db := setupDispatch(t)
		n := db.node("n1")
		db.instance(n.ID, db.plugin, "sock", at(0))
		r := queued(db)
		res, err := db.s.RunDispatch(db.ctx, &store.RunDispatchParams{RunID: r.ID, PluginID: db.plugin.ID, At: at(5)})
		require.NoError(t, err)
		require.Equal(t, store.RunDispatched, res.Run.Status)
		require.Equal(t, "sock", res.Run.InstanceID)
		require.Equal(t, "n1", res.Run.NodeID, "the run is held by the instance's node")
		require.Equal(t, normPtr(ptr(at(5))), res.Run.DispatchedAt)
		require.Equal(t, "sock", res.Instance.ID)
		require.Equal(t, "n1", res.Instance.NodeID)
		require.Equal(t, 1, res.Instance.Runs, "the instance's runs count this one")
		stored, err := db.s.RunGetByID(db.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, res.Run, stored)
		list, err := db.s.InstanceList(db.ctx, db.plugin.ID)
		require.NoError(t, err)
		require.Equal(t, 1, list[0].Runs)
		end(db, r)
		list, err = db.s.InstanceList(db.ctx, db.plugin.ID)
		require.NoError(t, err)
		require.Equal(t, 0, list[0].Runs, "an ended run no longer counts")
	})

	t.Run("TakenOnce", func(t *testing.T) {
		t.Parallel()
		db := setupDispatch(t)
		n := db.node("n1")
		db.instance(n.ID, db.plugin, "sock", at(0))
		r := queued(db)
		dispatch(db, r)
		take := func(node string) error {
			_, err := db.s.RunSetStatus(db.ctx, &store.RunSetStatusParams{
				ID: r.ID, From: []store.RunStatus{store.RunDispatched}, FromAttempt: 1, FromNode: node,
				NotTaken: true, Take: true, Status: store.RunDispatched,
			})
			return err
		}
		err := take("n2")
		require.ErrorIs(t, err, store.ErrConflict, "another node's run")
		require.ErrorContains(t, err, "on another node, or was taken")
		require.NoError(t, take("n1"), "the holder takes it")
		require.ErrorIs(t, take("n1"), store.ErrConflict, "taken once only: the dispatcher can no longer end it")

		// Back to queued and dispatched again: the new dispatch is not
		// taken yet.
		_, err = db.s.RunSetStatus(db.ctx, &store.RunSetStatusParams{ID: r.ID, From: []store.RunStatus{store.RunDispatched}, Status: store.RunQueued})
		require.NoError(t, err)
		dispatch(db, r)
		require.NoError(t, take("n1"))
	})

	t.Run("LeastBusyThenRoundRobin", func(t *testing.T) {
		t.Parallel()
		db := setupDispatch(t)
		n1, n2 := db.node("n1"), db.node("n2")
		db.instance(n1.ID, db.plugin, "a", at(0))
		db.instance(n2.ID, db.plugin, "b", at(1))
		var got []string
		for range 4 {
			r := queued(db)
			got = append(got, dispatch(db, r).Instance.ID)
			end(db, r)
		}
		require.Equal(t, []string{"a", "b", "a", "b"}, got, "idle instances take turns")

		r1, r2 := queued(db), queued(db)
		require.Equal(t, "a", dispatch(db, r1).Instance.ID)
		require.Equal(t, "b", dispatch(db, r2).Instance.ID)
		end(db, r2)
		r3 := queued(db)
		res := dispatch(db, r3)
		require.Equal(t, "b", res.Instance.ID, "the least busy instance, though it had the latest run")
		require.Equal(t, 1, res.Instance.Runs)
		r4 := queued(db)
		require.Equal(t, "a", dispatch(db, r4).Instance.ID, "equally busy: the one whose last run is older")
	})

	t.Run("Errors", func(t *testing.T) {
		t.Parallel()
		db := setupDispatch(t)
		r := queued(db)
		_, err := db.s.RunDispatch(db.ctx, &store.RunDispatchParams{RunID: r.ID, PluginID: db.plugin.ID})
		require.ErrorIs(t, err, store.ErrNotFound, "no instance")

		dead := db.expiredNode("dead")
		db.instance(dead.ID, db.plugin, "ghost", at(0))
		_, err = db.s.RunDispatch(db.ctx, &store.RunDispatchParams{RunID: r.ID, PluginID: db.plugin.ID})
		require.ErrorIs(t, err, store.ErrNotFound, "only an instance of a node whose lease ended")
		stored, err := db.s.RunGetByID(db.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, store.RunQueued, stored.Status, "a failed dispatch changes nothing")
		require.Equal(t, "creator", stored.NodeID)

		n := db.node("n")
		db.instance(n.ID, db.plugin, "sock", at(1))
		_, err = db.s.RunSetStatus(db.ctx, &store.RunSetStatusParams{ID: r.ID, Status: store.RunCancelled})
		require.NoError(t, err)
		_, err = db.s.RunDispatch(db.ctx, &store.RunDispatchParams{RunID: r.ID, PluginID: db.plugin.ID})
		require.ErrorIs(t, err, store.ErrConflict, "a run that is no longer queued")
		list, err := db.s.InstanceList(db.ctx, db.plugin.ID)
		require.NoError(t, err)
		require.Equal(t, 0, list[0].Runs)
	})

	t.Run("RequeueAndNodeChange", func(t *testing.T) {
		t.Parallel()
		db := setupDispatch(t)
		n := db.node("n")
		db.instance(n.ID, db.plugin, "sock", at(0))
		r := queued(db)
		dispatch(db, r)
		back, err := db.s.RunSetStatus(db.ctx, &store.RunSetStatusParams{
			ID: r.ID, From: []store.RunStatus{store.RunDispatched}, Status: store.RunQueued, NodeID: "creator",
		})
		require.NoError(t, err)
		require.Equal(t, "creator", back.NodeID, "RunSetStatus moves the run to another node")
		list, err := db.s.InstanceList(db.ctx, db.plugin.ID)
		require.NoError(t, err)
		require.Equal(t, 0, list[0].Runs, "a queued run does not count")
		require.Equal(t, "n", dispatch(db, r).Run.NodeID)
	})

	t.Run("ConcurrentDispatchesBalance", func(t *testing.T) {
		t.Parallel()
		db := setupDispatch(t)
		n1, n2 := db.node("n1"), db.node("n2")
		db.instance(n1.ID, db.plugin, "a", at(0))
		db.instance(n2.ID, db.plugin, "b", at(1))
		const n = 20
		rs := make([]*store.Run, n)
		for i := range rs {
			rs[i] = queued(db)
		}
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			counts = map[string]int{}
			errs   []error
		)
		for _, r := range rs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := db.s.RunDispatch(db.ctx, &store.RunDispatchParams{RunID: r.ID, PluginID: db.plugin.ID})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				counts[res.Instance.ID]++
			}()
		}
		wg.Wait()
		require.Empty(t, errs)
		require.Equal(t, map[string]int{"a": n / 2, "b": n / 2}, counts, "each dispatch counts the ones before it")
	})
}
