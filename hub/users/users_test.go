package users_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/hub/store/sqlite"
	"github.com/exporthub/exporthub/hub/users"
)

// clock is the service's time in these tests; tests move it.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// bundle is a service on a real SQLite store with an organization of an
// admin and a member, and a second organization with its admin.
type bundle struct {
	ctx                  context.Context
	st                   *sqlite.Store
	svc                  *users.Service
	clock                *clock
	admin, member, other *auth.Principal
}

func setup(t *testing.T) *bundle {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.New(ctx, &sqlite.Config{Path: filepath.Join(t.TempDir(), "hub.db")})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	svc, err := users.New(&users.Config{Store: st, NowFunc: c.now})
	require.NoError(t, err)
	b := &bundle{ctx: ctx, st: st, svc: svc, clock: c}
	user := func(org, email string, role hubtype.Role) *auth.Principal {
		u := &hubtype.User{ID: hubtype.NewID(), OrgID: org, Email: email, Role: role}
		require.NoError(t, st.UserInsert(ctx, u))
		return &auth.Principal{OrgID: org, UserID: u.ID, Role: role}
	}
	for _, o := range []*hubtype.Org{{ID: "org-a", Name: "A"}, {ID: "org-b", Name: "B"}} {
		require.NoError(t, st.OrgInsert(ctx, o))
	}
	b.admin = user("org-a", "admin@example.test", hubtype.RoleAdmin)
	b.member = user("org-a", "member@example.test", hubtype.RoleMember)
	b.other = user("org-b", "boss@example.test", hubtype.RoleAdmin)
	return b
}

// requireField asserts that err is a *hubtype.FieldError for field with
// message msg.
func requireField(t *testing.T, err error, field, msg string) {
	t.Helper()
	var fe *hubtype.FieldError
	require.True(t, errors.As(err, &fe), "got %v (%T), want a *hubtype.FieldError", err, err)
	require.Equal(t, field, fe.Field)
	require.Equal(t, msg, fe.Message)
}

func TestService_CreateValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name   string
		params users.CreateParams
		field  string
		msg    string
	}{
		{"NoEmail", users.CreateParams{}, "email", "email is required"},
		{"BlankEmail", users.CreateParams{Email: "  "}, "email", "email is required"},
		{"BadEmail", users.CreateParams{Email: "not an address"}, "email", `email "not an address" is not a valid e-mail address`},
		{"NamedEmail", users.CreateParams{Email: "Ann <ann@example.test>"}, "email", `email "Ann <ann@example.test>" is not a valid e-mail address`},
		{"LongName", users.CreateParams{Email: "a@example.test", Name: strings.Repeat("x", 201)}, "name", "name is longer than 200 characters"},
		{"BadRole", users.CreateParams{Email: "a@example.test", Role: "owner"}, "role", `role "owner" is not one of admin, member`},
		{"ShortPassword", users.CreateParams{Email: "a@example.test", Password: "short"}, "password", "password must be 8 to 72 bytes long"},
		{"LongPassword", users.CreateParams{Email: "a@example.test", Password: strings.Repeat("p", 73)}, "password", "password must be 8 to 72 bytes long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.svc.Create(b.ctx, b.admin, &tt.params)
			requireField(t, err, tt.field, tt.msg)
		})
	}
	us, err := b.svc.List(b.ctx, b.admin)
	require.NoError(t, err)
	require.Len(t, us, 2, "no invalid user was stored")
}

