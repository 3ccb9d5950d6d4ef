package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/internal/sqlstore"
)

// Leases are computed with the database's clock (now()), so replicas
// whose clocks disagree still agree on which leases have ended.

const nodeColumns = `id, incarnation, started_at, last_seen, expires_at,
	(expires_at IS NOT NULL AND expires_at <= now()) AS expired`

func scanNode(row sqlstore.Row) (*store.Node, error) {
	var n store.Node
	if err := row.Scan(&n.ID, &n.Incarnation, sqlstore.TimeDest(&n.StartedAt), sqlstore.TimeDest(&n.LastSeen),
		sqlstore.NullTimeDest(&n.ExpiresAt), &n.Expired); err != nil {
		return nil, err
	}
	return &n, nil
}

// leaseInterval returns a lease as an interval parameter; nil (no end)
// for 0.
func leaseInterval(d time.Duration) *time.Duration {
	if d <= 0 {
		return nil
	}
	return &d
}

// NodeRegister creates or replaces the row of node p.ID and deletes the
// instances it listed; it returns the replaced row (nil for none).
func (s *Store) NodeRegister(ctx context.Context, p *store.NodeLeaseParams) (*store.Node, error) {
	if p.ID == "" || p.Incarnation == "" {
		return nil, errors.New("register node: ID and Incarnation are required")
	}
	var prev *store.Node
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		n, err := scanNode(tx.QueryRow(ctx, `SELECT `+nodeColumns+` FROM hub_nodes WHERE id = $1 FOR UPDATE`, p.ID))
		switch {
		case err == nil:
			prev = n
		case !errors.Is(err, pgx.ErrNoRows):
			return interpretError(err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM plugin_instances WHERE node_id = $1`, p.ID); err != nil {
			return interpretError(err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO hub_nodes (id, incarnation, started_at, last_seen, expires_at)
			VALUES ($1, $2, now(), now(), now() + $3::interval)
			ON CONFLICT (id) DO UPDATE SET incarnation = EXCLUDED.incarnation, started_at = EXCLUDED.started_at,
				last_seen = EXCLUDED.last_seen, expires_at = EXCLUDED.expires_at`,
			p.ID, p.Incarnation, leaseInterval(p.Lease))
		return interpretError(err)
	})
	if err != nil {
		return nil, fmt.Errorf("register node %s: %w", p.ID, err)
	}
	return prev, nil
}

// NodeRenew extends the lease of node p.ID; ErrNotFound when its row is
// missing or belongs to another incarnation.
func (s *Store) NodeRenew(ctx context.Context, p *store.NodeLeaseParams) error {
	err := sqlstore.ExecOne(ctx, s.shared, querier{s.pool}, `UPDATE hub_nodes SET last_seen = now(),
		expires_at = now() + $3::interval WHERE id = $1 AND incarnation = $2`, p.ID, p.Incarnation, leaseInterval(p.Lease))
	if err != nil {
		return fmt.Errorf("renew node %s: %w", p.ID, err)
	}
	return nil
}

// NodeDelete deletes node id's row if it belongs to incarnation, with its
// instances (ON DELETE CASCADE).
func (s *Store) NodeDelete(ctx context.Context, id, incarnation string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM hub_nodes WHERE id = $1 AND incarnation = $2`, id, incarnation); err != nil {
		return fmt.Errorf("delete node %s: %w", id, interpretError(err))
	}
	return nil
}

// NodeDeleteExpired deletes the nodes whose lease has ended and returns
// their ids.
func (s *Store) NodeDeleteExpired(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `DELETE FROM hub_nodes WHERE expires_at IS NOT NULL AND expires_at <= now() RETURNING id`)
	if err != nil {
		return nil, fmt.Errorf("delete expired nodes: %w", interpretError(err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("delete expired nodes: %w", interpretError(err))
	}
	if len(ids) == 0 {
		return nil, nil
	}
	slices.Sort(ids)
	return ids, nil
}

// NodeList returns every node ordered by id.
func (s *Store) NodeList(ctx context.Context) ([]*store.Node, error) {
	out, err := sqlstore.List(ctx, s.shared, querier{s.pool}, scanNode, `SELECT `+nodeColumns+` FROM hub_nodes ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	return out, nil
}
