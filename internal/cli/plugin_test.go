package cli_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs/runstest"
	"github.com/exporthub/exporthub/hub/store"
)

// TestPluginShowCommand_Node checks the NODE column of `plugin show`: the
// hub replica each instance is connected to, shown on a hub with
// replicas (PostgreSQL) and left out on a single hub (SQLite).
func TestPluginShowCommand_Node(t *testing.T) {
	t.Parallel()
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			h := hubtest.Start(t, &hubtest.Options{Backend: backend})
			hostFlags := []string{"--host", h.URL, "--api-key", h.AdminKey}
			var p hubapi.PluginSecretResponse
			h.JSON(t, http.MethodPost, "/api/plugins", h.AdminKey, map[string]any{"name": "node column"}, http.StatusCreated, &p)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			inst, err := runstest.Connect(ctx, runstest.Options{Host: h.URL, ID: p.ID, Secret: p.Secret})
			require.NoError(t, err)
			defer inst.Close()
			var out string
			require.Eventually(t, func() bool {
				out, _, err = run(t, "", append([]string{"plugin", "show", p.ID}, hostFlags...)...)
				return err == nil && strings.Contains(out, "instances:       1")
			}, 10*time.Second, 20*time.Millisecond, "got %q", out)

			node := h.Server.Config().NodeID
			if backend == hubtest.SQLite {
				require.Regexp(t, `(?m)^INSTANCE\s+REMOTE\s+CONNECTED\s+LAST HEARTBEAT\s+RUNS$`, out)
				require.NotContains(t, out, "NODE")
				return
			}
			require.NotEmpty(t, node)
			require.Regexp(t, `(?m)^INSTANCE\s+REMOTE\s+NODE\s+CONNECTED\s+LAST HEARTBEAT\s+RUNS$`, out)
			require.Regexp(t, `(?m)^\S+\s+127\.0\.0\.1:\d+\s+`+regexp.QuoteMeta(node)+`\s+\d{4}-`, out, "the instance row names its node")
		})
	}
}

// TestPluginEnableCommand_AdminOnly checks that `plugin enable` follows
// the hub's rule: only organization admins enable or disable plugins on a
// project, and a member is told so.
func TestPluginEnableCommand_AdminOnly(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	_, memberKey := h.NewUser(t, h.OrgID, store.RoleMember)
	var project hubapi.ProjectResponse
	h.JSON(t, http.MethodPost, "/api/projects", h.AdminKey, map[string]any{"name": "enable"}, http.StatusCreated, &project)
	var p hubapi.PluginSecretResponse
	h.JSON(t, http.MethodPost, "/api/plugins", memberKey, map[string]any{"name": "mine"}, http.StatusCreated, &p)

	_, _, err := run(t, "", "plugin", "enable", p.ID, "--project", project.ID, "--host", h.URL, "--api-key", memberKey)
	require.EqualError(t, err, `only an organization admin may enable plugins on a project; your role is "member"`)
	_, _, err = run(t, "", "plugin", "enable", "--disable", p.ID, "--project", project.ID, "--host", h.URL, "--api-key", memberKey)
	require.EqualError(t, err, `only an organization admin may disable plugins on a project; your role is "member"`)

	out, _, err := run(t, "", "plugin", "enable", p.ID, "--project", project.ID, "--host", h.URL, "--api-key", h.AdminKey)
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("Enabled plugin %s on project %s.\n", p.ID, project.ID), out)
}
