package runs

import (
	"context"
	"errors"
	"log/slog"

	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/store"
)

// The store lists the Socket.IO instances of every replica (dispatches
// pick among them). Each process writes the rows of the instances
// connected to it, under instMu, and only while instLive: before Start
// the rows would be forgotten by the node's registration, and once
// Shutdown began the process takes no more runs. REST instances stay out
// of the store: every replica polls the REST plugins itself and
// dispatches their runs to its own REST instance.

// instanceTimeout bounds the store writes of one instance event.
const instanceTimeout = storeTimeout

func storeInstance(node string, inst gateway.InstanceInfo) *store.Instance {
	return &store.Instance{
		NodeID: node, ID: inst.ID, PluginID: inst.PluginID, OrgID: inst.OrgID, Connector: inst.Connector,
		RemoteAddr: inst.RemoteAddr, ConnectedAt: inst.ConnectedAt, LastHeartbeat: inst.LastHeartbeat,
	}
}

// instanceUp records a new Socket.IO instance of this process.
func (m *Manager) instanceUp(ctx context.Context, inst gateway.InstanceInfo) {
	if inst.Connector != store.ConnectorWS {
		return
	}
	m.instMu.Lock()
	defer m.instMu.Unlock()
	if !m.instLive || !m.gw.HasInstance(inst.ID) {
		return
	}
	m.upsertInstance(ctx, inst)
}

// upsertInstance writes an instance's row; instMu is held.
func (m *Manager) upsertInstance(ctx context.Context, inst gateway.InstanceInfo) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), instanceTimeout)
	defer cancel()
	err := m.st.InstanceUpsert(ctx, storeInstance(m.node, inst))
	switch {
	case errors.Is(err, store.ErrNotFound):
		// The plugin was deleted (its sockets are being disconnected),
		// or this node lost its row (the lease renewal registers it
		// again, with its instances).
		m.log.DebugContext(ctx, "instance not recorded: its plugin or node is gone", slog.String(logKeyInstance, inst.ID))
	case err != nil:
		m.log.WarnContext(ctx, "record plugin instance", slog.String(logKeyInstance, inst.ID), slog.Any(logKeyError, err))
	}
}

// instanceBeat records a heartbeat of a Socket.IO instance of this
// process.
func (m *Manager) instanceBeat(ctx context.Context, inst gateway.InstanceInfo) {
	if inst.Connector != store.ConnectorWS {
		return
	}
	m.instMu.Lock()
	defer m.instMu.Unlock()
	if !m.instLive || !m.gw.HasInstance(inst.ID) {
		return
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), instanceTimeout)
	defer cancel()
	err := m.st.InstanceHeartbeat(wctx, m.node, inst.ID, inst.LastHeartbeat)
	switch {
	case errors.Is(err, store.ErrNotFound):
		m.upsertInstance(ctx, inst) // the row was lost (a re-registration): write it again
	case err != nil:
		m.log.WarnContext(wctx, "record instance heartbeat", slog.String(logKeyInstance, inst.ID), slog.Any(logKeyError, err))
	}
}

// instanceDown forgets a Socket.IO instance of this process that went
// away.
func (m *Manager) instanceDown(ctx context.Context, inst gateway.InstanceInfo) {
	if inst.Connector != store.ConnectorWS {
		return
	}
	m.forgetInstance(ctx, inst.ID)
}

// forgetInstance deletes the row of an instance no longer connected to
// this process.
func (m *Manager) forgetInstance(ctx context.Context, id string) {
	m.instMu.Lock()
	defer m.instMu.Unlock()
	if m.gw.HasInstance(id) {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), instanceTimeout)
	defer cancel()
	if err := m.st.InstanceDelete(ctx, m.node, id); err != nil {
		m.log.WarnContext(ctx, "forget plugin instance", slog.String(logKeyInstance, id), slog.Any(logKeyError, err))
	}
}

