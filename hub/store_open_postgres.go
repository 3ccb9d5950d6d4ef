package hub

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/postgres"
)

// openPostgres opens (and migrates) the PostgreSQL store at dsn; a
// search_path in dsn confines the hub to that schema.
func openPostgres(ctx context.Context, dsn string, logger *slog.Logger) (store.Store, error) {
	st, err := postgres.New(ctx, &postgres.Config{URL: dsn, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("open postgres database: %w", err)
	}
	return st, nil
}
