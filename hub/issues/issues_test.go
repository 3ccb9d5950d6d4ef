package issues_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/hub/issues"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/sqlite"
)

// clock is the service's fixed time in these tests.
var clock = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// bundle is a service on a real SQLite store with an organization of an
// admin, two members, and project p (tasks t1, t2) and q (task t3).
type bundle struct {
	ctx                    context.Context
	st                     *sqlite.Store
	svc                    *issues.Service
	org                    string
	admin, author, other   *auth.Principal
	p, q                   *hubtype.Project
	runP, runQ, foreignOrg *auth.Principal
}

func setup(t *testing.T) *bundle {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.New(ctx, &sqlite.Config{Path: filepath.Join(t.TempDir(), "hub.db")})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	svc, err := issues.New(&issues.Config{Store: st, NowFunc: func() time.Time { return clock }})
	require.NoError(t, err)
	b := &bundle{ctx: ctx, st: st, svc: svc}
	org := &hubtype.Org{ID: store.NewID(), Name: "Acme"}
	require.NoError(t, st.OrgInsert(ctx, org))
	b.org = org.ID
	user := func(email string, role hubtype.Role) *auth.Principal {
		u := &hubtype.User{ID: store.NewID(), OrgID: org.ID, Email: email, Role: role}
		require.NoError(t, st.UserInsert(ctx, u))
		return &auth.Principal{OrgID: org.ID, UserID: u.ID, Role: role}
	}
	b.admin = user("admin@example.com", hubtype.RoleAdmin)
	b.author = user("author@example.com", hubtype.RoleMember)
	b.other = user("other@example.com", hubtype.RoleMember)
	project := func(tasks ...string) *hubtype.Project {
		p := &hubtype.Project{ID: store.NewID(), OrgID: org.ID, Name: "P", Batches: []hubtype.Batch{{ID: "b1", Name: "night"}},
			Stages: []hubtype.Stage{{ID: "Label", Name: "Labeling"}}}
		require.NoError(t, st.ProjectInsert(ctx, p))
		var rows []*hubtype.Asset
		for _, task := range tasks {
			rows = append(rows, &hubtype.Asset{ExternalID: "img-" + task, TaskID: task, StageID: "Label", Batches: []string{"night"},
				Data: json.RawMessage(`{}`)})
		}
		_, err := st.AssetImport(ctx, &hubtype.AssetImportParams{ProjectID: p.ID, Rows: func(yield func(*hubtype.Asset, error) bool) {
			for _, r := range rows {
				if !yield(r, nil) {
					return
				}
			}
		}})
		require.NoError(t, err)
		return p
	}
	b.p, b.q = project("t1", "t2"), project("t3")
	b.runP = &auth.Principal{OrgID: org.ID, UserID: b.author.UserID, Role: hubtype.RoleMember, ProjectID: b.p.ID, RunID: "r1"}
	b.runQ = &auth.Principal{OrgID: org.ID, UserID: b.author.UserID, Role: hubtype.RoleMember, ProjectID: b.q.ID, RunID: "r2"}
	foreign := &hubtype.Org{ID: store.NewID(), Name: "Other"}
	require.NoError(t, st.OrgInsert(ctx, foreign))
	fu := &hubtype.User{ID: store.NewID(), OrgID: foreign.ID, Email: "x@example.com", Role: hubtype.RoleAdmin}
	require.NoError(t, st.UserInsert(ctx, fu))
	b.foreignOrg = &auth.Principal{OrgID: foreign.ID, UserID: fu.ID, Role: hubtype.RoleAdmin}
	return b
}

// requireField checks that err is a *hubtype.FieldError of field with
// message want.
func requireField(t *testing.T, err error, field, want string) {
	t.Helper()
	var fe *hubtype.FieldError
	require.True(t, errors.As(err, &fe), "got %T (%v), want *hubtype.FieldError", err, err)
	require.Equal(t, field, fe.Field)
	require.Equal(t, want, fe.Message)
}