// offerInstances writes the rows of every Socket.IO instance connected to
// this process (at Start, and after the node registered again) and lets
// instance events write theirs from then on.
func (m *Manager) offerInstances(ctx context.Context) {
	m.instMu.Lock()
	m.mu.Lock()
	closing := m.closing
	m.mu.Unlock()
	if closing {
		m.instMu.Unlock()
		return // Shutdown withdrew them
	}
	m.instLive = true
	m.instMu.Unlock()
	for _, inst := range m.gw.AllInstances() {
		if inst.Connector != store.ConnectorWS {
			continue
		}
		m.instMu.Lock()
		if m.instLive && m.gw.HasInstance(inst.ID) {
			m.upsertInstance(ctx, inst)
		}
		m.instMu.Unlock()
	}
}

// withdrawInstances stops offering this process's instances to
// dispatches (Shutdown began): their rows are deleted.
func (m *Manager) withdrawInstances() {
	m.instMu.Lock()
	defer m.instMu.Unlock()
	if !m.instLive {
		return
	}
	m.instLive = false
	ctx, cancel := context.WithTimeout(context.Background(), instanceTimeout)
	defer cancel()
	for _, inst := range m.gw.AllInstances() {
		if inst.Connector != store.ConnectorWS {
			continue
		}
		if err := m.st.InstanceDelete(ctx, m.node, inst.ID); err != nil {
			m.log.WarnContext(ctx, "withdraw plugin instance", slog.String(logKeyInstance, inst.ID), slog.Any(logKeyError, err))
			return
		}
	}
}

// Instances returns the connected instances of a plugin, on every hub
// replica, oldest first, with the runs each holds; a REST plugin's
// instance is this replica's. When the store cannot be read it logs why
// and returns this replica's instances only.
func (m *Manager) Instances(ctx context.Context, pluginID string) []gateway.InstanceInfo {
	local := m.gw.Instances(pluginID)
	if m.replicas {
		for i := range local {
			local[i].Node = m.node
		}
	}
	rows, err := m.st.InstanceList(ctx, pluginID)
	if err != nil {
		m.log.WarnContext(ctx, "list plugin instances; showing this replica's", slog.String(logKeyPlugin, pluginID), slog.Any(logKeyError, err))
		return local
	}
	out := make([]gateway.InstanceInfo, 0, len(rows)+len(local))
	for _, r := range rows {
		info := gateway.InstanceInfo{
			ID: r.ID, PluginID: r.PluginID, OrgID: r.OrgID, Connector: r.Connector, RemoteAddr: r.RemoteAddr,
			ConnectedAt: r.ConnectedAt, LastHeartbeat: r.LastHeartbeat, Runs: r.Runs,
		}
		if m.replicas {
			info.Node = r.NodeID
		}
		out = append(out, info)
	}
	for _, inst := range local {
		if inst.Connector == store.ConnectorREST {
			out = append(out, inst)
		}
	}
	return out
}

// DisconnectPlugin disconnects every Socket.IO instance of a plugin, on
// every hub replica (its secret was rotated or the plugin deleted),
// sending msg in an `error` event first. Their runs end as lost.
func (m *Manager) DisconnectPlugin(pluginID, msg string) {
	m.gw.DisconnectPlugin(pluginID, msg)
	m.broadcast(topicPlugins, &message{Op: opDisconnect, Plugin: pluginID, Msg: msg})
}

// RefreshREST asks every hub replica to send REST heartbeats now (e.g.
// after a REST plugin was created or changed). It does not wait.
func (m *Manager) RefreshREST() {
	m.gw.RefreshREST()
	m.broadcast(topicPlugins, &message{Op: opRefresh})
}

// CheckBaseURL reports whether a REST connector plugin may use base URL
// u (see gateway.Gateway.CheckBaseURL).
func (m *Manager) CheckBaseURL(u string) error { return m.gw.CheckBaseURL(u) }
