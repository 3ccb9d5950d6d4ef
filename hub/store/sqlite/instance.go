package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/exporthub/exporthub/hub/store"
)

// instanceColumns selects an instance with its active runs; the query
// aliases plugin_instances as i.
const instanceColumns = `i.node_id, i.id, i.plugin_id, i.org_id, i.connector, i.remote_addr, i.connected_at,
	i.last_heartbeat, (SELECT count(*) FROM runs r WHERE r.node_id = i.node_id AND r.instance_id = i.id
		AND r.status IN ('dispatched', 'running', 'uploaded')) AS busy`

// liveInstances filters the instances of plugin ?1 on nodes whose lease
// has not ended at ?2.
const liveInstances = ` FROM plugin_instances i JOIN hub_nodes n ON n.id = i.node_id
	WHERE i.plugin_id = ?1 AND (n.expires_at IS NULL OR n.expires_at > ?2)`

func scanInstance(row scanner) (*store.Instance, error) {
	var (
		i                    store.Instance
		connected, heartbeat int64
	)
	if err := row.Scan(&i.NodeID, &i.ID, &i.PluginID, &i.OrgID, &i.Connector, &i.RemoteAddr, &connected,
		&heartbeat, &i.Runs); err != nil {
		return nil, err
	}
	i.ConnectedAt, i.LastHeartbeat = fromMicros(connected), fromMicros(heartbeat)
	return &i, nil
}

// InstanceUpsert records or updates an instance of node i.NodeID.
func (s *Store) InstanceUpsert(ctx context.Context, i *store.Instance) error {
	if i.Connector == "" {
		i.Connector = store.ConnectorWS
	}
	i.ConnectedAt, i.LastHeartbeat = orNow(i.ConnectedAt), orNow(i.LastHeartbeat)
	_, err := s.exec(ctx, `INSERT INTO plugin_instances
			(node_id, id, plugin_id, org_id, connector, remote_addr, connected_at, last_heartbeat)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (node_id, id) DO UPDATE SET remote_addr = excluded.remote_addr,
			connected_at = excluded.connected_at, last_heartbeat = excluded.last_heartbeat`,
		i.NodeID, i.ID, i.PluginID, i.OrgID, string(i.Connector), i.RemoteAddr, micros(i.ConnectedAt), micros(i.LastHeartbeat))
	if err != nil {
		return fmt.Errorf("upsert instance %s of node %s: %w", i.ID, i.NodeID, err)
	}
	return nil
}

// InstanceHeartbeat sets an instance's LastHeartbeat.
func (s *Store) InstanceHeartbeat(ctx context.Context, nodeID, id string, at time.Time) error {
	err := s.execOne(ctx, `UPDATE plugin_instances SET last_heartbeat = ? WHERE node_id = ? AND id = ?`,
		micros(orNow(at)), nodeID, id)
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

// InstanceList returns the instances of a plugin on live nodes.
func (s *Store) InstanceList(ctx context.Context, pluginID string) ([]*store.Instance, error) {
	out, err := queryList(ctx, s.rdb, scanInstance, `SELECT `+instanceColumns+liveInstances+`
		ORDER BY i.connected_at, i.node_id, i.id`, pluginID, micros(now()))
	if err != nil {
		return nil, fmt.Errorf("list instances of plugin %s: %w", pluginID, err)
	}
	return out, nil
}

// RunDispatch picks the least busy live instance of p.PluginID and moves
// run p.RunID to it, in one write transaction (the single writer
// serialises dispatches).
func (s *Store) RunDispatch(ctx context.Context, p *store.RunDispatchParams) (*store.RunDispatchResult, error) {
	at := orNow(p.At)
	var out store.RunDispatchResult
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		inst, err := scanInstance(tx.QueryRowContext(ctx, `SELECT `+instanceColumns+liveInstances+`
			ORDER BY busy, i.dispatch_seq, i.connected_at, i.node_id, i.id LIMIT 1`, p.PluginID, micros(now())))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no instance of plugin %s on a live node: %w", p.PluginID, store.ErrNotFound)
		}
		if err != nil {
			return interpretError(err)
		}
		run, err := scanRun(tx.QueryRowContext(ctx, `UPDATE runs SET status = 'dispatched', instance_id = ?, node_id = ?,
				dispatched_at = ?, taken_at = NULL
			WHERE id = ? AND status = 'queued' RETURNING `+runColumns, inst.ID, inst.NodeID, micros(at), p.RunID))
		if errors.Is(err, sql.ErrNoRows) {
			var cur string
			if err := tx.QueryRowContext(ctx, `SELECT status FROM runs WHERE id = ?`, p.RunID).Scan(&cur); err != nil {
				return interpretError(err)
			}
			return fmt.Errorf("run is %s, not queued: %w", cur, store.ErrConflict)
		}
		if err != nil {
			return interpretError(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE plugin_instances SET dispatch_seq =
				(SELECT coalesce(max(dispatch_seq), 0) + 1 FROM plugin_instances WHERE plugin_id = ?)
			WHERE node_id = ? AND id = ?`, p.PluginID, inst.NodeID, inst.ID); err != nil {
			return interpretError(err)
		}
		inst.Runs++
		out = store.RunDispatchResult{Run: run, Instance: inst}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dispatch run %s: %w", p.RunID, err)
	}
	return &out, nil
}
