package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/exporthub/exporthub/hub/store"
)

const runColumns = `id, org_id, project_id, plugin_id, user_id, status, message, config_json, stages, batches,
	instance_id, export_id, num_tasks, deadline, created_at, dispatched_at, started_at, ended_at, node_id, retries, attempt`

// finalStatuses is the SQL list of the final run states; it must match
// store.RunStatus.Final and the runs_active index.
const finalStatuses = `('succeeded', 'failed', 'timed_out', 'lost', 'cancelled')`

func scanRun(row pgx.Row) (*store.Run, error) {
	var r store.Run
	if err := row.Scan(&r.ID, &r.OrgID, &r.ProjectID, &r.PluginID, &r.UserID, &r.Status, &r.Message, &r.ConfigJSON,
		&r.Stages, &r.Batches, &r.InstanceID, &r.ExportID, &r.NumTasks, &r.Deadline, &r.CreatedAt, &r.DispatchedAt,
		&r.StartedAt, &r.EndedAt, &r.NodeID, &r.Retries, &r.Attempt); err != nil {
		return nil, err
	}
	r.Stages, r.Batches = listOrNil(r.Stages), listOrNil(r.Batches)
	r.Deadline, r.DispatchedAt, r.StartedAt, r.EndedAt = utcPtr(r.Deadline), utcPtr(r.DispatchedAt), utcPtr(r.StartedAt), utcPtr(r.EndedAt)
	r.CreatedAt = r.CreatedAt.UTC()
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
	r.CreatedAt = orNow(r.CreatedAt)
	if r.Attempt == 0 {
		r.Attempt = 1
	}
	_, err := s.exec(ctx, `INSERT INTO runs (`+runColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
		r.ID, r.OrgID, r.ProjectID, r.PluginID, r.UserID, string(r.Status), r.Message, r.ConfigJSON, textArray(r.Stages),
		textArray(r.Batches), r.InstanceID, r.ExportID, r.NumTasks, tsPtr(r.Deadline), r.CreatedAt,
		tsPtr(r.DispatchedAt), tsPtr(r.StartedAt), tsPtr(r.EndedAt), r.NodeID, r.Retries, r.Attempt)
	if err != nil {
		return fmt.Errorf("insert run %s: %w", r.ID, err)
	}
	return nil
}

// RunGet returns a run of org; ErrNotFound when missing or in another
// organization.
func (s *Store) RunGet(ctx context.Context, orgID, id string) (*store.Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx, `SELECT `+runColumns+` FROM runs WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil {
		return nil, fmt.Errorf("get run %s: %w", id, interpretError(err))
	}
	return r, nil
}

// RunGetByID returns a run by id in any organization; ErrNotFound when
// missing.
func (s *Store) RunGetByID(ctx context.Context, id string) (*store.Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx, `SELECT `+runColumns+` FROM runs WHERE id = $1`, id))
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
	query := `SELECT ` + runColumns + ` FROM runs WHERE org_id = $1`
	args := []any{p.OrgID}
	if p.ProjectID != "" {
		args = append(args, p.ProjectID)
		query += fmt.Sprintf(` AND project_id = $%d`, len(args))
	}
	if p.PluginID != "" {
		args = append(args, p.PluginID)
		query += fmt.Sprintf(` AND plugin_id = $%d`, len(args))
	}
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultRunListLimit
	}
	args = append(args, limit)
	query += fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT $%d`, len(args))
	out, err := queryList(ctx, s.pool, scanRun, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

// RunListActive returns every run not in a final state, oldest first.
func (s *Store) RunListActive(ctx context.Context) ([]*store.Run, error) {
	out, err := queryList(ctx, s.pool, scanRun, `SELECT `+runColumns+` FROM runs
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
	at := orNow(p.At)
	args := []any{p.ID, string(p.Status)}
	sets := []string{`status = $2`}
	add := func(col string, v any) {
		args = append(args, v)
		sets = append(sets, fmt.Sprintf(`%s = $%d`, col, len(args)))
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
		add("deadline", tsPtr(p.Deadline))
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
	query := `UPDATE runs SET ` + strings.Join(sets, ", ") + ` WHERE id = $1`
	if len(p.From) > 0 {
		from := make([]string, len(p.From))
		for i, f := range p.From {
			from[i] = string(f)
		}
		args = append(args, from)
		query += fmt.Sprintf(` AND status = ANY($%d::text[])`, len(args))
	}
	if p.FromAttempt != 0 {
		args = append(args, p.FromAttempt)
		query += fmt.Sprintf(` AND attempt = $%d`, len(args))
	}
	if p.FromNode != "" {
		args = append(args, p.FromNode)
		query += fmt.Sprintf(` AND node_id = $%d`, len(args))
	}
	if p.NotTaken {
		query += ` AND taken_at IS NULL`
	}
	query += ` RETURNING ` + runColumns

	var out *store.Run
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		r, err := scanRun(tx.QueryRow(ctx, query, args...))
		if err == nil {
			out = r
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return interpretError(err)
		}
		var (
			cur     string
			attempt int
		)
		if err := tx.QueryRow(ctx, `SELECT status, attempt FROM runs WHERE id = $1`, p.ID).Scan(&cur, &attempt); err != nil {
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
