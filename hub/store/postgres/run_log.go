package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/exporthub/exporthub/hub/store"
)

// RunLogAppend appends lines to run runID, at most maxLines in all for the
// run (no bound when maxLines <= 0), and returns how many it kept.
// ErrNotFound when the run does not exist. Appends to one run are
// serialized by a lock on its row.
func (s *Store) RunLogAppend(ctx context.Context, runID string, lines []*store.RunLog, maxLines int) (int, error) {
	kept := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var count int64
		if err := tx.QueryRow(ctx, `SELECT log_lines FROM runs WHERE id = $1 FOR UPDATE`, runID).Scan(&count); err != nil {
			return interpretError(err)
		}
		kept = len(lines)
		if maxLines > 0 {
			kept = max(0, min(kept, maxLines-int(count)))
		}
		if kept == 0 {
			return nil
		}
		var (
			seqs   = make([]int64, kept)
			times  = make([]time.Time, kept)
			levels = make([]string, kept)
			msgs   = make([]string, kept)
			extras = make([][]byte, kept)
		)
		for i, l := range lines[:kept] {
			l.RunID = runID
			l.Seq = count + int64(i) + 1
			l.Time = orNow(l.Time)
			seqs[i], times[i], levels[i], msgs[i] = l.Seq, l.Time, l.Level, l.Msg
			if len(l.Extra) > 0 {
				extras[i] = l.Extra
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO run_logs (run_id, seq, time, level, msg, extra)
			SELECT $1, * FROM unnest($2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::bytea[])`,
			runID, seqs, times, levels, msgs, extras)
		if err != nil {
			return interpretError(err)
		}
		_, err = tx.Exec(ctx, `UPDATE runs SET log_lines = log_lines + $1 WHERE id = $2`, kept, runID)
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
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	out, err := queryList(ctx, s.pool, func(row pgx.Row) (*store.RunLog, error) {
		l := store.RunLog{RunID: runID}
		var extra []byte
		if err := row.Scan(&l.Seq, &l.Time, &l.Level, &l.Msg, &extra); err != nil {
			return nil, err
		}
		l.Time = l.Time.UTC()
		l.Extra = rawOrNil(extra)
		return &l, nil
	}, `SELECT seq, time, level, msg, extra FROM run_logs WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		runID, afterSeq, lim)
	if err != nil {
		return nil, fmt.Errorf("list logs of run %s: %w", runID, err)
	}
	return out, nil
}
