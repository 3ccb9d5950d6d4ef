package hub_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/store"
)

func TestServer_Authenticate(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	ctx := context.Background()
	past := time.Now().Add(-time.Minute)
	expired, _, err := hub.IssueKey(ctx, h.Server.Store(), &hub.IssueKeyParams{OrgID: h.OrgID, UserID: h.AdminID, Name: "old", ExpiresAt: &past})
	require.NoError(t, err)
	revoked, rk, err := hub.IssueKey(ctx, h.Server.Store(), &hub.IssueKeyParams{OrgID: h.OrgID, UserID: h.AdminID, Name: "gone"})
	require.NoError(t, err)
	h.JSON(t, "DELETE", "/api/keys/"+rk.ID, h.AdminKey, nil, http.StatusNoContent, nil)

	tests := []struct {
		name   string
		header string
		value  string
		status int
		msg    string
	}{
		{"NoKey", "", "", 401, `missing API key: send it in the "apikey" header or as "Authorization: Bearer KEY"`},
		{"UnknownKey", "apikey", "ehk_nope", 401, "invalid API key"},
		{"Bearer", "Authorization", "Bearer " + h.AdminKey, 200, ""},
		{"BearerLowercase", "Authorization", "bearer " + h.AdminKey, 200, ""},
		{"APIKeyHeader", "apikey", h.AdminKey, 200, ""},
		{"Expired", "apikey", expired, 401, "expired at"},
		{"Revoked", "apikey", revoked, 401, "was revoked"},
		{"BasicIgnored", "Authorization", "Basic Zm9vOmJhcg==", 401, "missing API key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest("GET", h.URL+"/api/projects", nil)
			require.NoError(t, err)
			if tt.header != "" {
				req.Header.Set(tt.header, tt.value)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tt.status, resp.StatusCode)
			if tt.msg != "" {
				var fail hubapi.FailResponse
				require.NoError(t, decodeJSON(resp.Body, &fail))
				require.Equal(t, "unauthorized", fail.Code)
				require.Contains(t, fail.Message, tt.msg)
			}
		})
	}
}

func TestServer_Roles(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	memberID, member := h.NewUser(t, h.OrgID, store.RoleMember)

	t.Run("MemberManagesProjects", func(t *testing.T) {
		t.Parallel()
		p := createProject(t, h, member, map[string]any{"name": "m"})
		h.JSON(t, "DELETE", "/api/projects/"+p.ID, member, nil, http.StatusNoContent, nil)
	})
	t.Run("MemberCannotManageUsers", func(t *testing.T) {
		t.Parallel()
		var fail hubapi.FailResponse
		h.JSON(t, "GET", "/api/users", member, nil, http.StatusForbidden, &fail)
		require.Equal(t, `this needs an organization admin; your role is "member"`, fail.Message)
		h.JSON(t, "POST", "/api/users", member, map[string]any{"email": "x@example.test"}, http.StatusForbidden, nil)
	})
	t.Run("MemberCannotCreateStorages", func(t *testing.T) {
		t.Parallel()
		h.JSON(t, "POST", "/api/storages", member, map[string]any{"name": "s"}, http.StatusForbidden, nil)
		h.JSON(t, "GET", "/api/storages", member, nil, http.StatusOK, nil)
	})
	t.Run("MemberKeys", func(t *testing.T) {
		t.Parallel()
		var k hubapi.KeyCreateResponse
		h.JSON(t, "POST", "/api/keys", member, map[string]any{"name": "laptop", "expiresIn": "24h"}, http.StatusCreated, &k)
		require.Regexp(t, `^ehk_[a-z2-7]{52}$`, k.Key)
		require.Equal(t, k.Key[:12], k.Prefix)
		require.Equal(t, memberID, k.UserID)
		require.WithinDuration(t, time.Now().Add(24*time.Hour), *k.ExpiresAt, time.Minute)
		h.JSON(t, "GET", "/api/me", k.Key, nil, http.StatusOK, nil)

		var list hubapi.KeyListResponse
		h.JSON(t, "GET", "/api/keys", member, nil, http.StatusOK, &list)
		for _, key := range list.Keys {
			require.Equal(t, memberID, key.UserID, "a member sees only their own keys")
		}
		h.JSON(t, "POST", "/api/keys", member, map[string]any{"name": "x", "userId": h.AdminID}, http.StatusForbidden, nil)
		// Another user's key is invisible to a member.
		var adminKeys hubapi.KeyListResponse
		h.JSON(t, "GET", "/api/keys", h.AdminKey, nil, http.StatusOK, &adminKeys)
		for _, key := range adminKeys.Keys {
			if key.UserID == h.AdminID {
				h.JSON(t, "DELETE", "/api/keys/"+key.ID, member, nil, http.StatusNotFound, nil)
			}
		}
		h.JSON(t, "DELETE", "/api/keys/"+k.ID, member, nil, http.StatusNoContent, nil)
		h.JSON(t, "GET", "/api/me", k.Key, nil, http.StatusUnauthorized, nil)
	})
	t.Run("AdminCreatesUsers", func(t *testing.T) {
		t.Parallel()
		var u hubapi.UserCreateResponse
		h.JSON(t, "POST", "/api/users", h.AdminKey, map[string]any{"email": "new@example.test", "name": "New", "password": "correct horse", "createKey": true}, http.StatusCreated, &u)
		require.Equal(t, store.RoleMember, u.User.Role)
		require.NotNil(t, u.Key)
		var me hubapi.MeResponse
		h.JSON(t, "GET", "/api/me", u.Key.Key, nil, http.StatusOK, &me)
		require.Equal(t, "new@example.test", me.User.Email)
		require.Equal(t, h.OrgID, me.Org.ID)
		var fail hubapi.FailResponse
		h.JSON(t, "POST", "/api/users", h.AdminKey, map[string]any{"email": "NEW@example.test"}, http.StatusConflict, &fail)
		require.Equal(t, `a user with e-mail "NEW@example.test" already exists`, fail.Message)
		h.JSON(t, "DELETE", "/api/users/"+u.User.ID, h.AdminKey, nil, http.StatusNoContent, nil)
		h.JSON(t, "GET", "/api/me", u.Key.Key, nil, http.StatusUnauthorized, nil)
		h.JSON(t, "DELETE", "/api/users/"+h.AdminID, h.AdminKey, nil, http.StatusConflict, nil)
	})
}

func TestServer_UserValidation(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	tests := []struct {
		name string
		body map[string]any
		msg  string
	}{
		{"NoEmail", map[string]any{}, "email is required"},
		{"BadEmail", map[string]any{"email": "not an address"}, `email "not an address" is not a valid e-mail address`},
		{"BadRole", map[string]any{"email": "a@example.test", "role": "owner"}, `role "owner" is not one of admin, member`},
		{"ShortPassword", map[string]any{"email": "a@example.test", "password": "short"}, "password must be 8 to 72 bytes long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var fail hubapi.FailResponse
			h.JSON(t, "POST", "/api/users", h.AdminKey, tt.body, http.StatusBadRequest, &fail)
			require.Equal(t, tt.msg, fail.Message)
		})
	}
}
