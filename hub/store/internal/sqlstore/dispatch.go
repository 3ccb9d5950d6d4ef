package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/exporthub/exporthub/hub/store"
)

// Dispatch moves run p.RunID from queued to dispatched on the instance
// pick returns, in one write transaction, and counts the dispatch in the
// instance's round robin. pick runs first in the transaction: it chooses
// an instance of p.PluginID on a live node, as the backend judges leases
// (and takes the locks its database needs), store.ErrNotFound when there
// is none.
func Dispatch(ctx context.Context, s *Store, p *store.RunDispatchParams,
	pick func(ctx context.Context, q Querier) (*store.Instance, error)) (*store.RunDispatchResult, error) {
	at := s.d.TimeFunc(OrNow(p.At))
	var out store.RunDispatchResult
	err := s.db.InTxFunc(ctx, func(q Querier) error {
		inst, err := pick(ctx, q)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no instance of plugin %s on a live node: %w", p.PluginID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		run, err := Get(ctx, s, q, s.scanRun, `UPDATE runs SET status = 'dispatched', instance_id = ?, node_id = ?,
				dispatched_at = ?, taken_at = NULL
			WHERE id = ? AND status = 'queued' RETURNING `+runColumns, inst.ID, inst.NodeID, at, p.RunID)
		if errors.Is(err, store.ErrNotFound) {
			var cur string
			if err := q.QueryRow(ctx, s.bind(`SELECT status FROM runs WHERE id = ?`), p.RunID).Scan(&cur); err != nil {
				return s.err(err)
			}
			return fmt.Errorf("run is %s, not queued: %w", cur, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		if _, err := Exec(ctx, s, q, `UPDATE plugin_instances SET dispatch_seq =
				(SELECT coalesce(max(dispatch_seq), 0) + 1 FROM plugin_instances WHERE plugin_id = ?)
			WHERE node_id = ? AND id = ?`, p.PluginID, inst.NodeID, inst.ID); err != nil {
			return err
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
