package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/store"
)

// issueColumns are the columns scanIssue reads, in order.
const issueColumns = `seq, id, org_id, project_id, task_id, asset_id, external_id, batches, stage_id, stage, content,
	status, error_code, error_type, error_codes, object_id, position, page, page_end, content_mentions, comments, extra,
	created_by, updated_by, created_at, updated_at`

// nullRaw encodes optional raw JSON: NULL when empty.
func nullRaw(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// rawOf decodes optional raw JSON.
func rawOf(v sql.NullString) json.RawMessage {
	if !v.Valid || v.String == "" {
		return nil
	}
	return json.RawMessage(v.String)
}

func scanIssue(row scanner) (*store.Issue, error) {
	var (
		i                                                          store.Issue
		batches, status                                            string
		errorCodes, position, page, pageEnd, mentions, comm, extra sql.NullString
		created, updated                                           int64
	)
	if err := row.Scan(&i.Seq, &i.ID, &i.OrgID, &i.ProjectID, &i.TaskID, &i.AssetID, &i.ExternalID, &batches, &i.StageID,
		&i.Stage, &i.Content, &status, &i.ErrorCode, &i.ErrorType, &errorCodes, &i.ObjectID, &position, &page, &pageEnd,
		&mentions, &comm, &extra, &i.CreatedBy, &i.UpdatedBy, &created, &updated); err != nil {
		return nil, err
	}
	var err error
	if i.Batches, err = decodeList[string](batches); err != nil {
		return nil, fmt.Errorf("issue %s batches: %w", i.ID, err)
	}
	i.Status = store.IssueStatus(status)
	i.ErrorCodes, i.Position, i.Page, i.PageEnd = rawOf(errorCodes), rawOf(position), rawOf(page), rawOf(pageEnd)
	i.ContentMentions, i.Comments, i.Extra = rawOf(mentions), rawOf(comm), rawOf(extra)
	i.CreatedAt, i.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &i, nil
}

// issueValues returns the values of the columns after seq, for an insert.
func issueValues(i *store.Issue) ([]any, error) {
	batches, err := encodeList(i.Batches)
	if err != nil {
		return nil, err
	}
	return []any{i.ID, i.OrgID, i.ProjectID, i.TaskID, i.AssetID, i.ExternalID, batches, i.StageID, i.Stage, i.Content,
		string(i.Status), i.ErrorCode, i.ErrorType, nullRaw(i.ErrorCodes), i.ObjectID, nullRaw(i.Position), nullRaw(i.Page),
		nullRaw(i.PageEnd), nullRaw(i.ContentMentions), nullRaw(i.Comments), nullRaw(i.Extra), i.CreatedBy, i.UpdatedBy,
		micros(i.CreatedAt), micros(i.UpdatedAt)}, nil
}

const issueInsert = `INSERT INTO issues (id, org_id, project_id, task_id, asset_id, external_id, batches, stage_id, stage,
	content, status, error_code, error_type, error_codes, object_id, position, page, page_end, content_mentions, comments,
	extra, created_by, updated_by, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`

// IssueInsert stores an issue.
func (s *Store) IssueInsert(ctx context.Context, i *store.Issue) error {
	i.CreatedAt = orNow(i.CreatedAt)
	if i.UpdatedAt.IsZero() {
		i.UpdatedAt = i.CreatedAt
	}
	i.UpdatedAt = orNow(i.UpdatedAt)
	values, err := issueValues(i)
	if err != nil {
		return fmt.Errorf("insert issue %s: %w", i.ID, err)
	}
	err = s.inWriteTx(ctx, func(tx *sql.Tx) error {
		return interpretError(tx.QueryRowContext(ctx, issueInsert, values...).Scan(&i.Seq))
	})
	if err != nil {
		return fmt.Errorf("insert issue %s: %w", i.ID, err)
	}
	return nil
}

// IssueImport writes every row of p.Rows in one transaction.
func (s *Store) IssueImport(ctx context.Context, p *store.IssueImportParams) (*store.IssueImportResult, error) {
	mode, err := p.Mode.Check()
	if err != nil {
		return nil, fmt.Errorf("import issues: %w", err)
	}
	var res store.IssueImportResult
	err = s.inWriteTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM projects WHERE org_id = ? AND id = ?`, p.OrgID, p.ProjectID).Scan(&one); err != nil {
			return interpretError(err)
		}
		if p.Rows == nil {
			return nil
		}
		insert, err := tx.PrepareContext(ctx, issueInsert)
		if err != nil {
			return interpretError(err)
		}
		defer insert.Close()
		n := 0
		for i, err := range p.Rows {
			if err != nil {
				return err
			}
			n++
			if i == nil {
				return fmt.Errorf("issue %d: nil issue", n)
			}
			i.OrgID, i.ProjectID = p.OrgID, p.ProjectID
			i.CreatedAt = orNow(i.CreatedAt)
			if i.UpdatedAt.IsZero() {
				i.UpdatedAt = i.CreatedAt
			}
			i.UpdatedAt = orNow(i.UpdatedAt)
			if mode == store.ImportUpsert {
				var project string
				switch err := tx.QueryRowContext(ctx, `SELECT project_id FROM issues WHERE org_id = ? AND id = ?`, i.OrgID, i.ID).Scan(&project); {
				case err == nil && project != p.ProjectID:
					return fmt.Errorf("issue %d: id %q is an issue of project %s: %w", n, i.ID, project, store.ErrConflict)
				case err == nil:
					if err := s.issueReplace(ctx, tx, i); err != nil {
						return fmt.Errorf("issue %d (id %q): %w", n, i.ID, err)
					}
					res.Updated++
					continue
				case !errors.Is(err, sql.ErrNoRows):
					return interpretError(err)
				}
			}
			values, err := issueValues(i)
			if err != nil {
				return fmt.Errorf("issue %d (id %q): %w", n, i.ID, err)
			}
			if err := insert.QueryRowContext(ctx, values...).Scan(&i.Seq); err != nil {
				err = interpretError(err)
				if errors.Is(err, store.ErrConflict) {
					return fmt.Errorf("issue %d: id %q is already an issue of the organization or earlier in the input: %w",
						n, i.ID, store.ErrConflict)
				}
				return fmt.Errorf("issue %d (id %q): %w", n, i.ID, err)
			}
			res.Inserted++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("import issues into project %s: %w", p.ProjectID, err)
	}
	return &res, nil
}

// issueReplace writes every field of i over the stored issue of its id.
func (s *Store) issueReplace(ctx context.Context, tx *sql.Tx, i *store.Issue) error {
	values, err := issueValues(i)
	if err != nil {
		return err
	}
	// values: id, org_id, project_id, then the fields from task_id on.
	args := append(values[3:], i.OrgID, i.ID)
	return interpretError(tx.QueryRowContext(ctx, `UPDATE issues SET task_id = ?, asset_id = ?, external_id = ?, batches = ?,
		stage_id = ?, stage = ?, content = ?, status = ?, error_code = ?, error_type = ?, error_codes = ?, object_id = ?,
		position = ?, page = ?, page_end = ?, content_mentions = ?, comments = ?, extra = ?, created_by = ?, updated_by = ?,
		created_at = ?, updated_at = ? WHERE org_id = ? AND id = ? RETURNING seq`, args...).Scan(&i.Seq))
}

// IssueGet returns an issue of org.
func (s *Store) IssueGet(ctx context.Context, orgID, id string) (*store.Issue, error) {
	i, err := scanIssue(s.rdb.QueryRowContext(ctx, `SELECT `+issueColumns+` FROM issues WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return nil, fmt.Errorf("get issue %s: %w", id, interpretError(err))
	}
	return i, nil
}

