package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/exporthub/exporthub/hub/store"
)

// instanceColumns selects an instance with its active runs and its
// dispatch order; the query aliases plugin_instances as i.
const instanceColumns = `i.node_id, i.id, i.plugin_id, i.org_id, i.connector, i.remote_addr, i.connected_at,
	i.last_heartbeat, (SELECT count(*) FROM runs r WHERE r.node_id = i.node_id AND r.instance_id = i.id
		AND r.status IN ('dispatched', 'running', 'uploaded')) AS busy`

// liveInstances filters the instances of plugin $1 on nodes whose lease
// has not ended.
const liveInstances = ` FROM plugin_instances i JOIN hub_nodes n ON n.id = i.node_id
	WHERE i.plugin_id = $1 AND (n.expires_at IS NULL OR n.expires_at > now())`

func scanInstance(row pgx.Row) (*store.Instance, error) {
	var (
		i    store.Instance
		busy int64
	)
	if err := row.Scan(&i.NodeID, &i.ID, &i.PluginID, &i.OrgID, &i.Connector, &i.RemoteAddr, &i.ConnectedAt,
		&i.LastHeartbeat, &busy); err != nil {
		return nil, err
	}
	i.Runs = int(busy)
	i.ConnectedAt, i.LastHeartbeat = i.ConnectedAt.UTC(), i.LastHeartbeat.UTC()
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
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (node_id, id) DO UPDATE SET remote_addr = EXCLUDED.remote_addr,
			connected_at = EXCLUDED.connected_at, last_heartbeat = EXCLUDED.last_heartbeat`,
		i.NodeID, i.ID, i.PluginID, i.OrgID, string(i.Connector), i.RemoteAddr, i.ConnectedAt, i.LastHeartbeat)
	if err != nil {
		return fmt.Errorf("upsert instance %s of node %s: %w", i.ID, i.NodeID, err)
	}
	return nil
}

// InstanceHeartbeat sets an instance's LastHeartbeat.
func (s *Store) InstanceHeartbeat(ctx context.Context, nodeID, id string, at time.Time) error {
	err := s.execOne(ctx, `UPDATE plugin_instances SET last_heartbeat = $3 WHERE node_id = $1 AND id = $2`,
		nodeID, id, orNow(at))
	if err != nil {
		return fmt.Errorf("heartbeat of instance %s of node %s: %w", id, nodeID, err)
	}
	return nil
}

// InstanceDelete forgets an instance of a node.
func (s *Store) InstanceDelete(ctx context.Context, nodeID, id string) error {
	if _, err := s.exec(ctx, `DELETE FROM plugin_instances WHERE node_id = $1 AND id = $2`, nodeID, id); err != nil {
		return fmt.Errorf("delete instance %s of node %s: %w", id, nodeID, err)
	}
	return nil
}

// InstanceList returns the instances of a plugin on live nodes.
func (s *Store) InstanceList(ctx context.Context, pluginID string) ([]*store.Instance, error) {
	out, err := queryList(ctx, s.pool, scanInstance, `SELECT `+instanceColumns+liveInstances+`
		ORDER BY i.connected_at, i.node_id, i.id`, pluginID)
	if err != nil {
		return nil, fmt.Errorf("list instances of plugin %s: %w", pluginID, err)
	}
	return out, nil
}

// RunDispatch picks the least busy live instance of p.PluginID and moves
// run p.RunID to it. Dispatches of one plugin are serialised by a lock on
// the plugin's row (FOR NO KEY UPDATE, which does not block the foreign
// key checks of rows referencing the plugin), so each one counts the runs
// the previous ones gave out.
func (s *Store) RunDispatch(ctx context.Context, p *store.RunDispatchParams) (*store.RunDispatchResult, error) {
	at := orNow(p.At)
	var out store.RunDispatchResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM plugins WHERE id = $1 FOR NO KEY UPDATE`, p.PluginID); err != nil {
			return interpretError(err)
		}
		inst, err := scanInstance(tx.QueryRow(ctx, `SELECT `+instanceColumns+liveInstances+`
			ORDER BY busy, i.dispatch_seq, i.connected_at, i.node_id, i.id LIMIT 1`, p.PluginID))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("no instance of plugin %s on a live node: %w", p.PluginID, store.ErrNotFound)
		}
		if err != nil {
			return interpretError(err)
		}
		run, err := scanRun(tx.QueryRow(ctx, `UPDATE runs SET status = 'dispatched', instance_id = $2, node_id = $3,
				dispatched_at = $4, taken_at = NULL
			WHERE id = $1 AND status = 'queued' RETURNING `+runColumns, p.RunID, inst.ID, inst.NodeID, at))
		if errors.Is(err, pgx.ErrNoRows) {
			var cur string
			if err := tx.QueryRow(ctx, `SELECT status FROM runs WHERE id = $1`, p.RunID).Scan(&cur); err != nil {
				return interpretError(err)
			}
			return fmt.Errorf("run is %s, not queued: %w", cur, store.ErrConflict)
		}
		if err != nil {
			return interpretError(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE plugin_instances SET dispatch_seq =
				(SELECT coalesce(max(dispatch_seq), 0) + 1 FROM plugin_instances WHERE plugin_id = $1)
			WHERE node_id = $2 AND id = $3`, p.PluginID, inst.NodeID, inst.ID); err != nil {
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
