package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/exporthub/exporthub/hub/store"
)

// issueColumns are the columns scanIssue reads, in order.
const issueColumns = `seq, id, org_id, project_id, task_id, asset_id, external_id, batches, stage_id, stage, content,
	status, error_code, error_type, error_codes, object_id, position, page, page_end, content_mentions, comments, extra,
	created_by, updated_by, created_at, updated_at`

// issueWritten are the columns issueValues gives, in order: those after
// seq.
const issueWritten = `id, org_id, project_id, task_id, asset_id, external_id, batches, stage_id, stage, content, status,
	error_code, error_type, error_codes, object_id, position, page, page_end, content_mentions, comments, extra,
	created_by, updated_by, created_at, updated_at`

const issueInsert = `INSERT INTO issues (` + issueWritten + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
	?, ?, ?, ?, ?, ?, ?) RETURNING seq`

func (s *Store) scanIssue(row Row) (*store.Issue, error) {
	var (
		i                                                          store.Issue
		status                                                     string
		errorCodes, position, page, pageEnd, mentions, comm, extra *string
	)
	if err := row.Scan(&i.Seq, &i.ID, &i.OrgID, &i.ProjectID, &i.TaskID, &i.AssetID, &i.ExternalID,
		s.d.ScanListFunc(&i.Batches), &i.StageID, &i.Stage, &i.Content, &status, &i.ErrorCode, &i.ErrorType, &errorCodes,
		&i.ObjectID, &position, &page, &pageEnd, &mentions, &comm, &extra, &i.CreatedBy, &i.UpdatedBy,
		TimeDest(&i.CreatedAt), TimeDest(&i.UpdatedAt)); err != nil {
		return nil, err
	}
	i.Batches = listOrNil(i.Batches)
	i.Status = store.IssueStatus(status)
	i.ErrorCodes, i.Position, i.Page, i.PageEnd = rawOf(errorCodes), rawOf(position), rawOf(page), rawOf(pageEnd)
	i.ContentMentions, i.Comments, i.Extra = rawOf(mentions), rawOf(comm), rawOf(extra)
	return &i, nil
}

// issueValues returns the values of issueWritten.
func (s *Store) issueValues(i *store.Issue) ([]any, error) {
	batches, err := s.d.ListFunc(i.Batches)
	if err != nil {
		return nil, err
	}
	return []any{i.ID, i.OrgID, i.ProjectID, i.TaskID, i.AssetID, i.ExternalID, batches, i.StageID, i.Stage, i.Content,
		string(i.Status), i.ErrorCode, i.ErrorType, nullRaw(i.ErrorCodes), i.ObjectID, nullRaw(i.Position), nullRaw(i.Page),
		nullRaw(i.PageEnd), nullRaw(i.ContentMentions), nullRaw(i.Comments), nullRaw(i.Extra), i.CreatedBy, i.UpdatedBy,
		s.d.TimeFunc(i.CreatedAt), s.d.TimeFunc(i.UpdatedAt)}, nil
}

// setIssueTimes sets the times of an issue about to be written.
func setIssueTimes(i *store.Issue) {
	i.CreatedAt = OrNow(i.CreatedAt)
	if i.UpdatedAt.IsZero() {
		i.UpdatedAt = i.CreatedAt
	}
	i.UpdatedAt = OrNow(i.UpdatedAt)
}

// IssueInsert stores an issue.
func (s *Store) IssueInsert(ctx context.Context, i *store.Issue) error {
	setIssueTimes(i)
	values, err := s.issueValues(i)
	if err != nil {
		return fmt.Errorf("insert issue %s: %w", i.ID, err)
	}
	if err := s.db.Write.QueryRow(ctx, s.bind(issueInsert), values...).Scan(&i.Seq); err != nil {
		return fmt.Errorf("insert issue %s: %w", i.ID, s.err(err))
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
	err = s.db.InTxFunc(ctx, func(q Querier) error {
		var one int
		if err := q.QueryRow(ctx, s.bind(`SELECT 1 FROM projects WHERE org_id = ? AND id = ?`+s.d.ForKeyShare),
			p.OrgID, p.ProjectID).Scan(&one); err != nil {
			return s.err(err)
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
			updated, err := s.issueImportOne(ctx, q, n, i, mode)
			if err != nil {
				return err
			}
			if updated {
				res.Updated++
			} else {
				res.Inserted++
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("import issues into project %s: %w", p.ProjectID, err)
	}
	return &res, nil
}

// issueImportOne writes the n-th issue of an import and reports whether
// it replaced a stored one (upsert mode only).
func (s *Store) issueImportOne(ctx context.Context, q Querier, n int, i *store.Issue, mode store.ImportMode) (bool, error) {
	values, err := s.issueValues(i)
	if err != nil {
		return false, fmt.Errorf("issue %d (id %q): %w", n, i.ID, err)
	}
	if mode == store.ImportUpsert {
		var project string
		err := q.QueryRow(ctx, s.bind(`SELECT project_id FROM issues WHERE org_id = ? AND id = ?`+s.d.ForUpdate),
			i.OrgID, i.ID).Scan(&project)
		switch err = s.err(err); {
		case err == nil && project != i.ProjectID:
			return false, fmt.Errorf("issue %d: id %q is an issue of project %s: %w", n, i.ID, project, store.ErrConflict)
		case err == nil:
			// values: id, org_id, project_id, then the fields from task_id on.
			err := q.QueryRow(ctx, s.bind(`UPDATE issues SET task_id = ?, asset_id = ?, external_id = ?, batches = ?,
				stage_id = ?, stage = ?, content = ?, status = ?, error_code = ?, error_type = ?, error_codes = ?,
				object_id = ?, position = ?, page = ?, page_end = ?, content_mentions = ?, comments = ?, extra = ?,
				created_by = ?, updated_by = ?, created_at = ?, updated_at = ? WHERE org_id = ? AND id = ? RETURNING seq`),
				append(values[3:], i.OrgID, i.ID)...).Scan(&i.Seq)
			if err != nil {
				return false, fmt.Errorf("issue %d (id %q): %w", n, i.ID, s.err(err))
			}
			return true, nil
		case !errors.Is(err, store.ErrNotFound):
			return false, err
		}
	}
	if err := q.QueryRow(ctx, s.bind(issueInsert), values...).Scan(&i.Seq); err != nil {
		err = s.err(err)
		if errors.Is(err, store.ErrConflict) {
			return false, fmt.Errorf("issue %d: id %q is already an issue of the organization or earlier in the input: %w",
				n, i.ID, store.ErrConflict)
		}
		return false, fmt.Errorf("issue %d (id %q): %w", n, i.ID, err)
	}
	return false, nil
}

// IssueGet returns an issue of org.
func (s *Store) IssueGet(ctx context.Context, orgID, id string) (*store.Issue, error) {
	i, err := Get(ctx, s, s.db.Read, s.scanIssue, `SELECT `+issueColumns+` FROM issues WHERE org_id = ? AND id = ?`, orgID, id)
	if err != nil {
		return nil, fmt.Errorf("get issue %s: %w", id, err)
	}
	return i, nil
}

// issueWhere returns the WHERE clause and arguments of the filter of p.
func issueWhere(p *store.IssueListParams) (string, []any) {
	where := `org_id = ? AND project_id = ?`
	args := []any{p.OrgID, p.ProjectID}
	for _, f := range []struct{ column, value string }{{"task_id", p.TaskID}, {"asset_id", p.AssetID},
		{"stage_id", p.StageID}, {"created_by", p.CreatedBy}, {"status", string(p.Status)}} {
		if f.value != "" {
			where += ` AND ` + f.column + ` = ?`
			args = append(args, f.value)
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
	out, err := List(ctx, s, s.db.Read, s.scanIssue, `SELECT `+issueColumns+` FROM issues WHERE `+where+
		` AND seq > ? ORDER BY seq LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list issues of project %s: %w", p.ProjectID, err)
	}
	return out, nil
}

