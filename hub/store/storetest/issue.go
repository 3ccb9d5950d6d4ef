package storetest

import (
	"encoding/json"
	"fmt"
	"iter"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

// genIssue returns issue n of a project: a mix of tasks ("t0".."t2"),
// stages, authors and states, raw JSON kept byte for byte.
func genIssue(orgID, projectID string, n int) *store.Issue {
	i := &store.Issue{
		ID: fmt.Sprintf("issue-%03d", n), OrgID: orgID, ProjectID: projectID,
		TaskID: fmt.Sprintf("t%d", n%3), AssetID: fmt.Sprintf("a%d", n%3), ExternalID: fmt.Sprintf("img-%d.jpg", n%3),
		Batches: []string{"night"}, StageID: "Label", Stage: "Labeling", Content: fmt.Sprintf("fix box %d", n),
		Status: store.IssueOpen, ErrorCode: "E1", ErrorType: "Geometry", ErrorCodes: json.RawMessage(`[{"key": "E1"}]`),
		ObjectID: "obj-1", Position: json.RawMessage(`"[120.5, 80]"`), Page: json.RawMessage(`2`), PageEnd: json.RawMessage(`3`),
		ContentMentions: json.RawMessage(`[{"userEmail": "b@example.com"}]`),
		Comments:        json.RawMessage(`[{"content": "seen",  "createdBy": "b@example.com"}]`),
		Extra:           json.RawMessage(`{"pctDetails": {"frame": 1}}`),
		CreatedBy:       fmt.Sprintf("user%d@example.com", n%2), UpdatedBy: "b@example.com",
		CreatedAt: at(n), UpdatedAt: at(n + 1),
	}
	if n%4 == 3 {
		i.Status = store.IssueResolved
		i.StageID, i.Stage = "Review", "QA"
		i.ErrorCodes, i.Position, i.Page, i.PageEnd, i.ContentMentions, i.Comments, i.Extra, i.Batches = nil, nil, nil, nil, nil, nil, nil, nil
	}
	return i
}

// storedIssue is what a store gives back for issue i (Seq aside).
func storedIssue(i *store.Issue) *store.Issue {
	out := *i
	out.CreatedAt, out.UpdatedAt = norm(i.CreatedAt), norm(i.UpdatedAt)
	out.Seq = 0
	return &out
}

func issueRows(list []*store.Issue) iter.Seq2[*store.Issue, error] {
	return func(yield func(*store.Issue, error) bool) {
		for _, i := range list {
			if !yield(i, nil) {
				return
			}
		}
	}
}

func issueIDs(list []*store.Issue) []string {
	return ids(list, func(i *store.Issue) string { return i.ID })
}

func withoutIssueSeq(list []*store.Issue) []*store.Issue {
	out := make([]*store.Issue, len(list))
	for k, i := range list {
		c := *i
		c.Seq = 0
		out[k] = &c
	}
	return out
}

func testIssue(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("InsertGet", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		for n := range 4 {
			in := genIssue(o.ID, p.ID, n)
			require.NoError(t, b.s.IssueInsert(b.ctx, in))
			require.Positive(t, in.Seq)
			got, err := b.s.IssueGet(b.ctx, o.ID, in.ID)
			require.NoError(t, err)
			require.Equal(t, in.Seq, got.Seq)
			require.Equal(t, storedIssue(genIssue(o.ID, p.ID, n)), withoutIssueSeq([]*store.Issue{got})[0],
				"every field is kept; raw JSON byte for byte; empty raw JSON and lists read back nil")
		}
		bare := &store.Issue{ID: "bare", OrgID: o.ID, ProjectID: p.ID, Status: store.IssueOpen}
		require.NoError(t, b.s.IssueInsert(b.ctx, bare))
		got, err := b.s.IssueGet(b.ctx, o.ID, "bare")
		require.NoError(t, err)
		require.False(t, got.CreatedAt.IsZero(), "a zero CreatedAt becomes now")
		require.Equal(t, got.CreatedAt, got.UpdatedAt, "a zero UpdatedAt is the CreatedAt")
	})

	t.Run("InsertConflictsAndScope", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o, other := b.org(), b.org()
		p, q := b.project(o.ID), b.project(other.ID)
		require.NoError(t, b.s.IssueInsert(b.ctx, genIssue(o.ID, p.ID, 0)))
		err := b.s.IssueInsert(b.ctx, genIssue(o.ID, b.project(o.ID).ID, 0))
		require.ErrorIs(t, err, store.ErrConflict, "ids are unique in an organization")
		require.NoError(t, b.s.IssueInsert(b.ctx, genIssue(other.ID, q.ID, 0)), "the same id in another organization")
		err = b.s.IssueInsert(b.ctx, genIssue(o.ID, q.ID, 1))
		require.ErrorIs(t, err, store.ErrNotFound, "a project of another organization")
		_, err = b.s.IssueGet(b.ctx, other.ID, genIssue(o.ID, p.ID, 1).ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		got, err := b.s.IssueGet(b.ctx, other.ID, "issue-000")
		require.NoError(t, err)
		require.Equal(t, q.ID, got.ProjectID, "each organization sees its own")
	})

	t.Run("ListFiltersAndPages", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p, other := b.project(o.ID), b.project(o.ID)
		var all []*store.Issue
		for n := range 12 {
			i := genIssue(o.ID, p.ID, n)
			require.NoError(t, b.s.IssueInsert(b.ctx, i))
			all = append(all, i)
			if n < 3 {
				o2 := genIssue(o.ID, other.ID, n)
				o2.ID = "other-" + o2.ID
				require.NoError(t, b.s.IssueInsert(b.ctx, o2))
			}
		}
		filters := []struct {
			name   string
			params store.IssueListParams
			keep   func(*store.Issue) bool
		}{
			{"All", store.IssueListParams{}, func(*store.Issue) bool { return true }},
			{"Task", store.IssueListParams{TaskID: "t1"}, func(i *store.Issue) bool { return i.TaskID == "t1" }},
			{"Asset", store.IssueListParams{AssetID: "a2"}, func(i *store.Issue) bool { return i.AssetID == "a2" }},
			{"Stage", store.IssueListParams{StageID: "Review"}, func(i *store.Issue) bool { return i.StageID == "Review" }},
			{"CreatedBy", store.IssueListParams{CreatedBy: "user1@example.com"}, func(i *store.Issue) bool { return i.CreatedBy == "user1@example.com" }},
			{"StatusAndTask", store.IssueListParams{Status: store.IssueResolved, TaskID: "t0"},
				func(i *store.Issue) bool { return i.Status == store.IssueResolved && i.TaskID == "t0" }},
			{"None", store.IssueListParams{TaskID: "nope"}, func(*store.Issue) bool { return false }},
		}
		for _, f := range filters {
			params := f.params
			params.OrgID, params.ProjectID = o.ID, p.ID
			want := []string{}
			for _, i := range all {
				if f.keep(i) {
					want = append(want, i.ID)
				}
			}
			var got []string
			params.Limit = 2
			for params.Offset = 0; ; params.Offset += 2 {
				page, err := b.s.IssueList(b.ctx, &params)
				require.NoError(t, err)
				if len(page) == 0 {
					break
				}
				got = append(got, issueIDs(page)...)
			}
			require.Equal(t, want, append([]string{}, got...), "filter %s, paged by offset", f.name)
			n, err := b.s.IssueCount(b.ctx, &params)
			require.NoError(t, err)
			require.Equal(t, int64(len(want)), n, "count with filter %s", f.name)
		}
		page, err := b.s.IssueList(b.ctx, &store.IssueListParams{OrgID: o.ID, ProjectID: p.ID, AfterSeq: all[9].Seq})
		require.NoError(t, err)
		require.Equal(t, []string{all[10].ID, all[11].ID}, issueIDs(page), "keyset paging after a Seq")
		none, err := b.s.IssueList(b.ctx, &store.IssueListParams{OrgID: b.org().ID, ProjectID: p.ID})
		require.NoError(t, err)
		require.Empty(t, none, "another organization lists nothing of the project")
	})

	t.Run("UpdateCommentDelete", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o, other := b.org(), b.org()
		p := b.project(o.ID)
		i := genIssue(o.ID, p.ID, 0)
		require.NoError(t, b.s.IssueInsert(b.ctx, i))

		i.Content, i.Status, i.ErrorCode, i.ErrorType = "fixed box", store.IssueResolved, "E2", "Class"
		i.ErrorCodes, i.Position, i.ObjectID, i.Page, i.PageEnd, i.ContentMentions = nil, json.RawMessage(`[1,2]`), "", nil, nil, nil
		i.UpdatedBy, i.UpdatedAt = "c@example.com", at(50)
		require.NoError(t, b.s.IssueUpdate(b.ctx, i))
		got, err := b.s.IssueGet(b.ctx, o.ID, i.ID)
		require.NoError(t, err)
		want := storedIssue(i)
		want.Seq = got.Seq
		require.Equal(t, want, got)

		c1 := json.RawMessage(`{"_id": "c1", "content": "why?"}`)
		got, err = b.s.IssueAddComment(b.ctx, o.ID, i.ID, c1, "d@example.com", at(60))
		require.NoError(t, err)
		require.Equal(t, `[{"content": "seen",  "createdBy": "b@example.com"},{"_id": "c1", "content": "why?"}]`, string(got.Comments),
			"a comment is appended; the others are kept byte for byte")
		require.Equal(t, "d@example.com", got.UpdatedBy)
		require.Equal(t, norm(at(60)), got.UpdatedAt)
		bare := &store.Issue{ID: "bare", OrgID: o.ID, ProjectID: p.ID, Status: store.IssueOpen}
		require.NoError(t, b.s.IssueInsert(b.ctx, bare))
		got, err = b.s.IssueAddComment(b.ctx, o.ID, "bare", c1, "d@example.com", at(61))
		require.NoError(t, err)
		require.Equal(t, `[{"_id": "c1", "content": "why?"}]`, string(got.Comments))

		for _, org := range []string{other.ID} {
			_, err = b.s.IssueAddComment(b.ctx, org, i.ID, c1, "x", at(1))
			require.ErrorIs(t, err, store.ErrNotFound)
			err = b.s.IssueUpdate(b.ctx, &store.Issue{ID: i.ID, OrgID: org, Status: store.IssueOpen})
			require.ErrorIs(t, err, store.ErrNotFound)
			require.ErrorIs(t, b.s.IssueDelete(b.ctx, org, i.ID), store.ErrNotFound)
		}
		require.NoError(t, b.s.IssueDelete(b.ctx, o.ID, i.ID))
		_, err = b.s.IssueGet(b.ctx, o.ID, i.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, b.s.IssueDelete(b.ctx, o.ID, i.ID), store.ErrNotFound)
		require.ErrorIs(t, b.s.IssueUpdate(b.ctx, i), store.ErrNotFound)
	})

	t.Run("Import", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p, other := b.project(o.ID), b.project(o.ID)
		in := []*store.Issue{genIssue("", "", 0), genIssue("", "", 1), genIssue("", "", 2)}
		res, err := b.s.IssueImport(b.ctx, &store.IssueImportParams{OrgID: o.ID, ProjectID: p.ID, Rows: issueRows(in)})
		require.NoError(t, err)
		require.Equal(t, &store.IssueImportResult{Inserted: 3}, res)
		list, err := b.s.IssueList(b.ctx, &store.IssueListParams{OrgID: o.ID, ProjectID: p.ID})
		require.NoError(t, err)
		want := make([]*store.Issue, 3)
		for n := range want {
			want[n] = storedIssue(genIssue(o.ID, p.ID, n))
		}
		require.Equal(t, want, withoutIssueSeq(list), "the store sets the organization and project")

		count := func() int64 {
			n, err := b.s.IssueCount(b.ctx, &store.IssueListParams{OrgID: o.ID, ProjectID: p.ID})
			require.NoError(t, err)
			return n
		}
		_, err = b.s.IssueImport(b.ctx, &store.IssueImportParams{OrgID: o.ID, ProjectID: p.ID,
			Rows: issueRows([]*store.Issue{genIssue("", "", 3), genIssue("", "", 1)})})
		require.ErrorIs(t, err, store.ErrConflict)
		require.ErrorContains(t, err, `"issue-001"`, "the error names the id")
		require.ErrorContains(t, err, "issue 2")
		require.EqualValues(t, 3, count(), "nothing of the failed import is written")

		changed := genIssue("", "", 1)
		changed.Content = "changed"
		res, err = b.s.IssueImport(b.ctx, &store.IssueImportParams{OrgID: o.ID, ProjectID: p.ID, Mode: store.ImportUpsert,
			Rows: issueRows([]*store.Issue{genIssue("", "", 3), changed})})
		require.NoError(t, err)
		require.Equal(t, &store.IssueImportResult{Inserted: 1, Updated: 1}, res)
		got, err := b.s.IssueGet(b.ctx, o.ID, "issue-001")
		require.NoError(t, err)
		require.Equal(t, "changed", got.Content)
		require.Equal(t, list[1].Seq, got.Seq, "a replaced issue keeps its Seq")

		_, err = b.s.IssueImport(b.ctx, &store.IssueImportParams{OrgID: o.ID, ProjectID: other.ID, Mode: store.ImportUpsert,
			Rows: issueRows([]*store.Issue{genIssue("", "", 9), genIssue("", "", 0)})})
		require.ErrorIs(t, err, store.ErrConflict, "an upsert does not take another project's issue")
		require.ErrorContains(t, err, p.ID)
		n, err := b.s.IssueCount(b.ctx, &store.IssueListParams{OrgID: o.ID, ProjectID: other.ID})
		require.NoError(t, err)
		require.Zero(t, n)

		rows := func(yield func(*store.Issue, error) bool) {
			if yield(genIssue("", "", 20), nil) {
				yield(nil, errBoom)
			}
		}
		_, err = b.s.IssueImport(b.ctx, &store.IssueImportParams{OrgID: o.ID, ProjectID: p.ID, Rows: rows})
		require.ErrorIs(t, err, errBoom)
		require.EqualValues(t, 4, count(), "a failed read rolls back")

		_, err = b.s.IssueImport(b.ctx, &store.IssueImportParams{OrgID: b.org().ID, ProjectID: p.ID, Rows: issueRows(nil)})
		require.ErrorIs(t, err, store.ErrNotFound, "a project of another organization")
	})

	t.Run("ProjectDeleteDeletesIssues", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		require.NoError(t, b.s.IssueInsert(b.ctx, genIssue(o.ID, p.ID, 0)))
		require.NoError(t, b.s.ProjectDelete(b.ctx, o.ID, p.ID))
		_, err := b.s.IssueGet(b.ctx, o.ID, "issue-000")
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}
