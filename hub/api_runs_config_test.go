package hub_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs/runstest"
)

// bigConfig returns a Config JSON object of n bytes.
func bigConfig(n int) string {
	const head, tail = `{"pad": "`, `"}`
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

// TestRuns_ConfigBound: a run's Config JSON is bounded (413 naming the
// limit, configurable), and run lists carry configs only when asked.
func TestRuns_ConfigBound(t *testing.T) {
	t.Parallel()

	t.Run("Default64KiB", func(t *testing.T) {
		t.Parallel()
		rb := setupRuns(t, hubtest.SQLite, nil)
		p := rb.plugin(t, nil)
		rb.connect(t, p, runstest.Options{SkipExport: true, Handler: fixedZip([]byte("PK"))})
		path := "/api/projects/" + rb.project.ID + "/plugins/" + p.ID + "/runs"
		got := rb.h.JSON(t, http.MethodPost, path, rb.h.AdminKey, map[string]any{"configJSON": bigConfig(900 << 10)}, http.StatusRequestEntityTooLarge, nil)
		f := failBody(t, got)
		require.Equal(t, hubapi.CodeBodyTooLarge, f.Code)
		require.Contains(t, f.Message, "limit of 65536 bytes")
		require.Contains(t, f.Message, "configJSON")
		// Exactly at the limit is fine.
		run := rb.start(t, p.ID, map[string]any{"configJSON": bigConfig(64 << 10)})
		rb.waitEnd(t, run.ID)

		var list hubapi.RunListResponse
		rb.h.JSON(t, http.MethodGet, "/api/runs?limit=1000", rb.h.AdminKey, nil, http.StatusOK, &list)
		require.Len(t, list.Runs, 1)
		require.Empty(t, list.Runs[0].ConfigJSON, "lists leave configs out")
		rb.h.JSON(t, http.MethodGet, "/api/projects/"+rb.project.ID+"/runs", rb.h.AdminKey, nil, http.StatusOK, &list)
		require.Empty(t, list.Runs[0].ConfigJSON)
		rb.h.JSON(t, http.MethodGet, "/api/runs?config=true", rb.h.AdminKey, nil, http.StatusOK, &list)
		require.Len(t, list.Runs[0].ConfigJSON, 64<<10)
		rb.h.JSON(t, http.MethodGet, "/api/runs?config=maybe", rb.h.AdminKey, nil, http.StatusBadRequest, nil)
		var one hubapi.RunResponse
		rb.h.JSON(t, http.MethodGet, "/api/runs/"+run.ID, rb.h.AdminKey, nil, http.StatusOK, &one)
		require.Len(t, one.ConfigJSON, 64<<10, "one run shows its config")
	})

	t.Run("Configured", func(t *testing.T) {
		t.Parallel()
		rb := setupRuns(t, hubtest.SQLite, func(c *hub.Config) { c.MaxConfigBytes = 1024 })
		got := rb.h.JSON(t, http.MethodPost, "/api/plugins", rb.h.AdminKey, map[string]any{"name": "big default", "defaultConfig": bigConfig(2048)}, http.StatusRequestEntityTooLarge, nil)
		require.Contains(t, failBody(t, got).Message, "defaultConfig is 2048 bytes, larger than the limit of 1024 bytes")
		p := rb.plugin(t, nil)
		path := "/api/projects/" + rb.project.ID + "/plugins/" + p.ID + "/runs"
		got = rb.h.JSON(t, http.MethodPost, path, rb.h.AdminKey, map[string]any{"configJSON": bigConfig(1025)}, http.StatusRequestEntityTooLarge, nil)
		require.Contains(t, failBody(t, got).Message, "limit of 1024 bytes")
	})
}
