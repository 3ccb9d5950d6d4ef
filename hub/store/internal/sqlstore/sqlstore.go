// Package sqlstore is the part of the SQL backends of [store.Store] that
// does not depend on the database: the plain reads and writes of every
// entity, written once in SQL that SQLite and PostgreSQL both run, with ?
// placeholders. A [Dialect] says what differs (placeholders, how times
// and lists are stored, list conditions, row locks, error
// classification) and a [DB] gives the connections.
//
// The backends (hub/store/sqlite, hub/store/postgres) embed a *Store and
// keep to themselves what each does its own way: opening and migrating
// the database, node leases and the choice of a live instance for a run
// (see [Dispatch]), notifications and the bulk import of assets.
package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/store"
)

// Row is one result row: a *sql.Row, a pgx.Row.
type Row interface {
	Scan(dest ...any) error
}

// Rows is a result read row by row.
type Rows interface {
	Row
	Next() bool
	Err() error
	Close()
}

// Querier runs statements on a connection pool or in a transaction.
// Its errors are the driver's; Store classifies them with the Dialect.
type Querier interface {
	// Exec runs a statement and returns the number of rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// Query runs a query.
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow runs a query that returns at most one row.
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// DB is the database of a backend.
type DB struct {
	// Read serves the queries made outside a transaction.
	Read Querier
	// Write serves the writes made outside a transaction.
	Write Querier
	// InTxFunc runs fn in a write transaction and commits it, or rolls
	// it back when fn returns an error (which it returns).
	InTxFunc func(ctx context.Context, fn func(Querier) error) error
	// InSnapshotFunc runs fn in a read-only transaction whose reads see
	// one snapshot of the database.
	InSnapshotFunc func(ctx context.Context, fn func(Querier) error) error
}

// Store implements the plain reads and writes of [store.Store] on a DB.
// Its exported methods are those of store.Store only, since backends
// embed it.
type Store struct {
	d  Dialect
	db DB
}

// New returns the Store of a backend.
func New(d Dialect, db DB) *Store {
	return &Store{d: d, db: db}
}

// bind rewrites the ? placeholders of query as the dialect numbers them.
// Queries hold no ? other than placeholders.
func (s *Store) bind(query string) string {
	if !s.d.Numbered || !strings.Contains(query, "?") {
		return query
	}
	var (
		b strings.Builder
		n int
	)
	b.Grow(len(query) + 16)
	for i := range len(query) {
		if query[i] != '?' {
			b.WriteByte(query[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// err classifies a driver error.
func (s *Store) err(err error) error {
	if err == nil {
		return nil
	}
	return s.d.ErrorFunc(err)
}

// exec runs one write statement outside a transaction and returns the
// number of rows it changed.
func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	return Exec(ctx, s, s.db.Write, query, args...)
}

// execOne runs a write statement outside a transaction that must change
// exactly one row; store.ErrNotFound when it changed none.
func (s *Store) execOne(ctx context.Context, query string, args ...any) error {
	return ExecOne(ctx, s, s.db.Write, query, args...)
}

// Exec runs one statement of s on q and returns the number of rows it
// changed.
func Exec(ctx context.Context, s *Store, q Querier, query string, args ...any) (int64, error) {
	n, err := q.Exec(ctx, s.bind(query), args...)
	if err != nil {
		return 0, s.err(err)
	}
	return n, nil
}

// ExecOne runs a statement of s on q that must change exactly one row;
// store.ErrNotFound when it changed none.
func ExecOne(ctx context.Context, s *Store, q Querier, query string, args ...any) error {
	n, err := Exec(ctx, s, q, query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// Get reads one row of a query of s on q with scan; store.ErrNotFound
// when there is none.
func Get[T any](ctx context.Context, s *Store, q Querier, scan func(Row) (*T, error), query string, args ...any) (*T, error) {
	v, err := scan(q.QueryRow(ctx, s.bind(query), args...))
	if err != nil {
		return nil, s.err(err)
	}
	return v, nil
}

// List reads every row of a query of s on q with scan.
func List[T any](ctx context.Context, s *Store, q Querier, scan func(Row) (*T, error), query string, args ...any) ([]*T, error) {
	rows, err := q.Query(ctx, s.bind(query), args...)
	if err != nil {
		return nil, s.err(err)
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.err(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.err(err)
	}
	return out, nil
}

// count reads one count.
func (s *Store) count(ctx context.Context, q Querier, query string, args ...any) (int64, error) {
	var n int64
	if err := q.QueryRow(ctx, s.bind(query), args...).Scan(&n); err != nil {
		return 0, s.err(err)
	}
	return n, nil
}

// placeholders returns n comma-separated placeholders.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return "?" + strings.Repeat(", ?", n-1)
}

// Now is the store's clock: UTC, at the precision the store keeps.
func Now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

// OrNow returns t in UTC at microsecond precision, or Now when t is zero.
func OrNow(t time.Time) time.Time {
	if t.IsZero() {
		return Now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// WithCtxErr adds ctx's error to err when ctx is done: a statement that
// fails after a cancellation may report only a closed statement or a
// broken connection, not the cause.
func WithCtxErr(ctx context.Context, err error) error {
	ctxErr := ctx.Err()
	if ctxErr == nil || errors.Is(err, ctxErr) {
		return err
	}
	return fmt.Errorf("%w: %w", ctxErr, err)
}

// EndTx ends a transaction whose work returned err: it rolls back and
// returns err when err is not nil, else commits. classify turns a
// commit's driver error into the store's.
func EndTx(ctx context.Context, err error, rollback, commit func() error, classify func(error) error) error {
	if err != nil {
		_ = rollback() // the error of the work is what the caller needs
		return WithCtxErr(ctx, err)
	}
	if err := commit(); err != nil {
		return WithCtxErr(ctx, classify(err))
	}
	return nil
}
