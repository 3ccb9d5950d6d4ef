package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"regexp"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// retryPool is the connection pool, trying a statement again on another
// connection when its connection turned out to be broken: a pooled
// connection whose server process was terminated (a database restart or
// failover, pg_terminate_backend, an idle timeout of a proxy) fails the
// first statement sent on it. Any statement is tried again when it
// certainly did not run (nothing was sent, or the server refused it with
// SQLSTATE 57P01, 57P02 or 57P03 before running it); a read-only one
// (SELECT) also when the connection broke while it ran. The pool drops a
// broken connection, so after a restart, when every pooled connection is
// broken, the statement reaches a new one within MaxConns+1 tries. Other
// statements whose connection broke fail with store.ErrUnavailable (see
// interpretError): whether they ran is unknown.
type retryPool struct{ *pgxpool.Pool }

// tries bounds the tries of one statement: every pooled connection may
// be broken.
func (p retryPool) tries() int { return int(p.Config().MaxConns) + 1 }

// Exec runs a statement, tried again (see retryPool).
func (p retryPool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	for i := 1; ; i++ {
		tag, err := p.Pool.Exec(ctx, sql, args...)
		if i >= p.tries() || !retriable(ctx, err, sql) {
			return tag, err
		}
	}
}

// QueryRow runs a query of one row, tried again when Scan meets a broken
// connection (see retryPool).
func (p retryPool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return &retryRow{p: p, ctx: ctx, sql: sql, args: args}
}

// Query runs a query, tried again when its connection is found broken
// before the first row (see retryPool).
func (p retryPool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := p.query(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	return &retryRows{Rows: rows, p: p, ctx: ctx, sql: sql, args: args}, nil
}

// query is Query without retryRows.
func (p retryPool) query(ctx context.Context, sql string, args []any) (pgx.Rows, error) {
	for i := 1; ; i++ {
		rows, err := p.Pool.Query(ctx, sql, args...)
		if err == nil || i >= p.tries() || !retriable(ctx, err, sql) {
			return rows, err
		}
	}
}

// Begin starts a transaction, tried again (BEGIN runs nothing).
func (p retryPool) Begin(ctx context.Context) (pgx.Tx, error) {
	return p.BeginTx(ctx, pgx.TxOptions{})
}

// BeginTx starts a transaction with options, tried again.
func (p retryPool) BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	for i := 1; ; i++ {
		tx, err := p.Pool.BeginTx(ctx, opts)
		if i >= p.tries() || !retriable(ctx, err, "BEGIN") {
			return tx, err
		}
	}
}

type retryRow struct {
	p    retryPool
	ctx  context.Context
	sql  string
	args []any
}

func (r *retryRow) Scan(dest ...any) error {
	for i := 1; ; i++ {
		err := r.p.Pool.QueryRow(r.ctx, r.sql, r.args...).Scan(dest...)
		if i >= r.p.tries() || !retriable(r.ctx, err, r.sql) {
			return err
		}
	}
}

// retryRows runs the query again while its first Next finds the
// connection broken.
type retryRows struct {
	pgx.Rows
	p       retryPool
	ctx     context.Context
	sql     string
	args    []any
	started bool // a row was read, or the query failed for good
}

func (r *retryRows) Next() bool {
	ok := r.Rows.Next()
	for i := 1; !ok && !r.started && i < r.p.tries() && retriable(r.ctx, r.Rows.Err(), r.sql); i++ {
		r.Rows.Close()
		rows, err := r.p.Pool.Query(r.ctx, r.sql, r.args...)
		if err != nil {
			r.Rows = failedRows{Rows: r.Rows, err: err}
			break
		}
		r.Rows = rows
		ok = r.Rows.Next()
	}
	r.started = true
	return ok
}

// failedRows reports err: the query failed again.
type failedRows struct {
	pgx.Rows
	err error
}

func (f failedRows) Next() bool { return false }
func (f failedRows) Err() error { return f.err }

// retriable reports whether sql, which failed with err, may be sent again
// on another connection: ctx is not done, and either sql certainly did
// not run or it is read-only and its connection broke.
func retriable(ctx context.Context, err error, sql string) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	if notRun(err) {
		return true
	}
	return connectionBroken(err) && readOnly(sql)
}

// notRun reports whether err says the statement was not run: nothing was
// sent, or the server ended the session before running it.
func notRun(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
			return true
		}
		return false
	}
	return pgconn.SafeToRetry(err)
}

// connectionBroken reports whether err is the failure of the connection
// itself (the statement may or may not have run).
func connectionBroken(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P")
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// writes matches what makes a SELECT write or lock: data-modifying
// clauses (WITH ... INSERT), locking clauses (FOR UPDATE), notifications
// and sequences.
var writes = regexp.MustCompile(`(?i)\b(INSERT|UPDATE|DELETE|PG_NOTIFY|NEXTVAL|SETVAL)\b`)

// readOnly reports whether sql only reads.
func readOnly(sql string) bool {
	s := strings.ToUpper(strings.TrimSpace(sql))
	return (strings.HasPrefix(s, "SELECT") || strings.HasPrefix(s, "WITH")) && !writes.MatchString(s)
}
