package cli_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs/runstest"
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
