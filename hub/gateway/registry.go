package gateway

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/hub/store"
)

// InstanceInfo describes one connected instance of a plugin (declared in
// hub/hubtype, which the services share).
type InstanceInfo = hubtype.InstanceInfo

// instance is a connected instance. Fields below mu are guarded by the
// registry's mutex.
type instance struct {
	id          string
	pluginID    string
	orgID       string
	connector   store.Connector
	remoteAddr  string
	connectedAt time.Time

	// send hands a run to the instance.
	send func(ctx context.Context, d *Dispatch) error
	// cancelRun tells the instance a run was cancelled; may be nil.
	cancelRun func(runID string)
	// close disconnects the instance without reporting its runs lost.
	close func()
	// kick disconnects the instance, telling it why; its runs are
	// reported lost. Nil for REST instances.
	kick func(msg string)

	lastHeartbeat time.Time
	runs          map[string]struct{}
	seq           uint64 // registration order, for stable listing
	// leaving is set when the instance is being disconnected for a drain:
	// it takes no more runs.
	leaving bool
}

// registry holds the connected instances.
type registry struct {
	mu       sync.Mutex
	byPlugin map[string][]*instance
	byID     map[string]*instance
	byRun    map[string]*instance
	rr       map[string]int
	seq      uint64
}

func newRegistry() *registry {
	return &registry{
		byPlugin: make(map[string][]*instance),
		byID:     make(map[string]*instance),
		byRun:    make(map[string]*instance),
		rr:       make(map[string]int),
	}
}

// add registers inst.
func (r *registry) add(inst *instance) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	inst.seq = r.seq
	inst.runs = make(map[string]struct{})
	r.byID[inst.id] = inst
	r.byPlugin[inst.pluginID] = append(r.byPlugin[inst.pluginID], inst)
}

// get returns a registered instance.
func (r *registry) get(id string) *instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byID[id]
}

// beat records a heartbeat.
func (r *registry) beat(inst *instance, at time.Time) {
	r.mu.Lock()
	inst.lastHeartbeat = at
	r.mu.Unlock()
}

// remove unregisters inst and returns the runs it held, sorted; false
// when inst was not registered (any more).
func (r *registry) remove(inst *instance) ([]string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID[inst.id] != inst {
		return nil, false
	}
	delete(r.byID, inst.id)
	list := r.byPlugin[inst.pluginID]
	for i, x := range list {
		if x == inst {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(r.byPlugin, inst.pluginID)
		delete(r.rr, inst.pluginID)
	} else {
		r.byPlugin[inst.pluginID] = list
	}
	runs := make([]string, 0, len(inst.runs))
	for id := range inst.runs {
		runs = append(runs, id)
		delete(r.byRun, id)
	}
	sort.Strings(runs)
	return runs, true
}

// reserve picks the least busy instance of a plugin, ties broken round
// robin, and records that it holds runID.
func (r *registry) reserve(pluginID, runID string) (*instance, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.byPlugin[pluginID]
	if len(list) == 0 {
		return nil, ErrNoInstance
	}
	start := r.rr[pluginID] % len(list)
	var best *instance
	bestIdx := 0
	for i := range list {
		idx := (start + i) % len(list)
		if inst := list[idx]; best == nil || len(inst.runs) < len(best.runs) {
			best, bestIdx = inst, idx
		}
	}
	r.rr[pluginID] = bestIdx + 1
	best.runs[runID] = struct{}{}
	r.byRun[runID] = best
	return best, nil
}

// hold records that instance id holds runID; ErrNoInstance when id is
// not registered.
func (r *registry) hold(id, runID string) (*instance, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	inst := r.byID[id]
	if inst == nil || inst.leaving {
		return nil, ErrNoInstance
	}
	inst.runs[runID] = struct{}{}
	r.byRun[runID] = inst
	return inst, nil
}

// leaveIdle marks the Socket.IO instances without runs as leaving and
// returns them, with the number of Socket.IO instances that hold runs.
func (r *registry) leaveIdle() (idle []*instance, busy int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, inst := range r.byID {
		switch {
		case inst.connector != store.ConnectorWS || inst.leaving:
		case len(inst.runs) > 0:
			busy++
		default:
			inst.leaving = true
			idle = append(idle, inst)
		}
	}
	return idle, busy
}

// release frees the instance holding runID and returns it (nil if none).
func (r *registry) release(runID string) *instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	inst := r.byRun[runID]
	if inst == nil {
		return nil
	}
	delete(r.byRun, runID)
	delete(inst.runs, runID)
	return inst
}

// holds reports whether instance id holds runID.
func (r *registry) holds(id, runID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	inst := r.byRun[runID]
	return inst != nil && inst.id == id
}

// info returns a snapshot of inst.
func (r *registry) info(inst *instance) InstanceInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.infoLocked(inst)
}

func (r *registry) infoLocked(inst *instance) InstanceInfo {
	return InstanceInfo{
		ID:            inst.id,
		PluginID:      inst.pluginID,
		OrgID:         inst.orgID,
		Connector:     inst.connector,
		RemoteAddr:    inst.remoteAddr,
		ConnectedAt:   inst.connectedAt,
		LastHeartbeat: inst.lastHeartbeat,
		Runs:          len(inst.runs),
	}
}

// list returns snapshots of a plugin's instances (every instance when
// pluginID is "") in registration order.
func (r *registry) list(pluginID string) []InstanceInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	var list []*instance
	if pluginID == "" {
		for _, inst := range r.byID {
			list = append(list, inst)
		}
	} else {
		list = append(list, r.byPlugin[pluginID]...)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	out := make([]InstanceInfo, 0, len(list))
	for _, inst := range list {
		out = append(out, r.infoLocked(inst))
	}
	return out
}

// pluginInstances returns the registered instances of a plugin.
func (r *registry) pluginInstances(pluginID string) []*instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*instance(nil), r.byPlugin[pluginID]...)
}

// closeAll unregisters every instance and closes it, without reporting
// runs lost.
func (r *registry) closeAll() {
	r.mu.Lock()
	all := make([]*instance, 0, len(r.byID))
	for _, inst := range r.byID {
		all = append(all, inst)
	}
	r.byPlugin = make(map[string][]*instance)
	r.byID = make(map[string]*instance)
	r.byRun = make(map[string]*instance)
	r.mu.Unlock()
	for _, inst := range all {
		if inst.close != nil {
			inst.close()
		}
	}
}

// byConnector returns the registered instances using connector c.
func (r *registry) byConnector(c store.Connector) []*instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*instance
	for _, inst := range r.byID {
		if inst.connector == c {
			out = append(out, inst)
		}
	}
	return out
}