func TestService_CreateValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	tests := []struct {
		name         string
		params       issues.CreateParams
		field, error string
	}{
		{"NoTask", issues.CreateParams{Content: "x"}, "labelTask", "labelTask is required: the id of the task the issue is on"},
		{"BlankContent", issues.CreateParams{TaskID: "t1", Content: " \n"}, "content", "content is required"},
		{"ContentTooLarge", issues.CreateParams{TaskID: "t1", Content: strings.Repeat("x", issues.MaxContentLen+1)}, "content",
			"content is 65537 bytes, more than 65536"},
		{"PositionObject", issues.CreateParams{TaskID: "t1", Content: "x", Position: raw(`{"x": 1}`)}, "position",
			`position is not a string or a list of numbers: {"x": 1}`},
		{"ErrorCodesString", issues.CreateParams{TaskID: "t1", Content: "x", ErrorCodes: raw(`"E1"`)}, "errorCodes",
			`errorCodes is not a list: "E1"`},
		{"ErrorCodeNumber", issues.CreateParams{TaskID: "t1", Content: "x", ErrorCodes: raw(`["E1", 7]`)}, "errorCodes[1]",
			"errorCodes[1] is not a key or a {key, name, category} object: 7"},
		{"MentionsObject", issues.CreateParams{TaskID: "t1", Content: "x", ContentMentions: raw(`{"userEmail": "a"}`)}, "contentMentions",
			`contentMentions is not a list of objects: {"userEmail": "a"}`},
		{"NegativePage", issues.CreateParams{TaskID: "t1", Content: "x", Page: raw(`-1`)}, "page", "page is not a page number from 0: -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.svc.Create(b.ctx, b.author, &tt.params)
			requireField(t, err, tt.field, tt.error)
		})
	}
}

func TestService_Create(t *testing.T) {
	t.Parallel()
	b := setup(t)
	i, err := b.svc.Create(b.ctx, b.author, &issues.CreateParams{TaskID: "t2", Content: "box too loose",
		Position: json.RawMessage(`"[10, 20]"`), ObjectID: "obj-1",
		ErrorCodes:      json.RawMessage(`[{"key": "BOX", "name": "Loose box", "category": "Geometry"}, "MISS"]`),
		ContentMentions: json.RawMessage(`[{"userEmail": "other@example.com"}]`), Page: json.RawMessage(`3`)})
	require.NoError(t, err)
	require.Regexp(t, `^[0-9a-f]{24}$`, i.ID)
	require.Equal(t, hubtype.IssueOpen, i.Status)
	require.Equal(t, b.p.ID, i.ProjectID)
	require.Equal(t, "img-t2", i.ExternalID)
	require.Equal(t, []string{"night"}, i.Batches)
	require.Equal(t, "Label", i.StageID, "the stage the task is in")
	require.Equal(t, "Labeling", i.Stage)
	require.Equal(t, "author@example.com", i.CreatedBy)
	require.Equal(t, "BOX, MISS", i.ErrorCode)
	require.Equal(t, "Geometry", i.ErrorType)
	require.Equal(t, clock, i.CreatedAt)
	got, err := b.st.IssueGet(b.ctx, b.org, i.ID)
	require.NoError(t, err)
	require.Equal(t, `"[10, 20]"`, string(got.Position))
	require.NotEmpty(t, got.AssetID)

	_, err = b.svc.Create(b.ctx, b.author, &issues.CreateParams{TaskID: "nope", Content: "x"})
	require.ErrorIs(t, err, hubtype.ErrNotFound)
	require.EqualError(t, err, "labelTask nope: no such task")
	_, err = b.svc.Create(b.ctx, b.runQ, &issues.CreateParams{TaskID: "t1", Content: "x"})
	require.ErrorIs(t, err, hubtype.ErrNotFound, "a run token reaches its own project's tasks only")
	_, err = b.svc.Create(b.ctx, b.foreignOrg, &issues.CreateParams{TaskID: "t1", Content: "x"})
	require.ErrorIs(t, err, hubtype.ErrNotFound, "another organization's task")
	ri, err := b.svc.Create(b.ctx, b.runP, &issues.CreateParams{TaskID: "t1", Content: "from a plugin"})
	require.NoError(t, err)
	require.Equal(t, "author@example.com", ri.CreatedBy, "a run token raises issues as the user who started the run")
}

