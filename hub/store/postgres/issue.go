package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/exporthub/exporthub/hub/store"
)

// issueColumns are the columns scanIssue reads, in order.
const issueColumns = `seq, id, org_id, project_id, task_id, asset_id, external_id, batches, stage_id, stage, content,
	status, error_code, error_type, error_codes, object_id, position, page, page_end, content_mentions, comments, extra,
	created_by, updated_by, created_at, updated_at`

// nullRaw encodes optional raw JSON for a text column: NULL when empty.
func nullRaw(b json.RawMessage) *string {
	if len(b) == 0 {
		return nil
	}
	s := string(b)
	return &s
}

// rawOf decodes optional raw JSON.
func rawOf(s *string) json.RawMessage {
	if s == nil || *s == "" {
		return nil
	}
	return json.RawMessage(*s)
}

func scanIssue(row pgx.Row) (*store.Issue, error) {
	var (
		i                                                          store.Issue
		status                                                     string
		errorCodes, position, page, pageEnd, mentions, comm, extra *string
	)
	if err := row.Scan(&i.Seq, &i.ID, &i.OrgID, &i.ProjectID, &i.TaskID, &i.AssetID, &i.ExternalID, &i.Batches, &i.StageID,
		&i.Stage, &i.Content, &status, &i.ErrorCode, &i.ErrorType, &errorCodes, &i.ObjectID, &position, &page, &pageEnd,
		&mentions, &comm, &extra, &i.CreatedBy, &i.UpdatedBy, &i.CreatedAt, &i.UpdatedAt); err != nil {
		return nil, err
	}
	i.Batches = listOrNil(i.Batches)
	i.Status = store.IssueStatus(status)
	i.ErrorCodes, i.Position, i.Page, i.PageEnd = rawOf(errorCodes), rawOf(position), rawOf(page), rawOf(pageEnd)
	i.ContentMentions, i.Comments, i.Extra = rawOf(mentions), rawOf(comm), rawOf(extra)
	i.CreatedAt, i.UpdatedAt = i.CreatedAt.UTC(), i.UpdatedAt.UTC()
	return &i, nil
}

// issueValues returns the values of the columns after seq, for an insert.
func issueValues(i *store.Issue) []any {
	return []any{i.ID, i.OrgID, i.ProjectID, i.TaskID, i.AssetID, i.ExternalID, textArray(i.Batches), i.StageID, i.Stage,
		i.Content, string(i.Status), i.ErrorCode, i.ErrorType, nullRaw(i.ErrorCodes), i.ObjectID, nullRaw(i.Position),
		nullRaw(i.Page), nullRaw(i.PageEnd), nullRaw(i.ContentMentions), nullRaw(i.Comments), nullRaw(i.Extra), i.CreatedBy,
		i.UpdatedBy, i.CreatedAt, i.UpdatedAt}
}

const issueInsert = `INSERT INTO issues (id, org_id, project_id, task_id, asset_id, external_id, batches, stage_id, stage,
	content, status, error_code, error_type, error_codes, object_id, position, page, page_end, content_mentions, comments,
	extra, created_by, updated_by, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)
	RETURNING seq`

// setIssueTimes sets the times of an issue about to be written.
func setIssueTimes(i *store.Issue) {
	i.CreatedAt = orNow(i.CreatedAt)
	if i.UpdatedAt.IsZero() {
		i.UpdatedAt = i.CreatedAt
	}
	i.UpdatedAt = orNow(i.UpdatedAt)
}

