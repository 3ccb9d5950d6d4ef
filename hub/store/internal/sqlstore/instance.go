package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/exporthub/exporthub/hub/store"
)

// InstanceColumns selects an instance with its active runs (the column
// busy), as ScanInstance reads it; the query aliases plugin_instances as
// i.
const InstanceColumns = `i.node_id, i.id, i.plugin_id, i.org_id, i.connector, i.remote_addr, i.connected_at,
	i.last_heartbeat, (SELECT count(*) FROM runs r WHERE r.node_id = i.node_id AND r.instance_id = i.id
		AND r.status IN ('dispatched', 'running', 'uploaded')) AS busy`

// ScanInstance reads an instance selected as InstanceColumns.
func ScanInstance(row Row) (*store.Instance, error) {
	var (
		i    store.Instance
		busy int64
	)
	if err := row.Scan(&i.NodeID, &i.ID, &i.PluginID, &i.OrgID, &i.Connector, &i.RemoteAddr, TimeDest(&i.ConnectedAt),
		TimeDest(&i.LastHeartbeat), &busy); err != nil {
		return nil, err
	}
	i.Runs = int(busy)
	return &i, nil
}

// InstanceUpsert records or updates an instance of node i.NodeID.
func (s *Store) InstanceUpsert(ctx context.Context, i *store.Instance) error {
	if i.Connector == "" {
		i.Connector = store.ConnectorWS
	}
	i.ConnectedAt, i.LastHeartbeat = OrNow(i.ConnectedAt), OrNow(i.LastHeartbeat)
	_, err := s.exec(ctx, `INSERT INTO plugin_instances
			(node_id, id, plugin_id, org_id, connector, remote_addr, connected_at, last_heartbeat)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (node_id, id) DO UPDATE SET remote_addr = excluded.remote_addr,
			connected_at = excluded.connected_at, last_heartbeat = excluded.last_heartbeat`,
		i.NodeID, i.ID, i.PluginID, i.OrgID, string(i.Connector), i.RemoteAddr, s.d.TimeFunc(i.ConnectedAt),
		s.d.TimeFunc(i.LastHeartbeat))
	if err != nil {
		return fmt.Errorf("upsert instance %s of node %s: %w", i.ID, i.NodeID, err)
	}
	return nil
}

// InstanceHeartbeat sets an instance's LastHeartbeat.
func (s *Store) InstanceHeartbeat(ctx context.Context, nodeID, id string, at time.Time) error {
	err := s.execOne(ctx, `UPDATE plugin_instances SET last_heartbeat = ? WHERE node_id = ? AND id = ?`,
		s.d.TimeFunc(OrNow(at)), nodeID, id)
	if err != nil {
		return fmt.Errorf("heartbeat of instance %s of node %s: %w", id, nodeID, err)
	}
	return nil
}

// InstanceDelete forgets an instance of a node.
func (s *Store) InstanceDelete(ctx context.Context, nodeID, id string) error {
	if _, err := s.exec(ctx, `DELETE FROM plugin_instances WHERE node_id = ? AND id = ?`, nodeID, id); err != nil {
		return fmt.Errorf("delete instance %s of node %s: %w", id, nodeID, err)
	}
	return nil
}
