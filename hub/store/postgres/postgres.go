// Package postgres implements [store.Store] on PostgreSQL through pgx, for
// hubs that outgrow one machine: several hub replicas share one database.
//
// [New] connects a pgxpool, optionally confines the store to one schema
// (Config.Schema, or a search_path in the URL), and applies the embedded
// goose migrations under a PostgreSQL advisory lock, so replicas starting
// together migrate once.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/internal/sqlstore"
)

// DefaultMaxConns is the size of the connection pool.
const DefaultMaxConns = 10

// Config configures [New]. Its fields are read once, by New; the zero
// value of every field but URL means its default.
type Config struct {
	// URL is the connection string, e.g.
	// "postgres://user:pass@host:5432/db?sslmode=disable"; any libpq
	// parameter pgx understands may be added, search_path included.
	// Required.
	URL string
	// Schema confines the store to one schema: it is created when missing
	// and becomes the connections' search_path (overriding one in URL).
	// Defaults to the URL's search_path, else the server's (usually
	// "public").
	Schema string
	// MaxConns is the maximum number of pooled connections. Defaults to
	// DefaultMaxConns.
	MaxConns int
	// Logger receives migration messages. Defaults to slog.Default().
	Logger *slog.Logger
}

func (c *Config) withDefaults() *Config {
	out := *c
	if out.MaxConns == 0 {
		out.MaxConns = DefaultMaxConns
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	return &out
}

func (c *Config) validate() error {
	switch {
	case c.URL == "":
		return errors.New("postgres: URL is required")
	case c.MaxConns < 0:
		return fmt.Errorf("postgres: MaxConns must not be negative, got %d", c.MaxConns)
	case strings.ContainsRune(c.Schema, 0):
		return errors.New("postgres: Schema must not contain NUL")
	}
	return nil
}

// Store is the PostgreSQL implementation of [store.Store]. It is safe for
// concurrent use.
type Store struct {
	// shared holds the plain reads and writes, the same on both backends.
	*shared
	pool retryPool
	// connConfig opens the dedicated connections of Listen.
	connConfig *pgx.ConnConfig
	// schema is the connections' current schema; notification channels
	// are named after it, so hubs in other schemas of the database do
	// not hear them.
	schema    string
	log       *slog.Logger
	closeOnce sync.Once
}

//go:embed migrations/*.sql
var migrations embed.FS

// New connects to the database at cfg.URL, applies the pending migrations
// and returns the store. Close it when done.
func New(ctx context.Context, cfg *Config) (*Store, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()

	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// The parse error may quote the URL and its password: keep it out.
		return nil, errors.New("postgres: URL is not a valid connection string")
	}
	if cfg.Schema != "" {
		pcfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{cfg.Schema}.Sanitize()
	}
	pcfg.MaxConns = int32(min(cfg.MaxConns, 1<<30))
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", interpretError(err))
	}
	s := &Store{pool: retryPool{pool}, connConfig: pcfg.ConnConfig.Copy(), log: cfg.Logger.With(slog.String("component", "store"))}
	s.shared = sqlstore.New(dialect, sqlstore.DB{
		Read:           querier{s.pool},
		Write:          querier{s.pool},
		InTxFunc:       s.inSharedTx,
		InSnapshotFunc: s.inSnapshot,
	})
	if err := pool.Ping(ctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("connect: %w", interpretError(err))
	}
	if cfg.Schema != "" {
		if _, err := pool.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{cfg.Schema}.Sanitize()); err != nil {
			s.pool.Close()
			return nil, fmt.Errorf("postgres: create schema %q: %w", cfg.Schema, interpretError(err))
		}
	}
	if _, err := s.migrate(ctx, cfg.Logger); err != nil {
		s.pool.Close()
		return nil, err
	}
	if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&s.schema); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("postgres: find current schema: %w", interpretError(err))
	}
	return s, nil
}

