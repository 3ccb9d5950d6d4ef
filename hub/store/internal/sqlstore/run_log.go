package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/exporthub/exporthub/hub/store"
)

// runLogBatch is how many log lines one INSERT writes, well within the
// bound both databases put on the arguments of a statement.
const runLogBatch = 500

// RunLogAppend appends lines to run runID, at most maxLines in all for the
// run (no bound when maxLines <= 0), and returns how many it kept.
// ErrNotFound when the run does not exist. Appends to one run are
// serialized by a lock on its row.
func (s *Store) RunLogAppend(ctx context.Context, runID string, lines []*store.RunLog, maxLines int) (int, error) {
	kept := 0
	err := s.db.InTxFunc(ctx, func(q Querier) error {
		var count int64
		if err := q.QueryRow(ctx, s.bind(`SELECT log_lines FROM runs WHERE id = ?`+s.d.ForUpdate), runID).Scan(&count); err != nil {
			return s.err(err)
		}
		kept = len(lines)
		if maxLines > 0 {
			kept = max(0, min(kept, maxLines-int(count)))
		}
		for start := 0; start < kept; start += runLogBatch {
			batch := lines[start:min(kept, start+runLogBatch)]
			values := strings.Repeat(`, (?, ?, ?, ?, ?, ?)`, len(batch))[2:]
			args := make([]any, 0, 6*len(batch))
			for i, l := range batch {
				l.RunID = runID
				l.Seq = count + int64(start+i) + 1
				l.Time = OrNow(l.Time)
				var extra any
				if len(l.Extra) > 0 {
					extra = []byte(l.Extra)
				}
				args = append(args, runID, l.Seq, s.d.TimeFunc(l.Time), l.Level, l.Msg, extra)
			}
			if _, err := Exec(ctx, s, q, `INSERT INTO run_logs (run_id, seq, time, level, msg, extra) VALUES `+values,
				args...); err != nil {
				return err
			}
		}
		if kept == 0 {
			return nil
		}
		_, err := Exec(ctx, s, q, `UPDATE runs SET log_lines = log_lines + ? WHERE id = ?`, kept, runID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("append logs of run %s: %w", runID, err)
	}
	return kept, nil
}

// RunLogList returns the log lines of a run with Seq > afterSeq in order,
// at most limit (0 means no limit).
func (s *Store) RunLogList(ctx context.Context, runID string, afterSeq int64, limit int) ([]*store.RunLog, error) {
	query := `SELECT seq, time, level, msg, extra FROM run_logs WHERE run_id = ? AND seq > ? ORDER BY seq`
	args := []any{runID, afterSeq}
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	out, err := List(ctx, s, s.db.Read, func(row Row) (*store.RunLog, error) {
		l := store.RunLog{RunID: runID}
		var extra []byte
		if err := row.Scan(&l.Seq, TimeDest(&l.Time), &l.Level, &l.Msg, &extra); err != nil {
			return nil, err
		}
		l.Extra = rawOrNil(extra)
		return &l, nil
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list logs of run %s: %w", runID, err)
	}
	return out, nil
}
