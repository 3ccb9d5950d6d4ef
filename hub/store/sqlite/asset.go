package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/exporthub/exporthub/hub/store"
)

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
	batches, err := store.EncodeJSONList(a.Batches)
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