func TestService_UserRules(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ann, err := b.svc.Create(b.ctx, b.admin, &users.CreateParams{Email: " ann@example.test ", Name: " Ann ", Password: "correct horse"})
	require.NoError(t, err)
	require.Equal(t, "ann@example.test", ann.Email)
	require.Equal(t, "Ann", ann.Name)
	require.Equal(t, hubtype.RoleMember, ann.Role, "the default role")

	_, err = b.svc.Create(b.ctx, b.admin, &users.CreateParams{Email: "ANN@example.test"})
	require.ErrorIs(t, err, hubtype.ErrConflict)
	require.EqualError(t, err, `a user with e-mail "ANN@example.test" already exists`)

	// Members manage nobody.
	_, err = b.svc.List(b.ctx, b.member)
	require.ErrorIs(t, err, hubtype.ErrForbidden)
	require.EqualError(t, err, `only an organization admin may list users; your role is "member"`)
	_, err = b.svc.Create(b.ctx, b.member, &users.CreateParams{Email: "x@example.test"})
	require.ErrorIs(t, err, hubtype.ErrForbidden)
	_, err = b.svc.SetRole(b.ctx, b.member, &users.SetRoleParams{UserID: ann.ID, Role: hubtype.RoleAdmin})
	require.ErrorIs(t, err, hubtype.ErrForbidden)
	_, err = b.svc.Delete(b.ctx, b.member, ann.ID)
	require.ErrorIs(t, err, hubtype.ErrForbidden)
	// But see who is who, for the lists that say who did what.
	emails, err := b.svc.Emails(b.ctx, b.member)
	require.NoError(t, err)
	require.Equal(t, "ann@example.test", emails[ann.ID])

	// Nobody changes their own role or removes themself.
	_, err = b.svc.SetRole(b.ctx, b.admin, &users.SetRoleParams{UserID: b.admin.UserID, Role: hubtype.RoleMember})
	require.ErrorIs(t, err, hubtype.ErrConflict)
	require.EqualError(t, err, "you cannot change your own role")
	_, err = b.svc.Delete(b.ctx, b.admin, b.admin.UserID)
	require.ErrorIs(t, err, hubtype.ErrConflict)
	require.EqualError(t, err, "you cannot delete your own user")

	_, err = b.svc.SetRole(b.ctx, b.admin, &users.SetRoleParams{UserID: ann.ID, Role: "owner"})
	requireField(t, err, "role", `role "owner" is not one of admin, member`)
	u, err := b.svc.SetRole(b.ctx, b.admin, &users.SetRoleParams{UserID: ann.ID, Role: hubtype.RoleAdmin})
	require.NoError(t, err)
	require.Equal(t, hubtype.RoleAdmin, u.Role)

	// Another organization's users do not exist for the caller.
	_, err = b.svc.SetRole(b.ctx, b.other, &users.SetRoleParams{UserID: ann.ID, Role: hubtype.RoleMember})
	require.ErrorIs(t, err, hubtype.ErrNotFound)
	_, err = b.svc.Delete(b.ctx, b.other, ann.ID)
	require.ErrorIs(t, err, hubtype.ErrNotFound)

	gone, err := b.svc.Delete(b.ctx, b.admin, ann.ID)
	require.NoError(t, err)
	require.Equal(t, "ann@example.test", gone.Email)
	_, err = b.svc.SignIn(b.ctx, "ann@example.test", "correct horse")
	require.ErrorIs(t, err, users.ErrBadCredentials, "a removed user cannot sign in")
}

func TestService_Passwords(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.svc.SignIn(b.ctx, "member@example.test", "")
	require.ErrorIs(t, err, users.ErrBadCredentials, "no password yet")

	// The first password needs no current one.
	require.NoError(t, b.svc.SetPassword(b.ctx, b.member, &users.SetPasswordParams{New: "first password"}))
	u, err := b.svc.SignIn(b.ctx, "member@example.test", "first password")
	require.NoError(t, err)
	require.Equal(t, b.member.UserID, u.ID)

	// Changing it does.
	err = b.svc.SetPassword(b.ctx, b.member, &users.SetPasswordParams{Current: "wrong", New: "second password"})
	require.ErrorIs(t, err, users.ErrBadCredentials)
	require.EqualError(t, err, "the current password is wrong")
	err = b.svc.SetPassword(b.ctx, b.member, &users.SetPasswordParams{Current: "first password", New: "short"})
	requireField(t, err, "password", "password must be 8 to 72 bytes long")
	require.NoError(t, b.svc.SetPassword(b.ctx, b.member, &users.SetPasswordParams{Current: "first password", New: "second password"}))
	_, err = b.svc.SignIn(b.ctx, "member@example.test", "first password")
	require.ErrorIs(t, err, users.ErrBadCredentials)
	_, err = b.svc.SignIn(b.ctx, "nobody@example.test", "second password")
	require.ErrorIs(t, err, users.ErrBadCredentials)
	_, err = b.svc.SignIn(b.ctx, "member@example.test", "second password")
	require.NoError(t, err)

	run := &auth.Principal{OrgID: b.member.OrgID, UserID: b.member.UserID, ProjectID: "p", RunID: "r"}
	err = b.svc.SetPassword(b.ctx, run, &users.SetPasswordParams{Current: "second password", New: "third password"})
	require.ErrorIs(t, err, hubtype.ErrForbidden)
}