// issueWhere returns the WHERE clause and arguments of the filter of p.
func issueWhere(p *store.IssueListParams) (string, []any) {
	var sb strings.Builder
	args := []any{p.OrgID, p.ProjectID}
	sb.WriteString(`org_id = ? AND project_id = ?`)
	for _, f := range []struct{ column, value string }{{"task_id", p.TaskID}, {"asset_id", p.AssetID},
		{"stage_id", p.StageID}, {"created_by", p.CreatedBy}, {"status", string(p.Status)}} {
		if f.value != "" {
			sb.WriteString(` AND ` + f.column + ` = ?`)
			args = append(args, f.value)
		}
	}
	return sb.String(), args
}

// IssueList returns a page of a project's issues in Seq order.
func (s *Store) IssueList(ctx context.Context, p *store.IssueListParams) ([]*store.Issue, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = store.DefaultAssetPageSize
	}
	where, args := issueWhere(p)
	args = append(args, p.AfterSeq, limit, max(p.Offset, 0))
	out, err := queryList(ctx, s.rdb, scanIssue, `SELECT `+issueColumns+` FROM issues WHERE `+where+
		` AND seq > ? ORDER BY seq LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list issues of project %s: %w", p.ProjectID, err)
	}
	return out, nil
}

// IssueCount returns the number of issues matching p.
func (s *Store) IssueCount(ctx context.Context, p *store.IssueListParams) (int64, error) {
	where, args := issueWhere(p)
	var n int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM issues WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count issues of project %s: %w", p.ProjectID, interpretError(err))
	}
	return n, nil
}

// IssueUpdate writes the changeable fields of an issue.
func (s *Store) IssueUpdate(ctx context.Context, i *store.Issue) error {
	i.UpdatedAt = orNow(i.UpdatedAt)
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE issues SET content = ?, status = ?, error_code = ?, error_type = ?,
			error_codes = ?, object_id = ?, position = ?, page = ?, page_end = ?, content_mentions = ?, updated_by = ?,
			updated_at = ? WHERE org_id = ? AND id = ?`, i.Content, string(i.Status), i.ErrorCode, i.ErrorType,
			nullRaw(i.ErrorCodes), i.ObjectID, nullRaw(i.Position), nullRaw(i.Page), nullRaw(i.PageEnd),
			nullRaw(i.ContentMentions), i.UpdatedBy, micros(i.UpdatedAt), i.OrgID, i.ID)
		if err != nil {
			return interpretError(err)
		}
		if n, err := r.RowsAffected(); err != nil || n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update issue %s: %w", i.ID, err)
	}
	return nil
}

