package projects_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/hub/projects"
	"github.com/exporthub/exporthub/hub/store/sqlite"
)

func setup(t *testing.T) (*projects.Service, *sqlite.Store, *auth.Principal) {
	t.Helper()
	st, err := sqlite.New(t.Context(), &sqlite.Config{Path: filepath.Join(t.TempDir(), "hub.db")})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	svc, err := projects.New(&projects.Config{Store: st})
	require.NoError(t, err)
	require.NoError(t, st.OrgInsert(t.Context(), &hubtype.Org{ID: "org-a", Name: "A"}))
	u := &hubtype.User{ID: hubtype.NewID(), OrgID: "org-a", Email: "m@example.test", Role: hubtype.RoleMember}
	require.NoError(t, st.UserInsert(t.Context(), u))
	return svc, st, &auth.Principal{OrgID: "org-a", UserID: u.ID, Role: hubtype.RoleMember}
}

func TestService_CreateValidation(t *testing.T) {
	t.Parallel()
	svc, _, member := setup(t)
	tests := []struct {
		name   string
		params projects.CreateParams
		field  string
		msg    string
	}{
		{"NoName", projects.CreateParams{Name: "  "}, "name", "name is required"},
		{"LongName", projects.CreateParams{Name: strings.Repeat("é", 201)}, "name", "name is longer than 200 characters"},
		{"LongDescription", projects.CreateParams{Name: "p", Description: strings.Repeat("d", 10001)}, "description", "description is longer than 10000 characters"},
		{"SchemaNotObject", projects.CreateParams{Name: "p", CategorySchema: json.RawMessage(`[1]`)}, "categorySchema",
			"categorySchema must be a JSON object: json: cannot unmarshal array into Go value of type map[string]json.RawMessage"},
		{"BatchWithoutName", projects.CreateParams{Name: "p", Batches: []hubtype.Batch{{Name: "a"}, {Name: " "}}}, "batches[1]", "batches[1]: name is required"},
		{"BatchTwice", projects.CreateParams{Name: "p", Batches: []hubtype.Batch{{Name: "a"}, {Name: "a"}}}, "batches[1]", `batches[1]: batch name "a" appears twice`},
		{"BatchIDTwice", projects.CreateParams{Name: "p", Batches: []hubtype.Batch{{ID: "x", Name: "a"}, {ID: "x", Name: "b"}}}, "batches[1]", `batches[1]: batch id "x" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := svc.Create(t.Context(), member, &tt.params)
			var fe *hubtype.FieldError
			require.True(t, errors.As(err, &fe), "got %v (%T), want a *hubtype.FieldError", err, err)
			require.Equal(t, tt.field, fe.Field)
			require.Equal(t, tt.msg, fe.Message)
		})
	}
}

func TestService_Rules(t *testing.T) {
	t.Parallel()
	svc, st, member := setup(t)
	ctx := t.Context()
	p, err := svc.Create(ctx, member, &projects.CreateParams{Name: " Streets ", Batches: []hubtype.Batch{{Name: "night"}}})
	require.NoError(t, err)
	require.Equal(t, "Streets", p.Name)
	require.Equal(t, projects.DefaultStages, p.Stages, "a project without stages gets the default ones")
	nightID := p.Batches[0].ID
	require.NotEmpty(t, nightID)
	q, err := svc.Create(ctx, member, &projects.CreateParams{Name: "Other"})
	require.NoError(t, err)

	// A batch given by name keeps its id.
	p, err = svc.Update(ctx, member, &projects.UpdateParams{ID: p.ID, Batches: []hubtype.Batch{{Name: "night"}, {Name: "day"}}})
	require.NoError(t, err)
	require.Equal(t, nightID, p.Batches[0].ID)

	// A run token reaches its own project, and changes nothing.
	run := &auth.Principal{OrgID: "org-a", UserID: member.UserID, Role: hubtype.RoleMember, ProjectID: p.ID, RunID: "r"}
	got, err := svc.Get(ctx, run, p.ID)
	require.NoError(t, err)
	require.Equal(t, p.ID, got.ID)
	_, err = svc.Get(ctx, run, q.ID)
	require.ErrorIs(t, err, hubtype.ErrNotFound)
	_, err = svc.Counts(ctx, run, q.ID)
	require.ErrorIs(t, err, hubtype.ErrNotFound)
	_, err = svc.List(ctx, run)
	require.ErrorIs(t, err, hubtype.ErrForbidden)
	_, err = svc.Create(ctx, run, &projects.CreateParams{Name: "x"})
	require.ErrorIs(t, err, hubtype.ErrForbidden)
	name := "renamed"
	_, err = svc.Update(ctx, run, &projects.UpdateParams{ID: p.ID, Name: &name})
	require.ErrorIs(t, err, hubtype.ErrForbidden)
	_, err = svc.Delete(ctx, run, p.ID)
	require.ErrorIs(t, err, hubtype.ErrForbidden)

	// Another organization's projects do not exist for the caller.
	require.NoError(t, st.OrgInsert(ctx, &hubtype.Org{ID: "org-b", Name: "B"}))
	stranger := &auth.Principal{OrgID: "org-b", UserID: "u", Role: hubtype.RoleAdmin}
	_, err = svc.Get(ctx, stranger, p.ID)
	require.ErrorIs(t, err, hubtype.ErrNotFound)
	_, err = svc.Delete(ctx, stranger, p.ID)
	require.ErrorIs(t, err, hubtype.ErrNotFound)
	_, err = svc.Exports(ctx, stranger, p.ID)
	require.ErrorIs(t, err, hubtype.ErrNotFound)
	_, err = svc.Runs(ctx, stranger, p.ID, 10)
	require.ErrorIs(t, err, hubtype.ErrNotFound)
	rs, err := svc.Runs(ctx, member, p.ID, 10)
	require.NoError(t, err)
	require.Empty(t, rs, "a new project has no runs")

	_, err = svc.Delete(ctx, member, p.ID)
	require.NoError(t, err)
	_, err = svc.Get(ctx, member, p.ID)
	require.ErrorIs(t, err, hubtype.ErrNotFound)
}
