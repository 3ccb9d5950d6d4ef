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
)

// TestServer_KeyRulesOfTheWebUI checks, through the API, the key rules
// the web UI had and the API lacked (the web UI's side is in
// web/browsertest TestUI_OrgAdmin/KeyRules): a key needs a name, and run
// tokens are not keys one can revoke.
func TestServer_KeyRulesOfTheWebUI(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	tests := []struct {
		name string
		body map[string]any
		msg  string
	}{
		{"NoName", map[string]any{}, `name is required: say what the key is for, e.g. "ci"`},
		{"BlankName", map[string]any{"name": "   "}, `name is required: say what the key is for, e.g. "ci"`},
		{"LongName", map[string]any{"name": string(make([]byte, 201))}, "name is longer than 200 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var fail hubapi.FailResponse
			h.JSON(t, "POST", "/api/keys", h.AdminKey, tt.body, http.StatusBadRequest, &fail)
			require.Equal(t, tt.msg, fail.Message)
			require.Equal(t, hubapi.CodeBadRequest, fail.Code)
		})
	}

	t.Run("RunTokenIsNoKey", func(t *testing.T) {
		t.Parallel()
		var p hubapi.ProjectResponse
		h.JSON(t, "POST", "/api/projects", h.AdminKey, map[string]any{"name": "tokens"}, http.StatusCreated, &p)
		exp := time.Now().Add(time.Hour)
		token, rt, err := h.Server.IssueKey(context.Background(), &hub.IssueKeyParams{OrgID: h.OrgID, UserID: h.AdminID, Name: "run",
			ProjectID: p.ID, RunID: "run-of-the-key-rules", ExpiresAt: &exp})
		require.NoError(t, err)
		var list hubapi.KeyListResponse
		h.JSON(t, "GET", "/api/keys", h.AdminKey, nil, http.StatusOK, &list)
		for _, k := range list.Keys {
			require.NotEqual(t, rt.ID, k.ID, "run tokens are not listed")
		}
		h.JSON(t, "DELETE", "/api/keys/"+rt.ID, h.AdminKey, nil, http.StatusNotFound, nil)
		h.JSON(t, "GET", "/v2/project/"+p.ID, token, nil, http.StatusOK, nil)
	})
}
