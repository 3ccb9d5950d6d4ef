package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/store"
)

// Batch filters use the side table asset_batches (seq, project_id, batch)
// rather than json_each over assets.batches: the filter probes an index
// instead of parsing JSON on every row, and per-batch counts are one GROUP
// BY over an index.

// AssetImport writes every row of p.Rows to project p.ProjectID in one
// transaction (see store.Store.AssetImport). Rows are written as they are
// read, through statements prepared once.
func (s *Store) AssetImport(ctx context.Context, p *store.AssetImportParams) (*store.AssetImportResult, error) {
	mode, err := p.Mode.Check()
	if err != nil {
		return nil, fmt.Errorf("import assets: %w", err)
	}
	var res store.AssetImportResult
	err = s.inWriteTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM projects WHERE id = ?`, p.ProjectID).Scan(&one); err != nil {
			return interpretError(err)
		}
		if p.Rows == nil {
			return nil
		}
		imp, err := newAssetImporter(ctx, tx, p.ProjectID, mode)
		if err != nil {
			return err
		}
		defer imp.close()
		n := 0
		for a, err := range p.Rows {
			if err != nil {
				return err
			}
			n++
			inserted, err := imp.write(ctx, n, a)
			if err != nil {
				return err
			}
			if inserted {
				res.Inserted++
			} else {
				res.Updated++
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("import assets into project %s: %w", p.ProjectID, err)
	}
	return &res, nil
}

// assetImporter holds the statements of one import transaction.
type assetImporter struct {
	tx          *sql.Tx
	projectID   string
	importTime  int64
	insert      *sql.Stmt
	insertBatch *sql.Stmt
	// update and deleteBatches are nil in append mode.
	update        *sql.Stmt
	deleteBatches *sql.Stmt
}

func newAssetImporter(ctx context.Context, tx *sql.Tx, projectID string, mode store.ImportMode) (*assetImporter, error) {
	imp := &assetImporter{tx: tx, projectID: projectID, importTime: micros(now())}
	prepare := func(query string) (*sql.Stmt, error) {
		st, err := tx.PrepareContext(ctx, query)
		if err != nil {
			imp.close()
			return nil, fmt.Errorf("prepare import statement: %w", interpretError(err))
		}
		return st, nil
	}
	var err error
	if imp.insert, err = prepare(`INSERT INTO assets (project_id, external_id, stage_id, batches, updated_at, data, created_at,
		asset_id, task_id, pre_labeled) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`); err != nil {
		return nil, err
	}
	if imp.insertBatch, err = prepare(`INSERT OR IGNORE INTO asset_batches (seq, project_id, batch) VALUES (?, ?, ?)`); err != nil {
		return nil, err
	}
	if mode == store.ImportUpsert {
		// An empty asset or task id keeps the stored one.
		if imp.update, err = prepare(`UPDATE assets SET stage_id = ?, batches = ?, updated_at = ?, data = ?,
			asset_id = coalesce(nullif(?, ''), asset_id), task_id = coalesce(nullif(?, ''), task_id), pre_labeled = ?
			WHERE project_id = ? AND external_id = ? RETURNING seq`); err != nil {
			return nil, err
		}
		if imp.deleteBatches, err = prepare(`DELETE FROM asset_batches WHERE seq = ?`); err != nil {
			return nil, err
		}
	}
	return imp, nil
}

func (imp *assetImporter) close() {
	for _, st := range []*sql.Stmt{imp.insert, imp.insertBatch, imp.update, imp.deleteBatches} {
		if st != nil {
			_ = st.Close() // closing a statement of a finished transaction cannot fail usefully
		}
	}
}

// write writes the n-th asset of the input and reports whether it was
// inserted (false: an existing asset was replaced).
func (imp *assetImporter) write(ctx context.Context, n int, a *store.Asset) (bool, error) {
	if a == nil {
		return false, fmt.Errorf("asset %d: nil asset", n)
	}
	if a.ExternalID == "" {
		return false, fmt.Errorf("asset %d: externalId is empty", n)
	}
	batches, err := encodeList(a.Batches)
	if err != nil {
		return false, fmt.Errorf("asset %d (externalId %q): %w", n, a.ExternalID, err)
	}
	updated := imp.importTime
	if !a.UpdatedAt.IsZero() {
		updated = micros(a.UpdatedAt)
	}
	data := []byte(a.Data)
	if data == nil {
		data = []byte{}
	}
	if imp.update != nil {
		var seq int64
		err := imp.update.QueryRowContext(ctx, a.StageID, batches, updated, data, a.ID, a.TaskID, a.PreLabeled,
			imp.projectID, a.ExternalID).Scan(&seq)
		switch {
		case err == nil:
			if _, err := imp.deleteBatches.ExecContext(ctx, seq); err != nil {
				return false, fmt.Errorf("asset %d (externalId %q): %w", n, a.ExternalID, interpretError(err))
			}
			return false, imp.writeBatches(ctx, n, a, seq)
		case !errors.Is(err, sql.ErrNoRows):
			return false, imp.writeError(ctx, n, a, err, true)
		}
	}
	id, taskID := cmp.Or(a.ID, store.NewID()), cmp.Or(a.TaskID, store.NewID())
	r, err := imp.insert.ExecContext(ctx, imp.projectID, a.ExternalID, a.StageID, batches, updated, data, imp.importTime,
		id, taskID, a.PreLabeled)
	if err != nil {
		return false, imp.writeError(ctx, n, a, err, false)
	}
	seq, err := r.LastInsertId()
	if err != nil {
		return false, fmt.Errorf("asset %d (externalId %q): %w", n, a.ExternalID, interpretError(err))
	}
	return true, imp.writeBatches(ctx, n, a, seq)
}

// writeError explains why the n-th asset of an import could not be
// written: which of its unique keys (externalId first, then assetId,
// taskId) is already in the project or earlier in the input. An update
// (upsert mode) replaces the asset of its externalId: its conflict is
// about an id.
func (imp *assetImporter) writeError(ctx context.Context, n int, a *store.Asset, err error, update bool) error {
	msg := err.Error()
	err = interpretError(err)
	if !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("asset %d (externalId %q): %w", n, a.ExternalID, err)
	}
	var one int
	dupExternalID := !update && imp.tx.QueryRowContext(ctx, `SELECT 1 FROM assets WHERE project_id = ? AND external_id = ?`,
		imp.projectID, a.ExternalID).Scan(&one) == nil
	switch {
	case dupExternalID:
	case strings.Contains(msg, "assets.task_id"):
		return fmt.Errorf("asset %d (externalId %q): taskId %q is already the task of another asset of the project or earlier in the input: %w",
			n, a.ExternalID, a.TaskID, store.ErrConflict)
	case strings.Contains(msg, "assets.asset_id"):
		return fmt.Errorf("asset %d (externalId %q): assetId %q is already the id of another asset of the project or earlier in the input: %w",
			n, a.ExternalID, a.ID, store.ErrConflict)
	}
	return fmt.Errorf("asset %d: externalId %q is already in the project or earlier in the input: %w",
		n, a.ExternalID, store.ErrConflict)
}

func (imp *assetImporter) writeBatches(ctx context.Context, n int, a *store.Asset, seq int64) error {
	for _, b := range a.Batches {
		if _, err := imp.insertBatch.ExecContext(ctx, seq, imp.projectID, b); err != nil {
			return fmt.Errorf("asset %d (externalId %q) batch %q: %w", n, a.ExternalID, b, interpretError(err))
		}
	}
	return nil
}

// assetWhere returns the WHERE clause (over assets a) and its arguments for
// the filter of p.
func assetWhere(p *store.AssetListParams) (string, []any) {
	var (
		sb   strings.Builder
		args = []any{p.ProjectID}
	)
	sb.WriteString(`a.project_id = ?`)
	in := func(column string, values []string) {
		if len(values) == 0 {
			return
		}
		sb.WriteString(` AND ` + column + ` IN (`)
		for i, v := range values {
			if i > 0 {
				sb.WriteString(`, `)
			}
			sb.WriteString(`?`)
			args = append(args, v)
		}
		sb.WriteString(`)`)
	}
	in(`a.stage_id`, p.StageIDs)
	in(`a.asset_id`, p.IDs)
	in(`a.task_id`, p.TaskIDs)
	in(`a.external_id`, p.ExternalIDs)
	for _, b := range []struct {
		cond string
		t    time.Time
	}{{`a.updated_at > ?`, p.UpdatedAfter}, {`a.updated_at < ?`, p.UpdatedBefore},
		{`a.created_at > ?`, p.CreatedAfter}, {`a.created_at < ?`, p.CreatedBefore}} {
		if !b.t.IsZero() {
			sb.WriteString(` AND ` + b.cond)
			args = append(args, micros(b.t))
		}
	}
	if len(p.Batches) > 0 {
		sb.WriteString(` AND EXISTS (SELECT 1 FROM asset_batches b WHERE b.seq = a.seq AND b.batch IN (`)
		for i, b := range p.Batches {
			if i > 0 {
				sb.WriteString(`, `)
			}
			sb.WriteString(`?`)
			args = append(args, b)
		}
		sb.WriteString(`))`)
	}
	for _, b := range p.AllBatches {
		sb.WriteString(` AND EXISTS (SELECT 1 FROM asset_batches b WHERE b.seq = a.seq AND b.batch = ?)`)
		args = append(args, b)
	}
	if p.PreLabeled != nil {
		sb.WriteString(` AND a.pre_labeled = ?`)
		args = append(args, *p.PreLabeled)
	}
	return sb.String(), args
}

// assetColumns are the columns scanAsset reads, over assets a.
const assetColumns = `a.project_id, a.seq, a.asset_id, a.task_id, a.external_id, a.stage_id, a.batches, a.updated_at, a.created_at, a.pre_labeled, a.data`

func scanAsset(row scanner) (*store.Asset, error) {
	var (
		a                store.Asset
		batches          string
		updated, created int64
		data             []byte
	)
	if err := row.Scan(&a.ProjectID, &a.Seq, &a.ID, &a.TaskID, &a.ExternalID, &a.StageID, &batches, &updated, &created,
		&a.PreLabeled, &data); err != nil {
		return nil, err
	}
	var err error
	if a.Batches, err = decodeList[string](batches); err != nil {
		return nil, fmt.Errorf("asset %q batches: %w", a.ExternalID, err)
	}
	a.UpdatedAt, a.CreatedAt = fromMicros(updated), fromMicros(created)
	a.Data = rawOrNil(data)
	return &a, nil
}

// assetOrderBy returns the ORDER BY list of p (over assets a), Seq last.
func assetOrderBy(p *store.AssetListParams) (string, error) {
	var parts []string
	for _, o := range p.OrderBy {
		if !o.Valid() {
			return "", fmt.Errorf("order assets by %q: unknown field", o.Field)
		}
		col := `a.` + string(o.Field)
		if o.Desc {
			col += ` DESC`
		}
		parts = append(parts, col)
	}
	return strings.Join(append(parts, `a.seq`), `, `), nil
}

// AssetListPage returns up to p.Limit assets with Seq > p.AfterSeq
// matching the filter of p, in p.OrderBy order (keyset paging on
// (project_id, seq) by default).
func (s *Store) AssetListPage(ctx context.Context, p *store.AssetListParams) ([]*store.Asset, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = store.DefaultAssetPageSize
	}
	order, err := assetOrderBy(p)
	if err != nil {
		return nil, err
	}
	where, args := assetWhere(p)
	args = append(args, p.AfterSeq, limit, max(p.Offset, 0))
	out, err := queryList(ctx, s.rdb, scanAsset,
		`SELECT `+assetColumns+` FROM assets a
		WHERE `+where+` AND a.seq > ? ORDER BY `+order+` LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list assets of project %s: %w", p.ProjectID, err)
	}
	return out, nil
}