func TestService_UpdateCommentDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	newIssue := func() *hubtype.Issue {
		i, err := b.svc.Create(b.ctx, b.author, &issues.CreateParams{TaskID: "t1", Content: "first", ErrorCodes: json.RawMessage(`["E1"]`)})
		require.NoError(t, err)
		return i
	}
	str := func(s string) *string { return &s }
	i := newIssue()

	t.Run("StatusByAnyone", func(t *testing.T) {
		for _, pr := range []*auth.Principal{b.other, b.runP, b.admin} {
			got, err := b.svc.Update(b.ctx, pr, &issues.UpdateParams{ID: i.ID, Status: str("resolved")})
			require.NoError(t, err)
			require.Equal(t, hubtype.IssueResolved, got.Status)
			require.Equal(t, "E1", got.ErrorCode, "fields not given are kept")
		}
	})
	t.Run("ContentByAuthorOrAdmin", func(t *testing.T) {
		_, err := b.svc.Update(b.ctx, b.other, &issues.UpdateParams{ID: i.ID, Content: str("mine now")})
		require.ErrorIs(t, err, hubtype.ErrForbidden)
		require.EqualError(t, err, "only the issue's author (author@example.com) or an organization admin may change its content; anyone may change its status")
		got, err := b.svc.Update(b.ctx, b.author, &issues.UpdateParams{ID: i.ID, Content: str("second"), ErrorCodes: json.RawMessage(`null`)})
		require.NoError(t, err)
		require.Equal(t, "second", got.Content)
		require.Empty(t, got.ErrorCode, "errorCodes null clears the codes")
		got, err = b.svc.Update(b.ctx, b.admin, &issues.UpdateParams{ID: i.ID, Position: json.RawMessage(`[1, 2]`)})
		require.NoError(t, err)
		require.Equal(t, `[1,2]`, string(got.Position))
		require.Equal(t, "admin@example.com", got.UpdatedBy)
		stored, err := b.st.IssueGet(b.ctx, b.org, i.ID)
		require.NoError(t, err)
		require.Equal(t, "second", stored.Content)
	})
	t.Run("Invalid", func(t *testing.T) {
		_, err := b.svc.Update(b.ctx, b.author, &issues.UpdateParams{ID: i.ID, Status: str("Done")})
		requireField(t, err, "status", `status "Done" is not one of Open, Resolved, Closed`)
		_, err = b.svc.Update(b.ctx, b.author, &issues.UpdateParams{ID: i.ID})
		requireField(t, err, "status", "nothing to change: give status, content, errorCodes, position, objectId or contentMentions")
		_, err = b.svc.Update(b.ctx, b.author, &issues.UpdateParams{ID: i.ID, Content: str("")})
		requireField(t, err, "content", "content is required")
	})
	t.Run("Reach", func(t *testing.T) {
		for _, pr := range []*auth.Principal{b.runQ, b.foreignOrg} {
			_, err := b.svc.Update(b.ctx, pr, &issues.UpdateParams{ID: i.ID, Status: str("Open")})
			require.ErrorIs(t, err, hubtype.ErrNotFound)
			_, err = b.svc.Comment(b.ctx, pr, &issues.CommentParams{ID: i.ID, Content: "x"})
			require.ErrorIs(t, err, hubtype.ErrNotFound)
		}
		_, err := b.svc.Update(b.ctx, b.author, &issues.UpdateParams{ID: i.ID, ProjectID: b.q.ID, Status: str("Open")})
		require.ErrorIs(t, err, hubtype.ErrNotFound, "a project that is not the issue's")
	})
	t.Run("Comment", func(t *testing.T) {
		_, err := b.svc.Comment(b.ctx, b.other, &issues.CommentParams{ID: i.ID, Content: " "})
		requireField(t, err, "content", "content is required")
		got, err := b.svc.Comment(b.ctx, b.other, &issues.CommentParams{ID: i.ID, Content: "on it",
			ContentMentions: json.RawMessage(`[{"userEmail": "author@example.com"}]`)})
		require.NoError(t, err)
		got, err = b.svc.Comment(b.ctx, b.runP, &issues.CommentParams{ID: i.ID, Content: "done"})
		require.NoError(t, err)
		var comments []map[string]any
		require.NoError(t, json.Unmarshal(got.Comments, &comments))
		require.Len(t, comments, 2)
		require.Equal(t, "on it", comments[0]["content"])
		require.Equal(t, "other@example.com", comments[0]["createdBy"])
		require.Equal(t, "2024-05-06T07:08:09.000Z", comments[0]["createdAt"], "a time as Ango writes them")
		require.Equal(t, []any{map[string]any{"userEmail": "author@example.com"}}, comments[0]["contentMentions"])
		require.Equal(t, "author@example.com", comments[1]["createdBy"], "a run token comments as its user")
	})
	t.Run("Delete", func(t *testing.T) {
		j := newIssue()
		err := b.svc.Delete(b.ctx, b.author, &issues.DeleteParams{ID: j.ID})
		requireField(t, err, "project", "project is required: the issue's project")
		err = b.svc.Delete(b.ctx, b.author, &issues.DeleteParams{ID: j.ID, ProjectID: b.q.ID})
		require.ErrorIs(t, err, hubtype.ErrNotFound)
		err = b.svc.Delete(b.ctx, b.runP, &issues.DeleteParams{ID: j.ID, ProjectID: b.p.ID})
		require.ErrorIs(t, err, hubtype.ErrForbidden)
		require.EqualError(t, err, "a run token may not delete issues")
		err = b.svc.Delete(b.ctx, b.other, &issues.DeleteParams{ID: j.ID, ProjectID: b.p.ID})
		require.ErrorIs(t, err, hubtype.ErrForbidden)
		require.NoError(t, b.svc.Delete(b.ctx, b.author, &issues.DeleteParams{ID: j.ID, ProjectID: b.p.ID}))
		require.NoError(t, b.svc.Delete(b.ctx, b.admin, &issues.DeleteParams{ID: i.ID, ProjectID: b.p.ID}), "an admin deletes anyone's")
		_, err = b.st.IssueGet(b.ctx, b.org, i.ID)
		require.ErrorIs(t, err, hubtype.ErrNotFound)
	})
}

