package web_test

import (
	"encoding/json"
	"html"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs"
)

// TestUI_RunPage checks the page of a run, which failure notifications
// link to: shown in its own project only, and to its organization only.
func TestUI_RunPage(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	var project, other hub.ProjectResponse
	h.JSON(t, http.MethodPost, "/api/projects", h.AdminKey, map[string]any{"name": "with a run"}, http.StatusCreated, &project)
	h.JSON(t, http.MethodPost, "/api/projects", h.AdminKey, map[string]any{"name": "without"}, http.StatusCreated, &other)
	var p hub.PluginSecretResponse
	h.JSON(t, http.MethodPost, "/api/plugins", h.AdminKey, map[string]any{"name": "Offline"}, http.StatusCreated, &p)
	h.JSON(t, http.MethodPost, "/api/projects/"+project.ID+"/plugins/"+p.ID, h.AdminKey, nil, http.StatusOK, nil)
	// No instance is connected: the run fails at once, and its user is
	// notified.
	var run hub.RunResponse
	h.JSON(t, http.MethodPost, "/api/projects/"+project.ID+"/plugins/"+p.ID+"/runs", h.AdminKey, map[string]any{"configJSON": `{"k": 1}`}, http.StatusCreated, &run)
	require.Equal(t, "failed", run.Status)
	pagePath := "/projects/" + project.ID + "/runs/" + run.ID

	b := newBrowser(t, h.URL)
	b.signIn(t, h.AdminKey, "")

	t.Run("Page", func(t *testing.T) {
		t.Parallel()
		resp, body := b.get(t, pagePath)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		text := html.UnescapeString(body)
		require.Contains(t, text, `<h2 id="run-title">Run of Offline</h2>`)
		require.Contains(t, text, "failed — "+runs.MsgNoInstance)
		require.Contains(t, text, `<pre class="config">{"k": 1}</pre>`)
		require.Contains(t, text, `data-events-url="/ui/runs/`+run.ID+`/events"`)
		require.Contains(t, text, `data-cancel-url="/api/runs/`+run.ID+`/cancel"`)
	})

	t.Run("BellLinksToIt", func(t *testing.T) {
		t.Parallel()
		var bell struct {
			Items []struct {
				Title  string `json:"title"`
				RunURL string `json:"runUrl"`
			} `json:"items"`
		}
		require.Eventually(t, func() bool {
			_, body := b.get(t, "/ui/notifications")
			require.NoError(t, json.Unmarshal([]byte(body), &bell))
			return len(bell.Items) == 1
		}, 10*time.Second, 20*time.Millisecond, "the failure is notified")
		require.Equal(t, "Export failed: Offline — "+runs.MsgNoInstance, bell.Items[0].Title)
		require.Equal(t, pagePath, bell.Items[0].RunURL)
		_, page := b.get(t, "/projects")
		require.Contains(t, page, `<a class="run-link" href="`+pagePath+`">View run</a>`)
	})

	t.Run("OtherProject", func(t *testing.T) {
		t.Parallel()
		resp, _ := b.get(t, "/projects/"+other.ID+"/runs/"+run.ID)
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
	})

	t.Run("OtherOrganization", func(t *testing.T) {
		t.Parallel()
		o := h.NewOrg(t, "Elsewhere")
		ob := newBrowser(t, h.URL)
		ob.signIn(t, o.AdminKey, "")
		resp, _ := ob.get(t, pagePath)
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
	})
}
