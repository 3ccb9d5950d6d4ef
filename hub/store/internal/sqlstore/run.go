package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/exporthub/exporthub/hub/store"
)

// runColumns are the columns of runs scanRun reads, in order.
const runColumns = `id, org_id, project_id, plugin_id, user_id, status, message, config_json, stages, batches,
	instance_id, export_id, num_tasks, deadline, created_at, dispatched_at, started_at, ended_at, node_id, retries, attempt`

// finalStatuses is the SQL list of the final run states; it must match
// store.RunStatus.Final and the runs_active index.
const finalStatuses = `('succeeded', 'failed', 'timed_out', 'lost', 'cancelled')`

// scanRun reads a run selected as runColumns.
func (s *Store) scanRun(row Row) (*store.Run, error) {
	d := &s.d
	var r store.Run
	if err := row.Scan(&r.ID, &r.OrgID, &r.ProjectID, &r.PluginID, &r.UserID, &r.Status, &r.Message, &r.ConfigJSON,
		d.ScanListFunc(&r.Stages), d.ScanListFunc(&r.Batches), &r.InstanceID, &r.ExportID, &r.NumTasks,
		NullTimeDest(&r.Deadline), TimeDest(&r.CreatedAt), NullTimeDest(&r.DispatchedAt), NullTimeDest(&r.StartedAt),
		NullTimeDest(&r.EndedAt), &r.NodeID, &r.Retries, &r.Attempt); err != nil {
		return nil, err
	}
	r.Stages, r.Batches = listOrNil(r.Stages), listOrNil(r.Batches)
	return &r, nil
}

// RunInsert creates a run (Status defaults to queued, Attempt to 1).
// ErrConflict if the id exists; ErrNotFound if the project is not in
// r.OrgID.
func (s *Store) RunInsert(ctx context.Context, r *store.Run) error {
	if r.Status == "" {
		r.Status = store.RunQueued
	}
	if err := store.CheckRunStatus(r.Status); err != nil {
		return fmt.Errorf("insert run %s: %w", r.ID, err)
	}
	stages, err := s.d.ListFunc(r.Stages)
	if err != nil {
		return fmt.Errorf("insert run %s: %w", r.ID, err)
	}
	batches, err := s.d.ListFunc(r.Batches)
	if err != nil {
		return fmt.Errorf("insert run %s: %w", r.ID, err)
	}
	r.CreatedAt = OrNow(r.CreatedAt)
	if r.Attempt == 0 {
		r.Attempt = 1
	}
	_, err = s.exec(ctx, `INSERT INTO runs (`+runColumns+`) VALUES (`+placeholders(21)+`)`,
		r.ID, r.OrgID, r.ProjectID, r.PluginID, r.UserID, string(r.Status), r.Message, r.ConfigJSON, stages, batches,
		r.InstanceID, r.ExportID, r.NumTasks, s.d.nullTime(r.Deadline), s.d.TimeFunc(r.CreatedAt),
		s.d.nullTime(r.DispatchedAt), s.d.nullTime(r.StartedAt), s.d.nullTime(r.EndedAt), r.NodeID, r.Retries, r.Attempt)
	if err != nil {
		return fmt.Errorf("insert run %s: %w", r.ID, err)
	}
	return nil
}

// RunGet returns a run of org; ErrNotFound when missing or in another
// organization.
func (s *Store) RunGet(ctx context.Context, orgID, id string) (*store.Run, error) {
	r, err := Get(ctx, s, s.db.Read, s.scanRun, `SELECT `+runColumns+` FROM runs WHERE org_id = ? AND id = ?`, orgID, id)
	if err != nil {
		return nil, fmt.Errorf("get run %s: %w", id, err)
	}
	return r, nil
}

// RunGetByID returns a run by id in any organization; ErrNotFound when
// missing.
func (s *Store) RunGetByID(ctx context.Context, id string) (*store.Run, error) {
	r, err := Get(ctx, s, s.db.Read, s.scanRun, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("get run %s: %w", id, err)
	}
	return r, nil
}