func TestService_List(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, task := range []string{"t1", "t2", "t1"} {
		_, err := b.svc.Create(b.ctx, b.author, &issues.CreateParams{TaskID: task, Content: "x"})
		require.NoError(t, err)
	}
	_, err := b.svc.Create(b.ctx, b.other, &issues.CreateParams{TaskID: "t3", Content: "x"})
	require.NoError(t, err)
	count := func(pr *auth.Principal, p issues.ListParams) int {
		t.Helper()
		list, total, err := b.svc.List(b.ctx, pr, &p)
		require.NoError(t, err)
		require.EqualValues(t, len(list), total)
		return len(list)
	}
	require.Equal(t, 3, count(b.author, issues.ListParams{ProjectID: b.p.ID}))
	require.Equal(t, 3, count(b.runP, issues.ListParams{}), "a run token lists its own project by default")
	require.Equal(t, 2, count(b.other, issues.ListParams{ProjectID: b.p.ID, TaskID: "t1"}))
	require.Equal(t, 3, count(b.other, issues.ListParams{ProjectID: b.p.ID, StageID: "Labeling"}), "a stage by name")
	require.Equal(t, 0, count(b.other, issues.ListParams{ProjectID: b.p.ID, CreatedBy: "other@example.com"}))
	require.Equal(t, 3, count(b.other, issues.ListParams{ProjectID: b.p.ID, Status: "open"}))
	list, total, err := b.svc.List(b.ctx, b.author, &issues.ListParams{ProjectID: b.p.ID, Offset: 2, Limit: 2})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.EqualValues(t, 3, total)

	_, _, err = b.svc.List(b.ctx, b.author, &issues.ListParams{})
	requireField(t, err, "project", "project is required")
	_, _, err = b.svc.List(b.ctx, b.author, &issues.ListParams{ProjectID: b.p.ID, StageID: "Nope"})
	requireField(t, err, "stage", `stage: project `+b.p.ID+` has no stage "Nope" (its stage ids: Label, Start, Complete)`)
	_, _, err = b.svc.List(b.ctx, b.author, &issues.ListParams{ProjectID: b.p.ID, Status: "Done"})
	requireField(t, err, "status", `status "Done" is not one of Open, Resolved, Closed`)
	_, _, err = b.svc.List(b.ctx, b.runQ, &issues.ListParams{ProjectID: b.p.ID})
	require.ErrorIs(t, err, hubtype.ErrNotFound)
	_, _, err = b.svc.List(b.ctx, b.foreignOrg, &issues.ListParams{ProjectID: b.p.ID})
	require.ErrorIs(t, err, hubtype.ErrNotFound)
}

// angoExport is the issue export the hub's tests import.
const angoExport = "../testdata/issues/ango_issues.json"

