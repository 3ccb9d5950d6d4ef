package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/exporthub/exporthub/hub/store"
)

// AssetImport writes every row of p.Rows to project p.ProjectID in one
// transaction (see store.Store.AssetImport). Rows stream through COPY as
// they are read: in append mode straight into assets, in upsert mode into
// a temporary table that is then merged into assets.
func (s *Store) AssetImport(ctx context.Context, p *store.AssetImportParams) (*store.AssetImportResult, error) {
	mode, err := p.Mode.Check()
	if err != nil {
		return nil, fmt.Errorf("import assets: %w", err)
	}
	var res store.AssetImportResult
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		// FOR KEY SHARE keeps the project from being deleted under the import.
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM projects WHERE id = $1 FOR KEY SHARE`, p.ProjectID).Scan(&one); err != nil {
			return interpretError(err)
		}
		if p.Rows == nil {
			return nil
		}
		next, stop := iter.Pull2(p.Rows)
		defer stop()
		src := &assetSource{next: next, importTime: now()}
		if mode == store.ImportAppend {
			src.projectID = p.ProjectID
			n, err := tx.CopyFrom(ctx, pgx.Identifier{"assets"}, []string{"project_id", "external_id", "stage_id", "batches",
				"updated_at", "data", "created_at", "asset_id", "task_id", "pre_labeled"}, src)
			if err != nil {
				return src.copyError(err)
			}
			res.Inserted = int(n)
			return nil
		}
		return importUpsert(ctx, tx, p.ProjectID, src, &res)
	})
	if err != nil {
		return nil, fmt.Errorf("import assets into project %s: %w", p.ProjectID, err)
	}
	return &res, nil
}

// assetSource feeds the rows of an import to COPY, one at a time. With a
// projectID it yields assets rows; without, asset_import rows (ord first).
type assetSource struct {
	next       func() (*store.Asset, error, bool)
	projectID  string
	importTime time.Time
	n          int
	values     []any
	err        error
}

// Next reads the next row; false at the end or on an error (see Err).
func (src *assetSource) Next() bool {
	a, err, ok := src.next()
	if !ok {
		return false
	}
	if err != nil {
		src.err = err
		return false
	}
	src.n++
	switch {
	case a == nil:
		src.err = fmt.Errorf("asset %d: nil asset", src.n)
		return false
	case a.ExternalID == "":
		src.err = fmt.Errorf("asset %d: externalId is empty", src.n)
		return false
	}
	updated := src.importTime
	if !a.UpdatedAt.IsZero() {
		updated = a.UpdatedAt.UTC().Truncate(time.Microsecond)
	}
	data := []byte(a.Data)
	if data == nil {
		data = []byte{}
	}
	src.values = src.values[:0]
	if src.projectID != "" {
		// An assets row: a missing id is a new one.
		src.values = append(src.values, src.projectID, a.ExternalID, a.StageID, textArray(a.Batches), updated, data,
			src.importTime, cmp.Or(a.ID, store.NewID()), cmp.Or(a.TaskID, store.NewID()), a.PreLabeled)
		return true
	}
	// An asset_import row: the ids as given ('' keeps the stored ones on
	// an update) and new ones for an insert.
	src.values = append(src.values, int64(src.n), a.ExternalID, a.StageID, textArray(a.Batches), updated, data,
		src.importTime, a.ID, a.TaskID, a.PreLabeled, store.NewID(), store.NewID())
	return true
}

// Values returns the current row.
func (src *assetSource) Values() ([]any, error) {
	return src.values, nil
}

// Err returns the error that ended the rows, if any.
func (src *assetSource) Err() error {
	return src.err
}

var (
	copyLineRE = regexp.MustCompile(`(\d+)\s*$`)
	keyValueRE = regexp.MustCompile(`\)=\((?:[^,]*, )?(.*)\)`)
)

// copyError explains why COPY failed: the rows' own error, or the first
// duplicate key (its row number and value taken from the server's error,
// when it gives them).
func (src *assetSource) copyError(err error) error {
	if src.err != nil {
		return src.err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == codeUniqueViolation {
		where := "an asset"
		if m := copyLineRE.FindStringSubmatch(strings.SplitN(pgErr.Where, "\n", 2)[0]); m != nil {
			if n, convErr := strconv.Atoi(m[1]); convErr == nil {
				where = fmt.Sprintf("asset %d", n)
			}
		}
		return fmt.Errorf("%s: %w", where, uniqueAssetError(pgErr))
	}
	return interpretError(err)
}

// uniqueAssetError says which unique key of an asset (externalId,
// assetId, taskId) a unique violation is about, with its value when the
// server gives it.
func uniqueAssetError(pgErr *pgconn.PgError) error {
	id := ""
	if m := keyValueRE.FindStringSubmatch(pgErr.Detail); m != nil {
		id = fmt.Sprintf(" %q", m[1])
	}
	switch pgErr.ConstraintName {
	case "assets_project_task_id":
		return fmt.Errorf("taskId%s is already the task of another asset of the project or earlier in the input: %w", id, store.ErrConflict)
	case "assets_project_asset_id":
		return fmt.Errorf("assetId%s is already the id of another asset of the project or earlier in the input: %w", id, store.ErrConflict)
	}
	return fmt.Errorf("externalId%s is already in the project or earlier in the input: %w", id, store.ErrConflict)
}

// upsertError is interpretError with the unique key named.
func upsertError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == codeUniqueViolation {
		return uniqueAssetError(pgErr)
	}
	return interpretError(err)
}

// upsertIndexRows is the upsert size from which the temporary table gets
// indexes and statistics before the merge; below it they cost more than
// they save.
const upsertIndexRows = 5000

// importUpsert copies the rows into a temporary table, replaces the assets
// whose externalId exists and inserts the others in input order. An
// externalId twice in the input is written once: the last row's values at
// the first row's place.
func importUpsert(ctx context.Context, tx pgx.Tx, projectID string, src *assetSource, res *store.AssetImportResult) error {
	if _, err := tx.Exec(ctx, `CREATE TEMPORARY TABLE asset_import (
			ord bigint NOT NULL, external_id text NOT NULL, stage_id text NOT NULL, batches text[] NOT NULL,
			updated_at timestamptz NOT NULL, data bytea NOT NULL, created_at timestamptz NOT NULL,
			asset_id text NOT NULL, task_id text NOT NULL, pre_labeled boolean NOT NULL,
			new_asset_id text NOT NULL, new_task_id text NOT NULL
		) ON COMMIT DROP`); err != nil {
		return interpretError(err)
	}
	total, err := tx.CopyFrom(ctx, pgx.Identifier{"asset_import"}, []string{"ord", "external_id", "stage_id", "batches",
		"updated_at", "data", "created_at", "asset_id", "task_id", "pre_labeled", "new_asset_id", "new_task_id"}, src)
	if err != nil {
		return src.copyError(err)
	}
	if total == 0 {
		return nil
	}
	var steps []string
	if total >= upsertIndexRows {
		// Indexes and statistics let the merge use index scans in ord order
		// instead of sorting every row with its data.
		steps = append(steps,
			`CREATE INDEX ON asset_import (ord)`,
			`CREATE INDEX ON asset_import (external_id)`,
			`ANALYZE asset_import`)
	}
	steps = append(steps,
		// Keep the last row of each repeated externalId, at the first row's place.
		`WITH d AS (
			SELECT external_id, min(ord) AS first_ord, max(ord) AS last_ord
			FROM asset_import GROUP BY external_id HAVING count(*) > 1
		), gone AS (
			DELETE FROM asset_import i USING d
			WHERE i.external_id = d.external_id AND i.ord <> d.last_ord
		)
		UPDATE asset_import i SET ord = d.first_ord FROM d
		WHERE i.external_id = d.external_id AND i.ord = d.last_ord`,
		// An empty asset or task id keeps the stored one.
		`UPDATE assets a SET stage_id = i.stage_id, batches = i.batches, updated_at = i.updated_at, data = i.data,
			asset_id = coalesce(nullif(i.asset_id, ''), a.asset_id), task_id = coalesce(nullif(i.task_id, ''), a.task_id),
			pre_labeled = i.pre_labeled
		FROM asset_import i WHERE a.project_id = $1 AND a.external_id = i.external_id`)
	for _, q := range steps {
		var args []any
		if strings.Contains(q, "$1") {
			args = []any{projectID}
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return upsertError(err)
		}
	}
	tag, err := tx.Exec(ctx, `INSERT INTO assets (project_id, external_id, stage_id, batches, updated_at, data, created_at,
			asset_id, task_id, pre_labeled)
		SELECT $1, i.external_id, i.stage_id, i.batches, i.updated_at, i.data, i.created_at,
			coalesce(nullif(i.asset_id, ''), i.new_asset_id), coalesce(nullif(i.task_id, ''), i.new_task_id), i.pre_labeled
		FROM asset_import i
		WHERE NOT EXISTS (SELECT 1 FROM assets a WHERE a.project_id = $1 AND a.external_id = i.external_id)
		ORDER BY i.ord`, projectID)
	if err != nil {
		return upsertError(err)
	}
	res.Inserted = int(tag.RowsAffected())
	res.Updated = int(total) - res.Inserted
	return nil
}
