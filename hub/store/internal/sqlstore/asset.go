package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/store"
)

// assetWhere returns the WHERE clause (over assets a) and its arguments for
// the filter of p.
func (s *Store) assetWhere(p *store.AssetListParams) (string, []any) {
	var (
		sb   strings.Builder
		args = []any{p.ProjectID}
	)
	sb.WriteString(`a.project_id = ?`)
	and := func(cond string, condArgs []any) {
		sb.WriteString(` AND ` + cond)
		args = append(args, condArgs...)
	}
	for _, f := range []struct {
		column string
		values []string
	}{{`a.stage_id`, p.StageIDs}, {`a.asset_id`, p.IDs}, {`a.task_id`, p.TaskIDs}, {`a.external_id`, p.ExternalIDs}} {
		if len(f.values) > 0 {
			and(s.d.InFunc(f.column, f.values))
		}
	}
	for _, b := range []struct {
		cond string
		t    time.Time
	}{{`a.updated_at > ?`, p.UpdatedAfter}, {`a.updated_at < ?`, p.UpdatedBefore},
		{`a.created_at > ?`, p.CreatedAfter}, {`a.created_at < ?`, p.CreatedBefore}} {
		if !b.t.IsZero() {
			and(b.cond, []any{s.d.TimeFunc(b.t.UTC())})
		}
	}
	if len(p.Batches) > 0 {
		and(s.d.BatchesFunc(false, p.Batches))
	}
	if len(p.AllBatches) > 0 {
		and(s.d.BatchesFunc(true, p.AllBatches))
	}
	if p.PreLabeled != nil {
		and(`a.pre_labeled = ?`, []any{*p.PreLabeled})
	}
	return sb.String(), args
}

// assetColumns are the columns scanAsset reads, over assets a.
const assetColumns = `a.project_id, a.seq, a.asset_id, a.task_id, a.external_id, a.stage_id, a.batches, a.updated_at,
	a.created_at, a.pre_labeled, a.data`

func (s *Store) scanAsset(row Row) (*store.Asset, error) {
	var (
		a    store.Asset
		data []byte
	)
	if err := row.Scan(&a.ProjectID, &a.Seq, &a.ID, &a.TaskID, &a.ExternalID, &a.StageID, s.d.ScanListFunc(&a.Batches),
		TimeDest(&a.UpdatedAt), TimeDest(&a.CreatedAt), &a.PreLabeled, &data); err != nil {
		return nil, err
	}
	a.Batches = listOrNil(a.Batches)
	a.Data = rawOrNil(data)
	return &a, nil
}

// assetOrderBy returns the ORDER BY list of p (over assets a), Seq last.
// Text sorts byte-wise.
func (s *Store) assetOrderBy(p *store.AssetListParams) (string, error) {
	var parts []string
	for _, o := range p.OrderBy {
		if !o.Valid() {
			return "", fmt.Errorf("order assets by %q: unknown field", o.Field)
		}
		col := `a.` + string(o.Field)
		switch o.Field {
		case store.AssetOrderExternalID, store.AssetOrderStageID, store.AssetOrderTaskID, store.AssetOrderID:
			col += s.d.Collate
		}
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
	order, err := s.assetOrderBy(p)
	if err != nil {
		return nil, err
	}
	where, args := s.assetWhere(p)
	args = append(args, p.AfterSeq, limit, max(p.Offset, 0))
	out, err := List(ctx, s, s.db.Read, s.scanAsset, `SELECT `+assetColumns+` FROM assets a
		WHERE `+where+` AND a.seq > ? ORDER BY `+order+` LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list assets of project %s: %w", p.ProjectID, err)
	}
	return out, nil
}

// AssetListByTask returns the assets of org's projects whose task has id
// taskID, oldest project first.
func (s *Store) AssetListByTask(ctx context.Context, orgID, taskID string) ([]*store.Asset, error) {
	out, err := List(ctx, s, s.db.Read, s.scanAsset, `SELECT `+assetColumns+` FROM assets a JOIN projects p ON p.id = a.project_id
		WHERE a.task_id = ? AND p.org_id = ? ORDER BY p.created_at, p.id`, taskID, orgID)
	if err != nil {
		return nil, fmt.Errorf("find task %s: %w", taskID, err)
	}
	return out, nil
}

// AssetCount returns the number of assets matching the filter of p.
func (s *Store) AssetCount(ctx context.Context, p *store.AssetListParams) (int64, error) {
	where, args := s.assetWhere(p)
	n, err := s.count(ctx, s.db.Read, `SELECT count(*) FROM assets a WHERE `+where, args...)
	if err != nil {
		return 0, fmt.Errorf("count assets of project %s: %w", p.ProjectID, err)
	}
	return n, nil
}

// AssetCounts returns a project's asset counts in total, per stage id and
// per batch name, from one snapshot.
func (s *Store) AssetCounts(ctx context.Context, projectID string) (*store.AssetCounts, error) {
	c := &store.AssetCounts{ByStage: map[string]int64{}, ByBatch: map[string]int64{}}
	err := s.db.InSnapshotFunc(ctx, func(q Querier) error {
		var err error
		if c.Total, err = s.count(ctx, q, `SELECT count(*) FROM assets WHERE project_id = ?`, projectID); err != nil {
			return err
		}
		group := func(into map[string]int64, query string) error {
			rows, err := q.Query(ctx, s.bind(query), projectID)
			if err != nil {
				return s.err(err)
			}
			defer rows.Close()
			for rows.Next() {
				var (
					k string
					n int64
				)
				if err := rows.Scan(&k, &n); err != nil {
					return s.err(err)
				}
				into[k] = n
			}
			return s.err(rows.Err())
		}
		if err := group(c.ByStage, `SELECT stage_id, count(*) FROM assets
			WHERE project_id = ? AND stage_id <> '' GROUP BY stage_id`); err != nil {
			return fmt.Errorf("by stage: %w", err)
		}
		if err := group(c.ByBatch, s.d.BatchCounts); err != nil {
			return fmt.Errorf("by batch: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count assets of project %s: %w", projectID, err)
	}
	return c, nil
}