// IssueCount returns the number of issues matching p.
func (s *Store) IssueCount(ctx context.Context, p *store.IssueListParams) (int64, error) {
	where, args := issueWhere(p)
	n, err := s.count(ctx, s.db.Read, `SELECT count(*) FROM issues WHERE `+where, args...)
	if err != nil {
		return 0, fmt.Errorf("count issues of project %s: %w", p.ProjectID, err)
	}
	return n, nil
}

// IssueUpdate writes the changeable fields of an issue.
func (s *Store) IssueUpdate(ctx context.Context, i *store.Issue) error {
	i.UpdatedAt = OrNow(i.UpdatedAt)
	err := s.execOne(ctx, `UPDATE issues SET content = ?, status = ?, error_code = ?, error_type = ?, error_codes = ?,
		object_id = ?, position = ?, page = ?, page_end = ?, content_mentions = ?, updated_by = ?, updated_at = ?
		WHERE org_id = ? AND id = ?`, i.Content, string(i.Status), i.ErrorCode, i.ErrorType, nullRaw(i.ErrorCodes),
		i.ObjectID, nullRaw(i.Position), nullRaw(i.Page), nullRaw(i.PageEnd), nullRaw(i.ContentMentions), i.UpdatedBy,
		s.d.TimeFunc(i.UpdatedAt), i.OrgID, i.ID)
	if err != nil {
		return fmt.Errorf("update issue %s: %w", i.ID, err)
	}
	return nil
}

// IssueAddComment appends a comment to an issue in one transaction, the
// row locked.
func (s *Store) IssueAddComment(ctx context.Context, orgID, id string, comment json.RawMessage, by string, at time.Time) (*store.Issue, error) {
	at = OrNow(at)
	var out *store.Issue
	err := s.db.InTxFunc(ctx, func(q Querier) error {
		var comments *string
		if err := q.QueryRow(ctx, s.bind(`SELECT comments FROM issues WHERE org_id = ? AND id = ?`+s.d.ForUpdate),
			orgID, id).Scan(&comments); err != nil {
			return s.err(err)
		}
		list, err := store.AppendJSONList(rawOf(comments), comment)
		if err != nil {
			return err
		}
		out, err = Get(ctx, s, q, s.scanIssue, `UPDATE issues SET comments = ?, updated_by = ?, updated_at = ?
			WHERE org_id = ? AND id = ? RETURNING `+issueColumns, string(list), by, s.d.TimeFunc(at), orgID, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("comment on issue %s: %w", id, err)
	}
	return out, nil
}

// IssueDelete deletes an issue of org.
func (s *Store) IssueDelete(ctx context.Context, orgID, id string) error {
	if err := s.execOne(ctx, `DELETE FROM issues WHERE org_id = ? AND id = ?`, orgID, id); err != nil {
		return fmt.Errorf("delete issue %s: %w", id, err)
	}
	return nil
}
