package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// SnapshotInsert records the hub-bucket object key of an export snapshot
// (the project copy GET /v2/export writes), made for run runID ("" when
// the caller was not a run), so that it can be deleted once its run
// ended.
func (s *Store) SnapshotInsert(ctx context.Context, key, runID string, at time.Time) error {
	if _, err := s.exec(ctx, `INSERT INTO export_snapshots (object_key, run_id, created_at) VALUES (?, ?, ?)`,
		key, runID, s.d.TimeFunc(OrNow(at))); err != nil {
		return fmt.Errorf("record export snapshot %s: %w", key, err)
	}
	return nil
}

// SnapshotsDeletable returns, oldest first and at most limit, the keys
// of the export snapshots nothing needs any more: those of runs that
// ended (or no longer exist), and those made for no run before before.
func (s *Store) SnapshotsDeletable(ctx context.Context, before time.Time, limit int) ([]string, error) {
	rows, err := List(ctx, s, s.db.Read, func(row Row) (*string, error) {
		var k string
		return &k, row.Scan(&k)
	}, `SELECT x.object_key FROM export_snapshots x LEFT JOIN runs r ON r.id = x.run_id
		WHERE (x.run_id = '' AND x.created_at < ?)
		   OR (x.run_id <> '' AND (r.id IS NULL OR r.status IN `+finalStatuses+`))
		ORDER BY x.created_at, x.object_key LIMIT ?`, s.d.TimeFunc(before.UTC().Truncate(time.Microsecond)), limit)
	if err != nil {
		return nil, fmt.Errorf("list deletable export snapshots: %w", err)
	}
	out := make([]string, len(rows))
	for i, k := range rows {
		out[i] = *k
	}
	return out, nil
}

// SnapshotDelete forgets an export snapshot whose object was deleted.
// Forgetting one that is not recorded is not an error.
func (s *Store) SnapshotDelete(ctx context.Context, key string) error {
	if _, err := s.exec(ctx, `DELETE FROM export_snapshots WHERE object_key = ?`, key); err != nil {
		return fmt.Errorf("forget export snapshot %s: %w", key, err)
	}
	return nil
}