// IssueAddComment appends a comment to an issue in one write transaction.
func (s *Store) IssueAddComment(ctx context.Context, orgID, id string, comment json.RawMessage, by string, at time.Time) (*store.Issue, error) {
	at = orNow(at)
	var out *store.Issue
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		var comments sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT comments FROM issues WHERE org_id = ? AND id = ?`, orgID, id).Scan(&comments); err != nil {
			return interpretError(err)
		}
		list, err := store.AppendJSONList(rawOf(comments), comment)
		if err != nil {
			return err
		}
		out, err = scanIssue(tx.QueryRowContext(ctx, `UPDATE issues SET comments = ?, updated_by = ?, updated_at = ?
			WHERE org_id = ? AND id = ? RETURNING `+issueColumns, string(list), by, micros(at), orgID, id))
		return interpretError(err)
	})
	if err != nil {
		return nil, fmt.Errorf("comment on issue %s: %w", id, err)
	}
	return out, nil
}

// IssueDelete deletes an issue of org.
func (s *Store) IssueDelete(ctx context.Context, orgID, id string) error {
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM issues WHERE org_id = ? AND id = ?`, orgID, id)
		if err != nil {
			return interpretError(err)
		}
		if n, err := r.RowsAffected(); err != nil || n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete issue %s: %w", id, err)
	}
	return nil
}