// migrationFS returns the embedded migrations as goose reads them.
func migrationFS() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	return sub
}

// migrate applies the pending migrations in the connections' current
// schema and returns what it applied. An advisory lock keyed by the schema
// name keeps replicas from migrating the same schema at once.
func (s *Store) migrate(ctx context.Context, logger *slog.Logger) ([]*goose.MigrationResult, error) {
	var schema *string
	if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, fmt.Errorf("postgres: find current schema: %w", interpretError(err))
	}
	if schema == nil {
		return nil, errors.New("postgres: the search_path names no existing schema")
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte("exporthub migrations " + *schema)) // hash.Hash.Write never fails
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64() >> 1)))
	if err != nil {
		return nil, fmt.Errorf("postgres: create migration lock: %w", err)
	}
	db := stdlib.OpenDBFromPool(s.pool.Pool)
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrationFS(),
		goose.WithDisableGlobalRegistry(true),
		goose.WithSessionLocker(locker),
		goose.WithSlog(logger.With(slog.String("component", "store"))),
	)
	if err != nil {
		return nil, fmt.Errorf("postgres: create migration provider: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: apply migrations in schema %q: %w", *schema, interpretError(err))
	}
	return results, nil
}

// Close closes the connection pool, waiting for acquired connections to be
// released. A second call returns nil.
func (s *Store) Close() error {
	s.closeOnce.Do(s.pool.Pool.Close)
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", interpretError(err))
	}
	return nil
}

// SQLSTATE codes interpretError maps.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// interpretError turns driver errors into the store's sentinels: no rows
// gives store.ErrNotFound, a unique violation store.ErrConflict, and a
// foreign-key violation (a missing parent row) store.ErrNotFound, a broken
// connection store.ErrUnavailable. Any other
// driver error is flattened to its message, so no pgx or pgconn type
// escapes the package; context errors still match errors.Is.
func interpretError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrUnavailable):
		return err
	case errors.Is(err, pgx.ErrNoRows):
		return store.ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case codeUniqueViolation:
			return fmt.Errorf("%w: %s (%s)", store.ErrConflict, pgErr.Message, pgErr.Detail)
		case codeForeignKeyViolation:
			return fmt.Errorf("%w: referenced row does not exist (%s)", store.ErrNotFound, pgErr.Message)
		}
		if connectionBroken(err) {
			return fmt.Errorf("postgres: %s (SQLSTATE %s): %w", pgErr.Message, pgErr.Code, store.ErrUnavailable)
		}
		return fmt.Errorf("postgres: %s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
	}
	for _, sentinel := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, sentinel) {
			return fmt.Errorf("postgres: %s: %w", err.Error(), sentinel)
		}
	}
	if connectionBroken(err) || notRun(err) {
		return fmt.Errorf("postgres: %s: %w", err.Error(), store.ErrUnavailable)
	}
	return errors.New("postgres: " + err.Error())
}

// inTx runs fn in a transaction and commits it, or rolls it back when fn
// returns an error.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return interpretError(err)
	}
	return sqlstore.EndTx(ctx, fn(tx), func() error { return tx.Rollback(ctx) }, func() error { return tx.Commit(ctx) },
		interpretError)
}

// inSharedTx is inTx for the shared layer.
func (s *Store) inSharedTx(ctx context.Context, fn func(sqlstore.Querier) error) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return fn(querier{tx}) })
}

// inSnapshot runs fn in a read-only REPEATABLE READ transaction: its
// statements see one snapshot.
func (s *Store) inSnapshot(ctx context.Context, fn func(sqlstore.Querier) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return interpretError(err)
	}
	defer func() { _ = tx.Rollback(ctx) }() // read-only: nothing to keep
	return fn(querier{tx})
}

// now is the store's clock: UTC, at the precision the store keeps.
func now() time.Time { return sqlstore.Now() }

// textArray returns v for a text[] column ('{}' when empty).
func textArray(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}