// IssueInsert stores an issue.
func (s *Store) IssueInsert(ctx context.Context, i *store.Issue) error {
	setIssueTimes(i)
	if err := s.pool.QueryRow(ctx, issueInsert, issueValues(i)...).Scan(&i.Seq); err != nil {
		return fmt.Errorf("insert issue %s: %w", i.ID, interpretError(err))
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
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM projects WHERE org_id = $1 AND id = $2 FOR KEY SHARE`, p.OrgID, p.ProjectID).Scan(&one); err != nil {
			return interpretError(err)
		}
		if p.Rows == nil {
			return nil
		}
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
			setIssueTimes(i)
			if mode == store.ImportUpsert {
				var project string
				switch err := tx.QueryRow(ctx, `SELECT project_id FROM issues WHERE org_id = $1 AND id = $2 FOR UPDATE`, i.OrgID, i.ID).Scan(&project); {
				case err == nil && project != p.ProjectID:
					return fmt.Errorf("issue %d: id %q is an issue of project %s: %w", n, i.ID, project, store.ErrConflict)
				case err == nil:
					v := issueValues(i)
					// v: id, org_id, project_id, then the fields from task_id on.
					err := tx.QueryRow(ctx, `UPDATE issues SET task_id = $4, asset_id = $5, external_id = $6, batches = $7,
						stage_id = $8, stage = $9, content = $10, status = $11, error_code = $12, error_type = $13,
						error_codes = $14, object_id = $15, position = $16, page = $17, page_end = $18, content_mentions = $19,
						comments = $20, extra = $21, created_by = $22, updated_by = $23, created_at = $24, updated_at = $25
						WHERE org_id = $2 AND id = $1 AND project_id = $3 RETURNING seq`, v...).Scan(&i.Seq)
					if err != nil {
						return fmt.Errorf("issue %d (id %q): %w", n, i.ID, interpretError(err))
					}
					res.Updated++
					continue
				case !errors.Is(err, pgx.ErrNoRows):
					return interpretError(err)
				}
			}
			if err := tx.QueryRow(ctx, issueInsert, issueValues(i)...).Scan(&i.Seq); err != nil {
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

// IssueGet returns an issue of org.
func (s *Store) IssueGet(ctx context.Context, orgID, id string) (*store.Issue, error) {
	i, err := scanIssue(s.pool.QueryRow(ctx, `SELECT `+issueColumns+` FROM issues WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil {
		return nil, fmt.Errorf("get issue %s: %w", id, interpretError(err))
	}
	return i, nil
}

// issueWhere returns the WHERE clause and arguments of the filter of p;
// more arguments follow from $len(args)+1.
func issueWhere(p *store.IssueListParams) (string, []any) {
	where := `org_id = $1 AND project_id = $2`
	args := []any{p.OrgID, p.ProjectID}
	for _, f := range []struct{ column, value string }{{"task_id", p.TaskID}, {"asset_id", p.AssetID},
		{"stage_id", p.StageID}, {"created_by", p.CreatedBy}, {"status", string(p.Status)}} {
		if f.value != "" {
			args = append(args, f.value)
			where += fmt.Sprintf(` AND %s = $%d`, f.column, len(args))
		}
	}
	return where, args
}

// IssueList returns a page of a project's issues in Seq order.
func (s *Store) IssueList(ctx context.Context, p *store.IssueListParams) ([]*store.Issue, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = store.DefaultAssetPageSize
	}
	where, args := issueWhere(p)
	args = append(args, p.AfterSeq, limit, max(p.Offset, 0))
	out, err := queryList(ctx, s.pool, scanIssue, fmt.Sprintf(`SELECT %s FROM issues WHERE %s AND seq > $%d
		ORDER BY seq LIMIT $%d OFFSET $%d`, issueColumns, where, len(args)-2, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list issues of project %s: %w", p.ProjectID, err)
	}
	return out, nil
}

// IssueCount returns the number of issues matching p.
func (s *Store) IssueCount(ctx context.Context, p *store.IssueListParams) (int64, error) {
	where, args := issueWhere(p)
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM issues WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count issues of project %s: %w", p.ProjectID, interpretError(err))
	}
	return n, nil
}

// IssueUpdate writes the changeable fields of an issue.
func (s *Store) IssueUpdate(ctx context.Context, i *store.Issue) error {
	i.UpdatedAt = orNow(i.UpdatedAt)
	err := s.execOne(ctx, `UPDATE issues SET content = $3, status = $4, error_code = $5, error_type = $6, error_codes = $7,
		object_id = $8, position = $9, page = $10, page_end = $11, content_mentions = $12, updated_by = $13, updated_at = $14
		WHERE org_id = $1 AND id = $2`, i.OrgID, i.ID, i.Content, string(i.Status), i.ErrorCode, i.ErrorType,
		nullRaw(i.ErrorCodes), i.ObjectID, nullRaw(i.Position), nullRaw(i.Page), nullRaw(i.PageEnd),
		nullRaw(i.ContentMentions), i.UpdatedBy, i.UpdatedAt)
	if err != nil {
		return fmt.Errorf("update issue %s: %w", i.ID, err)
	}
	return nil
}

// IssueAddComment appends a comment to an issue, the row locked.
func (s *Store) IssueAddComment(ctx context.Context, orgID, id string, comment json.RawMessage, by string, at time.Time) (*store.Issue, error) {
	at = orNow(at)
	var out *store.Issue
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var comments *string
		if err := tx.QueryRow(ctx, `SELECT comments FROM issues WHERE org_id = $1 AND id = $2 FOR UPDATE`, orgID, id).Scan(&comments); err != nil {
			return interpretError(err)
		}
		list, err := store.AppendJSONList(rawOf(comments), comment)
		if err != nil {
			return err
		}
		out, err = scanIssue(tx.QueryRow(ctx, `UPDATE issues SET comments = $3, updated_by = $4, updated_at = $5
			WHERE org_id = $1 AND id = $2 RETURNING `+issueColumns, orgID, id, string(list), by, at))
		return interpretError(err)
	})
	if err != nil {
		return nil, fmt.Errorf("comment on issue %s: %w", id, err)
	}
	return out, nil
}

// IssueDelete deletes an issue of org.
func (s *Store) IssueDelete(ctx context.Context, orgID, id string) error {
	if err := s.execOne(ctx, `DELETE FROM issues WHERE org_id = $1 AND id = $2`, orgID, id); err != nil {
		return fmt.Errorf("delete issue %s: %w", id, err)
	}
	return nil
}
