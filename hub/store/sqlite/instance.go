package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/internal/sqlstore"
)

// liveInstances filters the instances of plugin ?1 on nodes whose lease
// has not ended at ?2.
const liveInstances = ` FROM plugin_instances i JOIN hub_nodes n ON n.id = i.node_id
	WHERE i.plugin_id = ?1 AND (n.expires_at IS NULL OR n.expires_at > ?2)`

// InstanceList returns the instances of a plugin on live nodes.
func (s *Store) InstanceList(ctx context.Context, pluginID string) ([]*store.Instance, error) {
	out, err := sqlstore.List(ctx, s.shared, sqlstore.SQL(s.rdb), sqlstore.ScanInstance, `SELECT `+sqlstore.InstanceColumns+
		liveInstances+` ORDER BY i.connected_at, i.node_id, i.id`, pluginID, micros(now()))
	if err != nil {
		return nil, fmt.Errorf("list instances of plugin %s: %w", pluginID, err)
	}
	return out, nil
}

// RunDispatch picks the least busy live instance of p.PluginID and moves
// run p.RunID to it, in one write transaction (the single writer
// serialises dispatches).
func (s *Store) RunDispatch(ctx context.Context, p *store.RunDispatchParams) (*store.RunDispatchResult, error) {
	at := sqlstore.OrNow(p.At)
	var out store.RunDispatchResult
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		inst, err := sqlstore.ScanInstance(tx.QueryRowContext(ctx, `SELECT `+sqlstore.InstanceColumns+liveInstances+`
			ORDER BY busy, i.dispatch_seq, i.connected_at, i.node_id, i.id LIMIT 1`, p.PluginID, micros(now())))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no instance of plugin %s on a live node: %w", p.PluginID, store.ErrNotFound)
		}
		if err != nil {
			return interpretError(err)
		}
		run, err := sqlstore.ScanRun(&dialect, tx.QueryRowContext(ctx, `UPDATE runs SET status = 'dispatched',
				instance_id = ?, node_id = ?, dispatched_at = ?, taken_at = NULL
			WHERE id = ? AND status = 'queued' RETURNING `+sqlstore.RunColumns, inst.ID, inst.NodeID, micros(at), p.RunID))
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