func TestService_Keys(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name   string
		params users.CreateKeyParams
		field  string
		msg    string
	}{
		{"NoName", users.CreateKeyParams{}, "name", `name is required: say what the key is for, e.g. "ci"`},
		{"BlankName", users.CreateKeyParams{Name: "   "}, "name", `name is required: say what the key is for, e.g. "ci"`},
		{"LongName", users.CreateKeyParams{Name: strings.Repeat("k", 201)}, "name", "name is longer than 200 characters"},
		{"NegativeExpiry", users.CreateKeyParams{Name: "ci", ExpiresIn: -time.Hour}, "expiresIn", `expiresIn must be a positive duration such as "720h", at most 87600h0m0s`},
		{"LongExpiry", users.CreateKeyParams{Name: "ci", ExpiresIn: users.MaxKeyLifetime + time.Hour}, "expiresIn", `expiresIn must be a positive duration such as "720h", at most 87600h0m0s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := b.svc.CreateKey(b.ctx, b.member, &tt.params)
			requireField(t, err, tt.field, tt.msg)
		})
	}

	key, k, err := b.svc.CreateKey(b.ctx, b.member, &users.CreateKeyParams{Name: " laptop ", ExpiresIn: time.Hour})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(key, auth.KeyPrefix))
	require.Equal(t, "laptop", k.Name)
	require.Equal(t, b.clock.t.Add(time.Hour), *k.ExpiresAt)
	p, err := b.svc.Authenticate(b.ctx, key)
	require.NoError(t, err)
	require.Equal(t, &auth.Principal{OrgID: "org-a", UserID: b.member.UserID, Role: hubtype.RoleMember, KeyID: k.ID}, p)

	_, _, err = b.svc.CreateKey(b.ctx, b.member, &users.CreateKeyParams{Name: "x", UserID: b.admin.UserID})
	require.ErrorIs(t, err, hubtype.ErrForbidden)
	_, adminKey, err := b.svc.CreateKey(b.ctx, b.admin, &users.CreateKeyParams{Name: "for the member", UserID: b.member.UserID})
	require.NoError(t, err)
	require.Equal(t, b.member.UserID, adminKey.UserID)
	_, _, err = b.svc.CreateKey(b.ctx, b.other, &users.CreateKeyParams{Name: "x", UserID: b.member.UserID})
	require.ErrorIs(t, err, hubtype.ErrNotFound, "a user of another organization")

	// A run token is neither listed nor revoked through the key rules.
	project := &hubtype.Project{ID: hubtype.NewID(), OrgID: "org-a", Name: "P"}
	require.NoError(t, b.st.ProjectInsert(b.ctx, project))
	token, rt, err := users.Issue(b.ctx, b.st, &users.IssueParams{OrgID: "org-a", UserID: b.admin.UserID, Name: "run", ProjectID: project.ID, RunID: "r"})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(token, auth.RunTokenPrefix))
	ids := func(pr *auth.Principal) []string {
		ks, err := b.svc.Keys(b.ctx, pr)
		require.NoError(t, err)
		var out []string
		for _, k := range ks {
			out = append(out, k.Name)
		}
		return out
	}
	require.ElementsMatch(t, []string{"laptop", "for the member"}, ids(b.member))
	require.ElementsMatch(t, []string{"laptop", "for the member"}, ids(b.admin))
	require.Empty(t, ids(b.other))
	_, err = b.svc.RevokeKey(b.ctx, b.admin, rt.ID)
	require.ErrorIs(t, err, hubtype.ErrNotFound)
	_, err = b.svc.RevokeKey(b.ctx, b.other, k.ID)
	require.ErrorIs(t, err, hubtype.ErrNotFound)
	_, err = b.svc.Authenticate(b.ctx, token)
	require.NoError(t, err, "the run token still works")

	revoked, err := b.svc.RevokeKey(b.ctx, b.member, k.ID)
	require.NoError(t, err)
	require.NotNil(t, revoked.RevokedAt)
	_, err = b.svc.Authenticate(b.ctx, key)
	require.ErrorIs(t, err, users.ErrBadCredentials)
	require.EqualError(t, err, "API key "+key[:auth.DisplayPrefixLen]+"… was revoked")

	_, err = b.svc.Authenticate(b.ctx, "ehk_unknown")
	require.EqualError(t, err, "invalid API key")
	_, _, err = b.svc.SignInKey(b.ctx, token)
	require.ErrorIs(t, err, users.ErrBadCredentials, "a run token cannot sign in")
}

func TestService_Sessions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.NoError(t, b.svc.SetPassword(b.ctx, b.member, &users.SetPasswordParams{New: "first password"}))
	u, _, err := b.svc.Me(b.ctx, b.member)
	require.NoError(t, err)
	value, ws, err := b.svc.StartSession(b.ctx, u, nil, time.Hour)
	require.NoError(t, err)
	require.NotEmpty(t, ws.CSRFToken)
	s, err := b.svc.Session(b.ctx, value)
	require.NoError(t, err)
	require.Equal(t, b.member, s.Principal())
	require.Equal(t, "A", s.Org.Name)

	_, err = b.svc.Session(b.ctx, value+"x")
	require.ErrorIs(t, err, users.ErrNoSession)
	_, err = b.svc.Session(b.ctx, "")
	require.ErrorIs(t, err, users.ErrNoSession)

	b.clock.t = b.clock.t.Add(time.Hour)
	_, err = b.svc.Session(b.ctx, value)
	require.ErrorIs(t, err, users.ErrNoSession, "expired")

	b.clock.t = b.clock.t.Add(-30 * time.Minute)
	require.NoError(t, b.svc.EndSession(b.ctx, value))
	_, err = b.svc.Session(b.ctx, value)
	require.ErrorIs(t, err, users.ErrNoSession, "signed out")
	require.NoError(t, b.svc.EndSession(b.ctx, value), "ending it twice")
}

func TestService_SessionEndsWithItsCredential(t *testing.T) {
	t.Parallel()
	b := setup(t)
	signIn := func(key string) string {
		t.Helper()
		u, k, err := b.svc.SignInKey(b.ctx, key)
		require.NoError(t, err)
		value, _, err := b.svc.StartSession(b.ctx, u, k, time.Hour)
		require.NoError(t, err)
		return value
	}
	live := func(value string) error {
		_, err := b.svc.Session(b.ctx, value)
		return err
	}

	key, k, err := b.svc.CreateKey(b.ctx, b.member, &users.CreateKeyParams{Name: "laptop"})
	require.NoError(t, err)
	value := signIn(key)
	require.NoError(t, live(value))
	_, err = b.svc.RevokeKey(b.ctx, b.member, k.ID)
	require.NoError(t, err)
	require.ErrorIs(t, live(value), users.ErrNoSession, "the key was revoked")

	short, _, err := b.svc.CreateKey(b.ctx, b.member, &users.CreateKeyParams{Name: "short", ExpiresIn: 3 * time.Second})
	require.NoError(t, err)
	u, sk, err := b.svc.SignInKey(b.ctx, short)
	require.NoError(t, err)
	value, ws, err := b.svc.StartSession(b.ctx, u, sk, 7*24*time.Hour)
	require.NoError(t, err)
	require.Equal(t, b.clock.t.Add(3*time.Second), ws.ExpiresAt, "a session ends no later than its key")
	require.NoError(t, live(value))
	b.clock.t = b.clock.t.Add(3 * time.Second)
	require.ErrorIs(t, live(value), users.ErrNoSession, "the key expired")

	require.NoError(t, b.svc.SetPassword(b.ctx, b.member, &users.SetPasswordParams{New: "first password"}))
	pu, err := b.svc.SignIn(b.ctx, "member@example.test", "first password")
	require.NoError(t, err)
	byPassword, _, err := b.svc.StartSession(b.ctx, pu, nil, time.Hour)
	require.NoError(t, err)
	key, _, err = b.svc.CreateKey(b.ctx, b.member, &users.CreateKeyParams{Name: "desk"})
	require.NoError(t, err)
	byKey := signIn(key)
	require.NoError(t, live(byPassword))
	require.NoError(t, b.svc.SetPassword(b.ctx, b.member, &users.SetPasswordParams{Current: "first password", New: "second password"}))
	require.ErrorIs(t, live(byPassword), users.ErrNoSession, "the password changed")
	require.NoError(t, live(byKey), "a key's session does not depend on the password")

	_, err = b.svc.Delete(b.ctx, b.admin, b.member.UserID)
	require.NoError(t, err)
	require.ErrorIs(t, live(byKey), users.ErrNoSession, "the user was removed")

	admin, _, err := b.svc.Me(b.ctx, b.admin)
	require.NoError(t, err)
	_, _, err = b.svc.StartSession(b.ctx, admin, nil, time.Hour)
	require.Error(t, err, "a user without a password has no password session")
	_, _, err = b.svc.StartSession(b.ctx, admin, k, time.Hour)
	require.Error(t, err, "another user's key")
}
