package cli_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs/runstest"
	"github.com/exporthub/exporthub/internal/cli"
)

func TestPluginCommand(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	hostFlags := []string{"--host", h.URL, "--api-key", h.AdminKey}
	var project hubapi.ProjectResponse
	h.JSON(t, http.MethodPost, "/api/projects", h.AdminKey, map[string]any{"name": "cli"}, http.StatusCreated, &project)

	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	require.NoError(t, os.WriteFile(cfg, []byte(`{"separator-character": ";"}`), 0o600))
	out, errOut, err := run(t, "", append([]string{"plugin", "create", "--name", "Boxes", "--config", "@" + cfg, "--timeout", "10m", "--enable-on", project.ID}, hostFlags...)...)
	require.NoError(t, err, errOut)
	m := regexp.MustCompile(`id:\s+([0-9a-f]{24})\nsecret:\s+(\S+)\n`).FindStringSubmatch(out)
	require.NotNil(t, m, "got output %q", out)
	id, secret := m[1], m[2]
	require.Contains(t, errOut, "shown once")

	out, _, err = run(t, "", append([]string{"plugin", "list", "--project", project.ID}, hostFlags...)...)
	require.NoError(t, err)
	require.Contains(t, out, id)
	require.Contains(t, out, "Boxes")
	require.Contains(t, out, "10m0s")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inst, err := runstest.Connect(ctx, runstest.Options{Host: h.URL, ID: id, Secret: secret})
	require.NoError(t, err)
	defer inst.Close()
	require.Eventually(t, func() bool {
		out, _, err = run(t, "", append([]string{"plugin", "show", id}, hostFlags...)...)
		return err == nil && strings.Contains(out, "instances:       1")
	}, 10*time.Second, 20*time.Millisecond, "got %q", out)
	require.Contains(t, out, `default config:  {"separator-character": ";"}`)
	require.Contains(t, out, "127.0.0.1:")

	out, _, err = run(t, "", append([]string{"plugin", "rotate-secret", id}, hostFlags...)...)
	require.NoError(t, err)
	require.Regexp(t, `^secret: [0-9a-f-]{36}\n$`, out)
	require.NotContains(t, out, secret)

	_, _, err = run(t, "", append([]string{"plugin", "show", "000000000000000000000000"}, hostFlags...)...)
	require.ErrorContains(t, err, "not found")
}

