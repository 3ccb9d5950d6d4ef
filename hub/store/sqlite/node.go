package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/internal/sqlstore"
)

// A SQLite file serves one process, so leases use this process's clock.

const nodeColumns = `id, incarnation, started_at, last_seen, expires_at`

// scanNode reads a node; expired is judged at t.
func scanNode(row sqlstore.Row, t time.Time) (*store.Node, error) {
	var n store.Node
	if err := row.Scan(&n.ID, &n.Incarnation, sqlstore.TimeDest(&n.StartedAt), sqlstore.TimeDest(&n.LastSeen),
		sqlstore.NullTimeDest(&n.ExpiresAt)); err != nil {
		return nil, err
	}
	n.Expired = n.ExpiresAt != nil && !n.ExpiresAt.After(t)
	return &n, nil
}

// leaseEnd returns when a lease taken at t ends; NULL (never) for 0.
func leaseEnd(t time.Time, lease time.Duration) any {
	if lease <= 0 {
		return nil
	}
	return micros(t.Add(lease))
}

// NodeRegister creates or replaces the row of node p.ID and deletes the
// instances it listed; it returns the replaced row (nil for none).
func (s *Store) NodeRegister(ctx context.Context, p *store.NodeLeaseParams) (*store.Node, error) {
	if p.ID == "" || p.Incarnation == "" {
		return nil, errors.New("register node: ID and Incarnation are required")
	}
	t := now()
	var prev *store.Node
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		n, err := scanNode(tx.QueryRowContext(ctx, `SELECT `+nodeColumns+` FROM hub_nodes WHERE id = ?`, p.ID), t)
		switch {
		case err == nil:
			prev = n
		case !errors.Is(err, sql.ErrNoRows):
			return interpretError(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM plugin_instances WHERE node_id = ?`, p.ID); err != nil {
			return interpretError(err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO hub_nodes (id, incarnation, started_at, last_seen, expires_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET incarnation = excluded.incarnation, started_at = excluded.started_at,
				last_seen = excluded.last_seen, expires_at = excluded.expires_at`,
			p.ID, p.Incarnation, micros(t), micros(t), leaseEnd(t, p.Lease))
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
	t := now()
	err := sqlstore.ExecOne(ctx, s.shared, sqlstore.SQL(s.wdb), `UPDATE hub_nodes SET last_seen = ?, expires_at = ?
		WHERE id = ? AND incarnation = ?`, micros(t), leaseEnd(t, p.Lease), p.ID, p.Incarnation)
	if err != nil {
		return fmt.Errorf("renew node %s: %w", p.ID, err)
	}
	return nil
}

// NodeDelete deletes node id's row if it belongs to incarnation, with its
// instances (ON DELETE CASCADE).
func (s *Store) NodeDelete(ctx context.Context, id, incarnation string) error {
	if _, err := s.wdb.ExecContext(ctx, `DELETE FROM hub_nodes WHERE id = ? AND incarnation = ?`, id, incarnation); err != nil {
		return fmt.Errorf("delete node %s: %w", id, interpretError(err))
	}
	return nil
}

// NodeDeleteExpired deletes the nodes whose lease has ended and returns
// their ids.
func (s *Store) NodeDeleteExpired(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `DELETE FROM hub_nodes WHERE expires_at IS NOT NULL AND expires_at <= ?
			RETURNING id`, micros(now()))
		if err != nil {
			return interpretError(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return interpretError(err)
			}
			ids = append(ids, id)
		}
		return interpretError(rows.Err())
	})
	if err != nil {
		return nil, fmt.Errorf("delete expired nodes: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}

// NodeList returns every node ordered by id.
func (s *Store) NodeList(ctx context.Context) ([]*store.Node, error) {
	t := now()
	out, err := sqlstore.List(ctx, s.shared, sqlstore.SQL(s.rdb), func(row sqlstore.Row) (*store.Node, error) {
		return scanNode(row, t)
	}, `SELECT `+nodeColumns+` FROM hub_nodes ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	return out, nil
}
