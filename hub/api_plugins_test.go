package hub_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs/runstest"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/waittest"
)

func TestPluginAPI_Create(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		rb := setupRuns(t, b, func(c *hub.Config) { c.Runs.RESTAllowedURLs = []string{"http://127.0.0.1:9999"} })
		h := rb.h

		t.Run("SecretShownOnceStoredHashed", func(t *testing.T) {
			var p hubapi.PluginSecretResponse
			h.JSON(t, http.MethodPost, "/api/plugins", h.AdminKey, map[string]any{
				"name": "COCO", "description": "boxes", "defaultConfig": map[string]any{"a": 1}, "runTimeout": "30m",
			}, http.StatusCreated, &p)
			require.Len(t, p.ID, 24)
			require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, p.Secret)
			require.Equal(t, "ws", p.Connector)
			require.Equal(t, hubapi.Duration(30*time.Minute), p.RunTimeout)
			require.JSONEq(t, `{"a":1}`, p.DefaultConfig)
			require.True(t, p.SecretRevealed)
			require.Empty(t, p.Instances)

			row, err := h.Server.Store().PluginGet(context.Background(), h.OrgID, p.ID)
			require.NoError(t, err)
			sum := sha256.Sum256([]byte(p.Secret))
			require.Equal(t, sum[:], row.SecretHash)
			require.NotContains(t, string(row.SecretEnc), p.Secret)

			got := h.JSON(t, http.MethodPost, "/api/plugins/"+p.ID+"/reveal-secret", h.AdminKey, nil, http.StatusConflict, nil)
			require.Contains(t, failBody(t, got).Message, "already revealed; rotate it")
			body := string(h.JSON(t, http.MethodGet, "/api/plugins/"+p.ID, h.AdminKey, nil, http.StatusOK, nil))
			require.NotContains(t, body, p.Secret)
		})

		t.Run("DefaultTimeout", func(t *testing.T) {
			var p hubapi.PluginSecretResponse
			h.JSON(t, http.MethodPost, "/api/plugins", h.AdminKey, map[string]any{"name": "defaults"}, http.StatusCreated, &p)
			require.Equal(t, hubapi.Duration(time.Hour), p.RunTimeout)
			require.Equal(t, "{}", p.DefaultConfig)
		})

		t.Run("Validation", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				req  map[string]any
				msg  string
			}{
				{"NoName", map[string]any{}, "name is required"},
				{"ConfigNotJSON", map[string]any{"name": "x", "defaultConfig": "{oops"}, "defaultConfig is not valid JSON"},
				// The web UI's rule, now the hub's: a default config is one JSON object.
				{"ConfigNotObject", map[string]any{"name": "x", "defaultConfig": "[1, 2]"}, "defaultConfig must be a JSON object, got an array"},
				{"TimeoutTooShort", map[string]any{"name": "x", "runTimeout": "10ms"}, "runTimeout must be between 1s and 168h0m0s, got 10ms"},
				{"TimeoutNotDuration", map[string]any{"name": "x", "runTimeout": "soon"}, `duration "soon"`},
				{"BadConnector", map[string]any{"name": "x", "connector": "grpc"}, `connector must be "ws" or "rest", got "grpc"`},
				{"RESTWithoutURL", map[string]any{"name": "x", "connector": "rest"}, "baseUrl is required for the rest connector"},
				{"RESTNotAllowed", map[string]any{"name": "x", "connector": "rest", "baseUrl": "http://10.0.0.1/"}, "not among the URLs this hub allows"},
				{"WSWithURL", map[string]any{"name": "x", "baseUrl": "http://127.0.0.1:9999"}, "baseUrl is only used by the rest connector"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got := h.JSON(t, http.MethodPost, "/api/plugins", h.AdminKey, tc.req, http.StatusBadRequest, nil)
					require.Contains(t, failBody(t, got).Message, tc.msg)
				})
			}
		})

		t.Run("RESTAllowed", func(t *testing.T) {
			var p hubapi.PluginSecretResponse
			h.JSON(t, http.MethodPost, "/api/plugins", h.AdminKey, map[string]any{"name": "rest", "connector": "rest", "baseUrl": "http://127.0.0.1:9999/"}, http.StatusCreated, &p)
			require.Equal(t, "rest", p.Connector)
			require.Equal(t, "http://127.0.0.1:9999", p.BaseURL)
		})

	})
}