func TestRunCommand(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, &hubtest.Options{Configure: func(c *hub.Config) { c.Runs.LogFlushInterval = 10 * time.Millisecond }})
	hostFlags := []string{"--host", h.URL, "--api-key", h.AdminKey}
	var project hubapi.ProjectResponse
	h.JSON(t, http.MethodPost, "/api/projects", h.AdminKey, map[string]any{"name": "cli"}, http.StatusCreated, &project)
	h.JSON(t, http.MethodPost, "/api/projects/"+project.ID+"/import", h.AdminKey, assetLine("a1", "Complete", "b1")+assetLine("a2", "Label", "b1"), http.StatusOK, nil)

	var p hubapi.PluginSecretResponse
	h.JSON(t, http.MethodPost, "/api/plugins", h.AdminKey, map[string]any{"name": "cli run"}, http.StatusCreated, &p)
	h.JSON(t, http.MethodPost, "/api/projects/"+project.ID+"/plugins/"+p.ID, h.AdminKey, nil, http.StatusOK, nil)

	t.Run("NoInstanceExits1", func(t *testing.T) {
		_, _, err := run(t, "", append([]string{"run", "--project", project.ID, "--plugin", p.ID}, hostFlags...)...)
		require.Error(t, err)
		require.Equal(t, 1, cli.ExitCode(err))
		require.ErrorContains(t, err, "run failed: no plugin instance connected")
	})

	body := []byte("PK the export bytes")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inst, err := runstest.Connect(ctx, runstest.Options{Host: h.URL, ID: p.ID, Secret: p.Secret, Handler: func(_ context.Context, r *runstest.Run) (string, []byte, error) {
		r.Log("INFO", "exporting", map[string]any{"assets": len(r.Assets)})
		if strings.Contains(r.Request.ConfigJSON, "fail") {
			return "", nil, context.Canceled
		}
		return "out.zip", body, nil
	}})
	require.NoError(t, err)
	defer inst.Close()
	require.Eventually(t, func() bool {
		var got hubapi.PluginResponse
		h.JSON(t, http.MethodGet, "/api/plugins/"+p.ID, h.AdminKey, nil, http.StatusOK, &got)
		return len(got.Instances) == 1
	}, 10*time.Second, 20*time.Millisecond)

	var runID string
	t.Run("WaitAndDownload", func(t *testing.T) {
		outFile := filepath.Join(t.TempDir(), "out.zip")
		out, errOut, err := run(t, "", append([]string{"run", "--project", project.ID, "--plugin", p.ID, "--stage", "Complete", "--batch", "b1", "--config", `{"k": 1}`, "--wait", "-o", outFile}, hostFlags...)...)
		require.NoError(t, err, errOut)
		require.Empty(t, out)
		require.Regexp(t, `INFO    exporting assets=1`, errOut)
		require.Regexp(t, `succeeded: cli-cli_run-\d{8}T\d{6}Z\.zip \(19 B, sha256 `, errOut)
		got, err := os.ReadFile(outFile)
		require.NoError(t, err)
		require.Equal(t, body, got)
		runID = regexp.MustCompile(`run ([0-9a-f]{24})`).FindStringSubmatch(errOut)[1]
	})

	t.Run("RetriesFlag", func(t *testing.T) {
		_, _, err := run(t, "", append([]string{"run", "--project", project.ID, "--plugin", p.ID, "--retries", "9"}, hostFlags...)...)
		require.ErrorContains(t, err, "retries must be from 0 to 5, got 9")
		out, errOut, err := run(t, "", append([]string{"run", "--project", project.ID, "--plugin", p.ID, "--retries", "2"}, hostFlags...)...)
		require.NoError(t, err, errOut)
		var got hubapi.RunResponse
		h.JSON(t, http.MethodGet, "/api/runs/"+strings.TrimSpace(out), h.AdminKey, nil, http.StatusOK, &got)
		require.Equal(t, 2, got.Retries)
		require.Equal(t, 1, got.Attempt)
	})

	t.Run("FailureExits1WithMessage", func(t *testing.T) {
		_, errOut, err := run(t, "", append([]string{"run", "--project", project.ID, "--plugin", p.ID, "--config", `{"fail": true}`, "--wait"}, hostFlags...)...)
		require.Error(t, err)
		require.Equal(t, 1, cli.ExitCode(err))
		require.ErrorContains(t, err, "run failed: the plugin reported an error; see the run logs")
		require.Contains(t, errOut, "exporting")
	})

	t.Run("RunsListAndLogs", func(t *testing.T) {
		out, _, err := run(t, "", append([]string{"runs", "list", "--project", project.ID}, hostFlags...)...)
		require.NoError(t, err)
		require.Contains(t, out, runID)
		require.Contains(t, out, "succeeded")
		require.Contains(t, out, "no plugin instance connected")

		out, _, err = run(t, "", append([]string{"runs", "logs", runID}, hostFlags...)...)
		require.NoError(t, err)
		require.Regexp(t, `^\d\d:\d\d:\d\d INFO    exporting assets=1\n$`, out)

		out, errOut, err := run(t, "", append([]string{"runs", "logs", "-f", runID}, hostFlags...)...)
		require.NoError(t, err)
		require.Contains(t, out, "exporting assets=1")
		require.Contains(t, errOut, "run succeeded")

		_, _, err = run(t, "", append([]string{"runs", "cancel", runID}, hostFlags...)...)
		require.ErrorContains(t, err, "already ended")
	})
}