func TestService_Import(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body, err := os.ReadFile(angoExport)
	require.NoError(t, err)
	res, err := b.svc.Import(b.ctx, b.author, &issues.ImportParams{ProjectID: b.p.ID, Body: strings.NewReader(string(body))})
	require.NoError(t, err)
	require.Equal(t, &issues.ImportResult{Imported: 4, Inserted: 4}, res)
	i, err := b.st.IssueGet(b.ctx, b.org, "66a0b1c2d3e4f50000000101")
	require.NoError(t, err)
	require.Equal(t, "reviewer.one@example.com", i.CreatedBy, "the author is kept")
	require.Equal(t, time.Date(2024, 3, 4, 10, 12, 40, 500e6, time.UTC), i.CreatedAt, "the time is kept")
	require.Equal(t, `{"severity":2}`, string(i.Extra), "unknown keys are kept; the other hub's project id is not")
	require.Equal(t, `"[118.25, 204.5]"`, string(i.Position))
	require.Len(t, i.Batches, 2)

	_, err = b.svc.Import(b.ctx, b.author, &issues.ImportParams{ProjectID: b.p.ID, Body: strings.NewReader(string(body))})
	require.ErrorIs(t, err, hubtype.ErrConflict)
	require.EqualError(t, err, `nothing was imported: issue 1: id "66a0b1c2d3e4f50000000101" is already an issue of the organization or earlier in the input; use mode=upsert to replace the project's issues of the same ids`)
	res, err = b.svc.Import(b.ctx, b.author, &issues.ImportParams{ProjectID: b.p.ID, Mode: hubtype.ImportUpsert,
		Body: strings.NewReader(string(body))})
	require.NoError(t, err)
	require.Equal(t, &issues.ImportResult{Imported: 4, Updated: 4}, res)

	_, err = b.svc.Import(b.ctx, b.runP, &issues.ImportParams{ProjectID: b.p.ID, Body: strings.NewReader("[]")})
	require.ErrorIs(t, err, hubtype.ErrForbidden)
	_, err = b.svc.Import(b.ctx, b.foreignOrg, &issues.ImportParams{ProjectID: b.p.ID, Body: strings.NewReader("[]")})
	require.ErrorIs(t, err, hubtype.ErrNotFound)
}

func TestService_ImportInvalid(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ok := `{"_id": "a1", "labelTask": "t1", "content": "x"}`
	tests := []struct {
		name, body, field, error string
	}{
		{"Empty", "", "body", "the issue export is empty, want a JSON array of issues"},
		{"NotJSON", "PK\x03\x04", "body", "the issue export does not start with [ or {: want a JSON array of issues or NDJSON"},
		{"Syntax", `[` + ok + `, {"_id": }]`, "body", "the issue export is not valid JSON in the value at byte 51: invalid character '}' looking for beginning of value"},
		{"Cut", `[` + ok + `, {"_id": "a2"`, "body", "the issue export ends in the middle of the value at byte 51"},
		{"NotObject", `[` + ok + `, 7]`, "body", "the issue export holds a number at byte 51 where an issue object is expected"},
		{"Trailing", ` [` + ok + `] x`, "body", "the issue export holds more after its JSON array (byte 52)"},
		{"NDJSONSecondLine", ok + "\n" + `{"_id": 5}` + "\n", "[1]._id", "issue 2: _id is not a string: 5"},
		{"NoID", `[` + ok + `, {"labelTask": "t1"}]`, "[1]._id", "issue 2: _id is required"},
		{"NoTask", `[{"_id": "a9"}]`, "[0].labelTask", `issue 1 (_id "a9"): labelTask is required: the id of the task the issue is on`},
		{"BadTime", `[{"_id": "a9", "labelTask": "t1", "createdAt": "yesterday"}]`, "[0].createdAt",
			`issue 1 (_id "a9"): createdAt "yesterday" is not an ISO 8601 time such as 2024-03-04T10:15:30.120Z`},
		{"BadComments", `[{"_id": "a9", "labelTask": "t1", "comments": {}}]`, "[0].comments", `issue 1 (_id "a9"): comments is not a list: {}`},
		{"BadContent", `[{"_id": "a9", "labelTask": "t1", "content": 5}]`, "[0].content", `issue 1 (_id "a9"): content is not a string: 5`},
		{"BadPage", `{"_id": "a9", "labelTask": "t1", "page": "two"}`, "[0].page", `issue 1 (_id "a9"): page is not a page number from 0: "two"`},
		{"BadAsset", `[{"_id": "a9", "labelTask": "t1", "asset": "img"}]`, "[0].asset", `issue 1 (_id "a9"): asset is not an object with externalId and batches: "img"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.svc.Import(b.ctx, b.author, &issues.ImportParams{ProjectID: b.q.ID, Body: strings.NewReader(tt.body)})
			requireField(t, err, tt.field, tt.error)
			list, _, err := b.svc.List(b.ctx, b.author, &issues.ListParams{ProjectID: b.q.ID})
			require.NoError(t, err)
			require.Empty(t, list, "nothing is imported")
		})
	}
}
