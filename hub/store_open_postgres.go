package hub

import (
	"context"
	"errors"
	"log/slog"

	"github.com/exporthub/exporthub/hub/store"
)

// openPostgres opens the PostgreSQL store. The PostgreSQL backend is
// being written; until it lands the hub refuses postgres:// URLs.
func openPostgres(ctx context.Context, dsn string, logger *slog.Logger) (store.Store, error) {
	return nil, errors.New("hub: the PostgreSQL backend is not available in this build yet")
}
