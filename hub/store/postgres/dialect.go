package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/internal/sqlstore"
)

// DefaultRunListLimit is RunListParams.Limit when it is 0.
const DefaultRunListLimit = store.DefaultRunListLimit

// shared is the layer of reads and writes both backends share, run in
// dialect; an alias, so that the field Store embeds stays unexported.
type shared = sqlstore.Store

// dialect is how the PostgreSQL schema stores what the shared layer
// writes: times as timestamptz, lists as text[] (filtered with array
// operators). Text sorts byte-wise (COLLATE "C"), as in SQLite, and
// statements that read before they write lock their rows, since several
// hubs may write at once.
var dialect = sqlstore.Dialect{
	Numbered:    true,
	Collate:     ` COLLATE "C"`,
	ForUpdate:   ` FOR UPDATE`,
	ForKeyShare: ` FOR KEY SHARE`,
	BatchCounts: `SELECT b, count(DISTINCT a.seq) FROM assets a, unnest(a.batches) AS b
		WHERE a.project_id = ? GROUP BY b`,
	TimeFunc:     func(t time.Time) any { return t.UTC() },
	ListFunc:     func(v []string) (any, error) { return textArray(v), nil },
	ScanListFunc: func(dst *[]string) any { return dst },
	InFunc: func(column string, values []string) (string, []any) {
		return column + ` = ANY(?::text[])`, []any{values}
	},
	BatchesFunc: func(all bool, batches []string) (string, []any) {
		if all {
			return `a.batches @> ?::text[]`, []any{batches}
		}
		return `a.batches && ?::text[]`, []any{batches}
	},
	ErrorFunc: interpretError,
}

// querier runs the shared layer's statements on the pool or in a
// transaction.
type querier struct {
	q interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	}
}

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.q.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (q querier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := q.q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return q.q.QueryRow(ctx, query, args...)
}
