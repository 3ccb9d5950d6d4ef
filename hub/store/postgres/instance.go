package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/internal/sqlstore"
)

// liveInstances filters the instances of plugin $1 on nodes whose lease
// has not ended.
const liveInstances = ` FROM plugin_instances i JOIN hub_nodes n ON n.id = i.node_id
	WHERE i.plugin_id = $1 AND (n.expires_at IS NULL OR n.expires_at > now())`

// InstanceList returns the instances of a plugin on live nodes.
func (s *Store) InstanceList(ctx context.Context, pluginID string) ([]*store.Instance, error) {
	out, err := sqlstore.List(ctx, s.shared, querier{s.pool}, sqlstore.ScanInstance, `SELECT `+sqlstore.InstanceColumns+
		liveInstances+` ORDER BY i.connected_at, i.node_id, i.id`, pluginID)
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
	at := sqlstore.OrNow(p.At)
	var out store.RunDispatchResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM plugins WHERE id = $1 FOR NO KEY UPDATE`, p.PluginID); err != nil {
			return interpretError(err)
		}
		inst, err := sqlstore.ScanInstance(tx.QueryRow(ctx, `SELECT `+sqlstore.InstanceColumns+liveInstances+`
			ORDER BY busy, i.dispatch_seq, i.connected_at, i.node_id, i.id LIMIT 1`, p.PluginID))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("no instance of plugin %s on a live node: %w", p.PluginID, store.ErrNotFound)
		}
		if err != nil {
			return interpretError(err)
		}
		run, err := sqlstore.ScanRun(&dialect, tx.QueryRow(ctx, `UPDATE runs SET status = 'dispatched', instance_id = $2,
				node_id = $3, dispatched_at = $4, taken_at = NULL
			WHERE id = $1 AND status = 'queued' RETURNING `+sqlstore.RunColumns, p.RunID, inst.ID, inst.NodeID, at))
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
