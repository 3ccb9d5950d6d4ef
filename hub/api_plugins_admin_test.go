package hub_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/store"
)

// TestPlugins_OnlyAdminsEnable: enabling or disabling a plugin on a
// project is for organization admins, through the API as in the web UI;
// a member, even the plugin's owner, gets 403.
func TestPlugins_OnlyAdminsEnable(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	p := createProject(t, h, h.AdminKey, map[string]any{"name": "p"})
	_, member := h.NewUser(t, h.OrgID, store.RoleMember)
	var own hubapi.PluginSecretResponse
	h.JSON(t, http.MethodPost, "/api/plugins", member, map[string]any{"name": "mine"}, http.StatusCreated, &own)
	path := "/api/projects/" + p.ID + "/plugins/" + own.ID
	got := h.JSON(t, http.MethodPost, path, member, nil, http.StatusForbidden, nil)
	require.Contains(t, failBody(t, got).Message, "admin")
	h.JSON(t, http.MethodPost, path, h.AdminKey, nil, http.StatusOK, nil)
	h.JSON(t, http.MethodDelete, path, member, nil, http.StatusForbidden, nil)
	h.JSON(t, http.MethodDelete, path, h.AdminKey, nil, http.StatusNoContent, nil)
}
