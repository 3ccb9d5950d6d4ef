// Package sqlite implements [store.Store] on one SQLite database file, the
// hub's embedded default. It uses the pure-Go driver modernc.org/sqlite, so
// the hub builds without cgo.
//
// The database runs in WAL mode with foreign keys on. The store keeps two
// connection pools on the same file: a pool of read-only connections for
// queries, which WAL lets run while a write is in progress, and a pool of
// exactly one connection for writes. Writers from many goroutines queue for
// that connection instead of racing for SQLite's write lock, so concurrent
// writes wait rather than fail with SQLITE_BUSY. Write transactions begin
// IMMEDIATE and the busy timeout covers another process holding the file.
//
// Migrations are embedded and applied by [New] with goose.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/internal/sqlstore"
)

// DefaultBusyTimeout is how long a connection waits for a lock held by
// another process before it gives up.
const DefaultBusyTimeout = 10 * time.Second

// DefaultMaxReadConns is the size of the read pool.
const DefaultMaxReadConns = 4

// Config configures [New]. Its fields are read once, by New; the zero
// value of every field but Path means its default.
type Config struct {
	// Path is the database file; it is created when missing (its
	// directory must exist). Required.
	Path string
	// BusyTimeout bounds how long a statement waits for a lock held by
	// another process. Defaults to DefaultBusyTimeout.
	BusyTimeout time.Duration
	// MaxReadConns is the number of connections that serve queries.
	// Defaults to DefaultMaxReadConns.
	MaxReadConns int
	// Logger receives migration messages. Defaults to slog.Default().
	Logger *slog.Logger
}

func (c *Config) withDefaults() *Config {
	out := *c
	if out.BusyTimeout == 0 {
		out.BusyTimeout = DefaultBusyTimeout
	}
	if out.MaxReadConns == 0 {
		out.MaxReadConns = DefaultMaxReadConns
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	return &out
}

func (c *Config) validate() error {
	switch {
	case c.Path == "":
		return errors.New("sqlite: Path is required")
	case c.Path == ":memory:" || strings.HasPrefix(c.Path, "file:"):
		return fmt.Errorf("sqlite: Path must be a file path, got %q", c.Path)
	case strings.ContainsRune(c.Path, '?'):
		return fmt.Errorf("sqlite: Path must not contain '?', got %q", c.Path)
	case c.BusyTimeout < 0:
		return fmt.Errorf("sqlite: BusyTimeout must not be negative, got %s", c.BusyTimeout)
	case c.MaxReadConns < 0:
		return fmt.Errorf("sqlite: MaxReadConns must not be negative, got %d", c.MaxReadConns)
	}
	return nil
}

// Store is the SQLite implementation of [store.Store]. It is safe for
// concurrent use.
type Store struct {
	// shared holds the plain reads and writes, the same on both backends.
	*shared
	// rdb serves queries on read-only connections.
	rdb *sql.DB
	// wdb has exactly one connection; every write goes through it.
	wdb *sql.DB
	// notes carries Notify to Listen within this process.
	notes notifier

	closeOnce sync.Once
}

//go:embed migrations/*.sql
var migrations embed.FS

// New opens (creating if needed) the database file cfg.Path, applies the
// pending migrations and returns the store. Close it when done.
func New(ctx context.Context, cfg *Config) (*Store, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()

	busy := strconv.FormatInt(cfg.BusyTimeout.Milliseconds(), 10)
	common := url.Values{}
	common.Add("_pragma", "busy_timeout("+busy+")")
	common.Add("_pragma", "foreign_keys(1)")
	common.Add("_pragma", "synchronous(NORMAL)")

	// The writer sets WAL (a persistent property of the file) first.
	wq := cloneValues(common)
	wq.Add("_pragma", "journal_mode(WAL)")
	wq.Set("_txlock", "immediate")
	wdb, err := sql.Open("sqlite", cfg.Path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", cfg.Path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxIdleTime(0)
	wdb.SetConnMaxLifetime(0)
	if err := wdb.PingContext(ctx); err != nil {
		_ = wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", cfg.Path, interpretError(err))
	}

	rq := cloneValues(common)
	rq.Add("_pragma", "query_only(1)")
	rdb, err := sql.Open("sqlite", cfg.Path+"?"+rq.Encode())
	if err != nil {
		_ = wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", cfg.Path, err)
	}
	rdb.SetMaxOpenConns(cfg.MaxReadConns)
	rdb.SetMaxIdleConns(cfg.MaxReadConns)
	rdb.SetConnMaxIdleTime(5 * time.Minute)

	s := &Store{rdb: rdb, wdb: wdb}
	s.shared = sqlstore.New(dialect, sqlstore.DB{
		Read:           sqlstore.SQL(rdb),
		Write:          sqlstore.SQL(wdb),
		InTxFunc:       s.inTx,
		InSnapshotFunc: s.inSnapshot,
	})
	if _, err := migrate(ctx, wdb, cfg.Logger); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Open is New with a default Config for the file at path.
func Open(ctx context.Context, path string) (*Store, error) {
	return New(ctx, &Config{Path: path})
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// migrationFS returns the embedded migrations as goose reads them.
func migrationFS() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	return sub
}

// migrate applies the pending migrations on db and returns what it applied.
func migrate(ctx context.Context, db *sql.DB, logger *slog.Logger) ([]*goose.MigrationResult, error) {
	provider, err := goose.NewProvider(goose.DialectSQLite3, db, migrationFS(),
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(logger.With(slog.String("component", "store"))),
	)
	if err != nil {
		return nil, fmt.Errorf("sqlite: create migration provider: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: apply migrations: %w", interpretError(err))
	}
	return results, nil
}

// Close closes both connection pools. A second call returns nil.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() { err = errors.Join(s.rdb.Close(), s.wdb.Close()) })
	if err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// Ping checks that the database file answers on both pools.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", interpretError(err))
	}
	if err := s.wdb.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", interpretError(err))
	}
	return nil
}

// interpretError turns driver errors into the store's sentinels: no rows
// gives store.ErrNotFound, a unique or primary-key violation
// store.ErrConflict, and a foreign-key violation (a missing parent row)
// store.ErrNotFound. Any other driver error is flattened to its message so
// that no driver type escapes the package.
func interpretError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %s", store.ErrConflict, se.Error())
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%w: referenced row does not exist (%s)", store.ErrNotFound, se.Error())
	}
	return fmt.Errorf("sqlite: %s", se.Error())
}

// inWriteTx runs fn in a write transaction and commits it, or rolls it back
// when fn returns an error.
func (s *Store) inWriteTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return interpretError(err)
	}
	return sqlstore.EndTx(ctx, fn(tx), tx.Rollback, tx.Commit, interpretError)
}

// inTx is inWriteTx for the shared layer.
func (s *Store) inTx(ctx context.Context, fn func(sqlstore.Querier) error) error {
	return s.inWriteTx(ctx, func(tx *sql.Tx) error { return fn(sqlstore.SQL(tx)) })
}

// inSnapshot runs fn in a read-only transaction of the read pool, which
// sees one snapshot of the file (WAL).
func (s *Store) inSnapshot(ctx context.Context, fn func(sqlstore.Querier) error) error {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return interpretError(err)
	}
	defer func() { _ = tx.Rollback() }() // read-only: nothing to keep
	return fn(sqlstore.SQL(tx))
}