func TestPluginAPI_Instances(t *testing.T) {
	t.Parallel()
	rb := setupRuns(t, hubtest.SQLite, nil)
	p := rb.plugin(t, nil)
	rb.connect(t, p, runstest.Options{})
	rb.connect(t, p, runstest.Options{})
	got := rb.pluginGet(t, p.ID)
	require.True(t, got.Online)
	require.Len(t, got.Instances, 2)
	for _, i := range got.Instances {
		require.Contains(t, i.RemoteAddr, "127.0.0.1:")
		require.False(t, i.ConnectedAt.IsZero())
		require.False(t, i.LastHeartbeat.IsZero())
		require.Equal(t, 0, i.Runs)
	}
	var list hubapi.PluginListResponse
	rb.h.JSON(t, http.MethodGet, "/api/plugins", rb.h.AdminKey, nil, http.StatusOK, &list)
	require.Len(t, list.Plugins, 1)
	require.Len(t, list.Plugins[0].Instances, 2)
}

func TestPluginAPI_RotateSecret(t *testing.T) {
	t.Parallel()
	rb := setupRuns(t, hubtest.SQLite, nil)
	p := rb.plugin(t, nil)
	old := rb.connect(t, p, runstest.Options{})

	var rotated hubapi.PluginSecretResponse
	rb.h.JSON(t, http.MethodPost, "/api/plugins/"+p.ID+"/rotate-secret", rb.h.AdminKey, nil, http.StatusOK, &rotated)
	require.NotEqual(t, p.Secret, rotated.Secret)
	// The instance that used the old secret is cut off.
	waittest.For(t, "old instance gone", func() bool { return len(rb.pluginGet(t, p.ID).Instances) == 0 })
	waittest.For(t, "old socket closed", func() bool { return !old.Connected() })

	// The old secret no longer works; the new one does.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stale, err := runstest.Connect(ctx, runstest.Options{Host: rb.h.URL, ID: p.ID, Secret: p.Secret})
	require.NoError(t, err)
	defer stale.Close()
	waittest.For(t, "stale socket rejected", func() bool { return !stale.Connected() })
	p.Secret = rotated.Secret
	rb.connect(t, p, runstest.Options{})
}

func TestPluginAPI_Permissions(t *testing.T) {
	t.Parallel()
	rb := setupRuns(t, hubtest.SQLite, nil)
	h := rb.h
	p := rb.plugin(t, nil)
	_, memberKey := h.NewUser(t, h.OrgID, store.RoleMember)

	// A member sees the admin's plugin but may not change it.
	h.JSON(t, http.MethodGet, "/api/plugins/"+p.ID, memberKey, nil, http.StatusOK, nil)
	for _, path := range []string{"/rotate-secret", "/reveal-secret"} {
		got := h.JSON(t, http.MethodPost, "/api/plugins/"+p.ID+path, memberKey, nil, http.StatusForbidden, nil)
		require.Contains(t, failBody(t, got).Message, "only the plugin's owner or an organization admin")
	}
	h.JSON(t, http.MethodPatch, "/api/plugins/"+p.ID, memberKey, map[string]any{"name": "x"}, http.StatusForbidden, nil)
	h.JSON(t, http.MethodDelete, "/api/plugins/"+p.ID, memberKey, nil, http.StatusForbidden, nil)

	// A member owns the plugins they create.
	var mine hubapi.PluginSecretResponse
	h.JSON(t, http.MethodPost, "/api/plugins", memberKey, map[string]any{"name": "mine"}, http.StatusCreated, &mine)
	var upd hubapi.PluginResponse
	h.JSON(t, http.MethodPatch, "/api/plugins/"+mine.ID, memberKey, map[string]any{"description": "d", "runTimeout": 90}, http.StatusOK, &upd)
	require.Equal(t, "d", upd.Description)
	require.Equal(t, hubapi.Duration(90*time.Second), upd.RunTimeout)

	// Another organization sees nothing.
	o := h.NewOrg(t, "Other")
	h.JSON(t, http.MethodGet, "/api/plugins/"+p.ID, o.AdminKey, nil, http.StatusNotFound, nil)
	h.JSON(t, http.MethodPost, "/api/plugins/"+p.ID+"/rotate-secret", o.AdminKey, nil, http.StatusNotFound, nil)
	h.JSON(t, http.MethodPost, "/api/projects/"+rb.project.ID+"/plugins/"+p.ID, o.AdminKey, nil, http.StatusNotFound, nil)
	var list hubapi.PluginListResponse
	h.JSON(t, http.MethodGet, "/api/plugins", o.AdminKey, nil, http.StatusOK, &list)
	require.Empty(t, list.Plugins)
	oProject := createProject(t, h, o.AdminKey, map[string]any{"name": "theirs"})
	h.JSON(t, http.MethodPost, "/api/projects/"+oProject.ID+"/plugins/"+p.ID, o.AdminKey, nil, http.StatusNotFound, nil)
}

