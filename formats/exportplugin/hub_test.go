package exportplugin_test

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/formats/exportplugin"
	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/plugin/plugintest"
)

// TestHandler_ServeExportRealHub runs the formats plugin against the real
// hub (in process, SQLite): the COCO categories of a project with a
// category schema follow the schema; those of a project without one
// follow the export.
func TestHandler_ServeExportRealHub(t *testing.T) {
	t.Parallel()

	h := hubtest.Start(t, &hubtest.Options{Configure: func(c *hub.Config) {
		c.Runs.LogFlushInterval = 20 * time.Millisecond
	}})
	call := func(method, path string, body any, want int, out any) {
		t.Helper()
		h.JSON(t, method, path, h.AdminKey, body, want, out)
	}
	assets, err := os.ReadFile(imageSample)
	require.NoError(t, err)
	newProject := func(req map[string]any) string {
		t.Helper()
		var p hubapi.ProjectResponse
		call(http.MethodPost, "/api/projects", req, http.StatusCreated, &p)
		var imp hubapi.ImportResponse
		call(http.MethodPost, "/api/projects/"+p.ID+"/import", assets, http.StatusOK, &imp)
		require.Equal(t, 3, imp.Imported)
		return p.ID
	}
	withSchema := newProject(map[string]any{"name": "with schema", "categorySchema": reversedSchema})
	withoutSchema := newProject(map[string]any{"name": "without schema"})

	var pl hubapi.PluginSecretResponse
	call(http.MethodPost, "/api/plugins", map[string]any{"name": "formats"}, http.StatusCreated, &pl)
	for _, p := range []string{withSchema, withoutSchema} {
		call(http.MethodPost, "/api/projects/"+p+"/plugins/"+pl.ID, nil, http.StatusOK, nil)
	}
	startPlugin(t, h.URL, pl.ID, pl.Secret, &exportplugin.Handler{TempDir: t.TempDir()})
	plugintest.WaitFor(t, "the plugin to connect", func() bool {
		var p hubapi.PluginResponse
		call(http.MethodGet, "/api/plugins/"+pl.ID, nil, http.StatusOK, &p)
		return len(p.Instances) == 1
	})

	// export runs the plugin on project and returns the run and its
	// annotations.json.
	export := func(project string) (*hubapi.RunResponse, []byte) {
		t.Helper()
		var r hubapi.RunResponse
		call(http.MethodPost, "/api/projects/"+project+"/plugins/"+pl.ID+"/runs", map[string]any{"configJSON": `{"format": "coco"}`}, http.StatusCreated, &r)
		plugintest.WaitFor(t, "run "+r.ID+" to end", func() bool {
			call(http.MethodGet, "/api/runs/"+r.ID, nil, http.StatusOK, &r)
			return store.RunStatus(r.Status).Final()
		})
		require.Equal(t, string(store.RunSucceeded), r.Status, "message: %s", r.Message)
		resp := h.Do(t, http.MethodGet, "/api/exports/"+r.ExportID+"/download", h.AdminKey, nil)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "download: %s", data)
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		require.NoError(t, err)
		f, err := zr.Open("annotations.json")
		require.NoError(t, err)
		defer f.Close()
		ann, err := io.ReadAll(f)
		require.NoError(t, err)
		return &r, ann
	}
	logged := func(runID, msg string) bool {
		t.Helper()
		var logs hubapi.RunLogsResponse
		call(http.MethodGet, "/api/runs/"+runID+"/logs", nil, http.StatusOK, &logs)
		for _, l := range logs.Logs {
			if l.Msg == msg {
				return true
			}
		}
		return false
	}

	run, ann := export(withSchema)
	categories, annotations := cocoClasses(t, ann)
	require.Equal(t, schemaOrder, categories, "categories follow the project's category schema")
	require.Equal(t, annotationsClass, annotations)
	plugintest.WaitFor(t, "the schema log line", func() bool {
		return logged(run.ID, "class order from the project's category schema")
	})

	_, ann = export(withoutSchema)
	categories, annotations = cocoClasses(t, ann)
	require.Equal(t, firstSeenOrder, categories, "without a schema, categories follow the export")
	require.Equal(t, annotationsClass, annotations)
}
