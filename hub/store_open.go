package hub

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/sqlite"
)

// Database kinds selected by a database URL.
const (
	dbSQLite   = "sqlite"
	dbPostgres = "postgres"
)

// databaseKind returns which backend a database URL selects.
func databaseKind(dsn string) (string, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite://"), strings.HasPrefix(dsn, "sqlite:"):
		if sqlitePath(dsn) == "" {
			return "", fmt.Errorf("hub: DatabaseURL %q names no SQLite file", dsn)
		}
		return dbSQLite, nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if _, err := url.Parse(dsn); err != nil {
			return "", fmt.Errorf("hub: DatabaseURL is not a valid URL: %w", err)
		}
		return dbPostgres, nil
	}
	return "", fmt.Errorf("hub: DatabaseURL %q must start with sqlite:// or postgres://", redactDSN(dsn))
}

// sqlitePath returns the file path of a sqlite URL: "sqlite:///abs/x.db"
// is /abs/x.db, "sqlite://rel/x.db" and "sqlite:rel/x.db" are relative.
func sqlitePath(dsn string) string {
	p := strings.TrimPrefix(dsn, "sqlite:")
	p = strings.TrimPrefix(p, "//")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return filepath.FromSlash(p)
}

// redactDSN drops a password from a database URL before it is shown.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return u.Redacted()
}

// OpenStore opens (and migrates) the database a URL selects:
// "sqlite:///abs/path.db", "sqlite://rel/path.db" or "postgres://...".
// The caller closes the store. It is what the hub and `exporthub admin`
// use, so both see the same database for the same URL.
func OpenStore(ctx context.Context, databaseURL string, logger *slog.Logger) (store.Store, error) {
	kind, err := databaseKind(databaseURL)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	switch kind {
	case dbSQLite:
		st, err := sqlite.New(ctx, &sqlite.Config{Path: sqlitePath(databaseURL), Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("open sqlite database: %w", err)
		}
		return st, nil
	default:
		return openPostgres(ctx, databaseURL, logger)
	}
}