// TestPluginAPI_ProjectPluginsAdminOnly checks the rule the web UI had
// and the API lacked: only organization admins enable and disable plugins
// on a project; members still see the project's plugins and run them.
func TestPluginAPI_ProjectPluginsAdminOnly(t *testing.T) {
	t.Parallel()
	rb := setupRuns(t, hubtest.SQLite, nil)
	h := rb.h
	p := rb.plugin(t, nil) // enabled on rb.project by the admin
	_, memberKey := h.NewUser(t, h.OrgID, store.RoleMember)
	var mine hubapi.PluginSecretResponse
	h.JSON(t, http.MethodPost, "/api/plugins", memberKey, map[string]any{"name": "member's own"}, http.StatusCreated, &mine)

	path := "/api/projects/" + rb.project.ID + "/plugins/"
	got := h.JSON(t, http.MethodPost, path+mine.ID, memberKey, nil, http.StatusForbidden, nil)
	require.Equal(t, hubapi.FailResponse{Status: "fail", Code: hubapi.CodeForbidden,
		Message: `only an organization admin may enable plugins on a project; your role is "member"`}, failBody(t, got))
	got = h.JSON(t, http.MethodDelete, path+p.ID, memberKey, nil, http.StatusForbidden, nil)
	require.Equal(t, `only an organization admin may disable plugins on a project; your role is "member"`, failBody(t, got).Message)

	// Nothing changed; the member still lists and runs the enabled plugin.
	var list hubapi.PluginListResponse
	h.JSON(t, http.MethodGet, "/api/projects/"+rb.project.ID+"/plugins", memberKey, nil, http.StatusOK, &list)
	require.Len(t, list.Plugins, 1)
	require.Equal(t, p.ID, list.Plugins[0].ID)
	h.JSON(t, http.MethodPost, path+p.ID+"/runs", memberKey, nil, http.StatusCreated, nil)

	// An admin enables the member's plugin.
	h.JSON(t, http.MethodPost, path+mine.ID, h.AdminKey, nil, http.StatusOK, nil)
	h.JSON(t, http.MethodGet, "/api/projects/"+rb.project.ID+"/plugins", memberKey, nil, http.StatusOK, &list)
	require.Len(t, list.Plugins, 2)
}

func TestPluginAPI_ProjectPlugins(t *testing.T) {
	t.Parallel()
	rb := setupRuns(t, hubtest.SQLite, nil)
	h := rb.h
	p := rb.plugin(t, nil)
	var list hubapi.PluginListResponse
	h.JSON(t, http.MethodGet, "/api/projects/"+rb.project.ID+"/plugins", h.AdminKey, nil, http.StatusOK, &list)
	require.Len(t, list.Plugins, 1)
	require.Equal(t, p.ID, list.Plugins[0].ID)
	// Enabling twice is fine.
	h.JSON(t, http.MethodPost, "/api/projects/"+rb.project.ID+"/plugins/"+p.ID, h.AdminKey, nil, http.StatusOK, nil)
	resp := h.Do(t, http.MethodDelete, "/api/projects/"+rb.project.ID+"/plugins/"+p.ID, h.AdminKey, nil)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	h.JSON(t, http.MethodDelete, "/api/projects/"+rb.project.ID+"/plugins/"+p.ID, h.AdminKey, nil, http.StatusNotFound, nil)
	h.JSON(t, http.MethodGet, "/api/projects/"+rb.project.ID+"/plugins", h.AdminKey, nil, http.StatusOK, &list)
	require.Empty(t, list.Plugins)
	h.JSON(t, http.MethodPost, "/api/projects/"+rb.project.ID+"/plugins/"+p.ID+"/runs", h.AdminKey, nil, http.StatusConflict, nil)

	// Deleting a plugin disconnects its instances.
	inst := rb.connect(t, p, runstest.Options{})
	resp = h.Do(t, http.MethodDelete, "/api/plugins/"+p.ID, h.AdminKey, nil)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	waittest.For(t, "instance disconnected", func() bool { return !inst.Connected() })
	h.JSON(t, http.MethodGet, "/api/plugins/"+p.ID, h.AdminKey, nil, http.StatusNotFound, nil)
}
