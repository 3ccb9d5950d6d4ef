package sqlite

import (
	"context"
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
	return sqlstore.Dispatch(ctx, s.shared, p, func(ctx context.Context, q sqlstore.Querier) (*store.Instance, error) {
		return sqlstore.Get(ctx, s.shared, q, sqlstore.ScanInstance, `SELECT `+sqlstore.InstanceColumns+liveInstances+`
			ORDER BY busy, i.dispatch_seq, i.connected_at, i.node_id, i.id LIMIT 1`, p.PluginID, micros(now()))
	})
}
