package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/exporthub/exporthub/hub/store"
)

const runColumns = `id, org_id, project_id, plugin_id, user_id, status, message, config_json, stages, batches,
	instance_id, export_id, num_tasks, deadline, created_at, dispatched_at, started_at, ended_at, node_id, retries, attempt`

// finalStatuses is the SQL list of the final run states; it must match
// store.RunStatus.Final and the runs_active index.
const finalStatuses = `('succeeded', 'failed', 'timed_out', 'lost', 'cancelled')`

func scanRun(row scanner) (*store.Run, error) {
	var (
		r                                    store.Run
		stages, batches                      string
		deadline, dispatched, started, ended sql.NullInt64
		created                              int64
	)
	if err := row.Scan(&r.ID, &r.OrgID, &r.ProjectID, &r.PluginID, &r.UserID, &r.Status, &r.Message, &r.ConfigJSON,
		&stages, &batches, &r.InstanceID, &r.ExportID, &r.NumTasks, &deadline, &created, &dispatched, &started,
		&ended, &r.NodeID, &r.Retries, &r.Attempt); err != nil {
		return nil, err
	}
	var err error
	if r.Stages, err = decodeList[string](stages); err != nil {
		return nil, fmt.Errorf("run %s stages: %w", r.ID, err)
	}
	if r.Batches, err = decodeList[string](batches); err != nil {
		return nil, fmt.Errorf("run %s batches: %w", r.ID, err)
	}
	r.Deadline, r.DispatchedAt, r.StartedAt, r.EndedAt = timePtr(deadline), timePtr(dispatched), timePtr(started), timePtr(ended)
	r.CreatedAt = fromMicros(created)
	return &r, nil
}

// RunInsert creates a run (Status defaults to queued, Attempt to 1).
// ErrConflict if the id exists; ErrNotFound if the project is not in
// r.OrgID.
func (s *Store) RunInsert(ctx context.Context, r *store.Run) error {
	if r.Status == "" {
		r.Status = store.RunQueued
	}
	if err := validStatus(r.Status); err != nil {
		return fmt.Errorf("insert run %s: %w", r.ID, err)
	}
	stages, err := encodeList(r.Stages)
	if err != nil {
		return fmt.Errorf("insert run %s: %w", r.ID, err)
	}
	batches, err := encodeList(r.Batches)
	if err != nil {
		return fmt.Errorf("insert run %s: %w", r.ID, err)
	}
	r.CreatedAt = orNow(r.CreatedAt)
	if r.Attempt == 0 {
		r.Attempt = 1
	}
	_, err = s.exec(ctx, `INSERT INTO runs (`+runColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.OrgID, r.ProjectID, r.PluginID, r.UserID, string(r.Status), r.Message, r.ConfigJSON, stages, batches,
		r.InstanceID, r.ExportID, r.NumTasks, nullMicros(r.Deadline), micros(r.CreatedAt), nullMicros(r.DispatchedAt),
		nullMicros(r.StartedAt), nullMicros(r.EndedAt), r.NodeID, r.Retries, r.Attempt)
	if err != nil {
		return fmt.Errorf("insert run %s: %w", r.ID, err)
	}
	return nil
}

// RunGet returns a run of org; ErrNotFound when missing or in another
// organization.
func (s *Store) RunGet(ctx context.Context, orgID, id string) (*store.Run, error) {
	r, err := scanRun(s.rdb.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return nil, fmt.Errorf("get run %s: %w", id, interpretError(err))
	}
	return r, nil
}

// RunGetByID returns a run by id in any organization; ErrNotFound when
// missing.
func (s *Store) RunGetByID(ctx context.Context, id string) (*store.Run, error) {
	r, err := scanRun(s.rdb.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("get run %s: %w", id, interpretError(err))
	}
	return r, nil
}

// DefaultRunListLimit is RunListParams.Limit when it is 0.
const DefaultRunListLimit = 100

// RunList returns runs of p.OrgID, newest first, filtered by project and
// plugin when set, at most p.Limit.
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
		limit = DefaultRunListLimit
	}
	query += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	out, err := queryList(ctx, s.rdb, scanRun, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

// RunListActive returns every run not in a final state, oldest first.
func (s *Store) RunListActive(ctx context.Context) ([]*store.Run, error) {
	out, err := queryList(ctx, s.rdb, scanRun, `SELECT `+runColumns+` FROM runs
		WHERE status NOT IN `+finalStatuses+` ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list active runs: %w", err)
	}
	return out, nil
}

// validStatus checks that st is one of the run states.
func validStatus(st store.RunStatus) error {
	switch st {
	case store.RunQueued, store.RunDispatched, store.RunRunning, store.RunUploaded:
		return nil
	}
	if st.Final() {
		return nil
	}
	return fmt.Errorf("unknown run status %q", st)
}

// RunSetStatus moves a run to p.Status if its status is one of p.From (any
// when From is empty) and its attempt is p.FromAttempt (when set), and
// returns the updated run. ErrNotFound when the run does not exist,
// ErrConflict when it is in another status or attempt.
func (s *Store) RunSetStatus(ctx context.Context, p *store.RunSetStatusParams) (*store.Run, error) {
	if err := validStatus(p.Status); err != nil {
		return nil, fmt.Errorf("set run %s status: %w", p.ID, err)
	}
	at := micros(orNow(p.At))
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
		add("deadline", nullMicros(p.Deadline))
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
		query += ` AND status IN (?` + strings.Repeat(", ?", len(p.From)-1) + `)`
		for _, f := range p.From {
			args = append(args, string(f))
		}
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
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		r, err := scanRun(tx.QueryRowContext(ctx, query, args...))
		if err == nil {
			out = r
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return interpretError(err)
		}
		var (
			cur     string
			attempt int
		)
		if err := tx.QueryRowContext(ctx, `SELECT status, attempt FROM runs WHERE id = ?`, p.ID).Scan(&cur, &attempt); err != nil {
			return interpretError(err)
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