// AssetListByTask returns the assets of org's projects whose task has id
// taskID, oldest project first.
func (s *Store) AssetListByTask(ctx context.Context, orgID, taskID string) ([]*store.Asset, error) {
	out, err := queryList(ctx, s.rdb, scanAsset,
		`SELECT `+assetColumns+` FROM assets a JOIN projects p ON p.id = a.project_id
		WHERE a.task_id = ? AND p.org_id = ? ORDER BY p.created_at, p.id`, taskID, orgID)
	if err != nil {
		return nil, fmt.Errorf("find task %s: %w", taskID, err)
	}
	return out, nil
}

// AssetCount returns the number of assets matching the filter of p.
func (s *Store) AssetCount(ctx context.Context, p *store.AssetListParams) (int64, error) {
	where, args := assetWhere(p)
	var n int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM assets a WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count assets of project %s: %w", p.ProjectID, interpretError(err))
	}
	return n, nil
}

// AssetCounts returns a project's asset counts in total, per stage id and
// per batch name, from one snapshot.
func (s *Store) AssetCounts(ctx context.Context, projectID string) (*store.AssetCounts, error) {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("count assets of project %s: %w", projectID, interpretError(err))
	}
	defer func() { _ = tx.Rollback() }() // read-only: nothing to keep
	c := &store.AssetCounts{ByStage: map[string]int64{}, ByBatch: map[string]int64{}}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM assets WHERE project_id = ?`, projectID).Scan(&c.Total); err != nil {
		return nil, fmt.Errorf("count assets of project %s: %w", projectID, interpretError(err))
	}
	group := func(into map[string]int64, query string) error {
		rows, err := tx.QueryContext(ctx, query, projectID)
		if err != nil {
			return interpretError(err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				k string
				n int64
			)
			if err := rows.Scan(&k, &n); err != nil {
				return interpretError(err)
			}
			into[k] = n
		}
		return interpretError(rows.Err())
	}
	if err := group(c.ByStage, `SELECT stage_id, count(*) FROM assets
		WHERE project_id = ? AND stage_id <> '' GROUP BY stage_id`); err != nil {
		return nil, fmt.Errorf("count assets of project %s by stage: %w", projectID, err)
	}
	if err := group(c.ByBatch, `SELECT batch, count(*) FROM asset_batches WHERE project_id = ? GROUP BY batch`); err != nil {
		return nil, fmt.Errorf("count assets of project %s by batch: %w", projectID, err)
	}
	return c, nil
}
