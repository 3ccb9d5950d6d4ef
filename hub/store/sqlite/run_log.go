package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/exporthub/exporthub/hub/store"
)

// RunLogAppend appends lines to run runID, at most maxLines in all for the
// run (no bound when maxLines <= 0), and returns how many it kept.
// ErrNotFound when the run does not exist.
func (s *Store) RunLogAppend(ctx context.Context, runID string, lines []*store.RunLog, maxLines int) (int, error) {
	kept := 0
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		var count int64
		if err := tx.QueryRowContext(ctx, `SELECT log_lines FROM runs WHERE id = ?`, runID).Scan(&count); err != nil {
			return interpretError(err)
		}
		kept = len(lines)
		if maxLines > 0 {
			kept = max(0, min(kept, maxLines-int(count)))
		}
		if kept == 0 {
			return nil
		}
		insert, err := tx.PrepareContext(ctx, `INSERT INTO run_logs (run_id, seq, time, level, msg, extra) VALUES (?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return interpretError(err)
		}
		defer insert.Close()
		for i, l := range lines[:kept] {
			l.RunID = runID
			l.Seq = count + int64(i) + 1
			l.Time = orNow(l.Time)
			var extra any
			if len(l.Extra) > 0 {
				extra = []byte(l.Extra)
			}
			if _, err := insert.ExecContext(ctx, runID, l.Seq, micros(l.Time), l.Level, l.Msg, extra); err != nil {
				return interpretError(err)
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE runs SET log_lines = log_lines + ? WHERE id = ?`, kept, runID)
		return interpretError(err)
	})
	if err != nil {
		return 0, fmt.Errorf("append logs of run %s: %w", runID, err)
	}
	return kept, nil
}

// RunLogList returns the log lines of a run with Seq > afterSeq in order,
// at most limit (0 means no limit).
func (s *Store) RunLogList(ctx context.Context, runID string, afterSeq int64, limit int) ([]*store.RunLog, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	out, err := queryList(ctx, s.rdb, func(row scanner) (*store.RunLog, error) {
		l := store.RunLog{RunID: runID}
		var (
			t     int64
			extra []byte
		)
		if err := row.Scan(&l.Seq, &t, &l.Level, &l.Msg, &extra); err != nil {
			return nil, err
		}
		l.Time = fromMicros(t)
		l.Extra = rawOrNil(extra)
		return &l, nil
	}, `SELECT seq, time, level, msg, extra FROM run_logs WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		runID, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("list logs of run %s: %w", runID, err)
	}
	return out, nil
}