// RunList returns runs of p.OrgID, newest first, filtered by project and
// plugin when set, at most p.Limit (store.DefaultRunListLimit when 0).
func (s *Store) RunList(ctx context.Context, p *store.RunListParams) ([]*store.Run, error) {
	query := `SELECT ` + runColumns + ` FROM runs WHERE org_id = ?`
	args := []any{p.OrgID}
	if p.ProjectID != "" {
		query += ` AND project_id = ?`
		args = append(args, p.ProjectID)
	}
	if p.PluginID != "" {
		query += ` AND plugin_id = ?`
		args = append(args, p.PluginID)
	}
	limit := p.Limit
	if limit <= 0 {
		limit = store.DefaultRunListLimit
	}
	query += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	out, err := List(ctx, s, s.db.Read, s.scanRun, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

// RunListActive returns every run not in a final state, oldest first.
func (s *Store) RunListActive(ctx context.Context) ([]*store.Run, error) {
	out, err := List(ctx, s, s.db.Read, s.scanRun, `SELECT `+runColumns+` FROM runs
		WHERE status NOT IN `+finalStatuses+` ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list active runs: %w", err)
	}
	return out, nil
}

// RunSetStatus moves a run to p.Status if its status is one of p.From (any
// when From is empty) and its attempt is p.FromAttempt (when set), and
// returns the updated run. ErrNotFound when the run does not exist,
// ErrConflict when it is in another status or attempt.
func (s *Store) RunSetStatus(ctx context.Context, p *store.RunSetStatusParams) (*store.Run, error) {
	if err := store.CheckRunStatus(p.Status); err != nil {
		return nil, fmt.Errorf("set run %s status: %w", p.ID, err)
	}
	at := s.d.TimeFunc(OrNow(p.At))
	sets := []string{`status = ?`}
	args := []any{string(p.Status)}
	add := func(col string, v any) {
		sets = append(sets, col+` = ?`)
		args = append(args, v)
	}
	if p.Message != "" {
		add("message", p.Message)
	}
	if p.InstanceID != "" {
		add("instance_id", p.InstanceID)
	}
	if p.ExportID != "" {
		add("export_id", p.ExportID)
	}
	if p.NodeID != "" {
		add("node_id", p.NodeID)
	}
	if p.NumTasks != 0 {
		add("num_tasks", p.NumTasks)
	}
	if p.Deadline != nil {
		add("deadline", s.d.nullTime(p.Deadline))
	}
	if p.Attempt != 0 {
		add("attempt", p.Attempt)
	}
	if p.Take {
		add("taken_at", at)
	}
	switch {
	case p.Status == store.RunDispatched:
		add("dispatched_at", at)
	case p.Status == store.RunRunning:
		add("started_at", at)
	case p.Status.Final():
		add("ended_at", at)
	}
	query := `UPDATE runs SET ` + strings.Join(sets, ", ") + ` WHERE id = ?`
	args = append(args, p.ID)
	if len(p.From) > 0 {
		from := make([]string, len(p.From))
		for i, f := range p.From {
			from[i] = string(f)
		}
		cond, in := s.d.InFunc("status", from)
		query += ` AND ` + cond
		args = append(args, in...)
	}
	if p.FromAttempt != 0 {
		query += ` AND attempt = ?`
		args = append(args, p.FromAttempt)
	}
	if p.FromNode != "" {
		query += ` AND node_id = ?`
		args = append(args, p.FromNode)
	}
	if p.NotTaken {
		query += ` AND taken_at IS NULL`
	}
	query += ` RETURNING ` + runColumns

	var out *store.Run
	err := s.db.InTxFunc(ctx, func(q Querier) error {
		r, err := Get(ctx, s, q, s.scanRun, query, args...)
		if !errors.Is(err, store.ErrNotFound) {
			out = r
			return err
		}
		var (
			cur     string
			attempt int
		)
		if err := q.QueryRow(ctx, s.bind(`SELECT status, attempt FROM runs WHERE id = ?`), p.ID).Scan(&cur, &attempt); err != nil {
			return s.err(err)
		}
		return conflict(cur, attempt, p)
	})
	if err != nil {
		return nil, fmt.Errorf("set run %s status to %s: %w", p.ID, p.Status, err)
	}
	return out, nil
}

// conflict explains why RunSetStatus changed nothing on a run in status
// cur at attempt.
func conflict(cur string, attempt int, p *store.RunSetStatusParams) error {
	if p.FromAttempt != 0 && attempt != p.FromAttempt {
		return fmt.Errorf("run is at attempt %d, not %d: %w", attempt, p.FromAttempt, store.ErrConflict)
	}
	if (p.FromNode != "" || p.NotTaken) && (len(p.From) == 0 || slices.Contains(p.From, store.RunStatus(cur))) {
		return fmt.Errorf("run is %s on another node, or was taken: %w", cur, store.ErrConflict)
	}
	return fmt.Errorf("run is %s, not one of %v: %w", cur, p.From, store.ErrConflict)
}
