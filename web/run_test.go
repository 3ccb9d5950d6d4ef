package web_test

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/web"
)

// TestUI_RunPage checks the page of a run, which failure notifications
// link to: shown in its own project only, and to its organization only.
func TestUI_RunPage(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	var project, other hubapi.ProjectResponse
	h.JSON(t, http.MethodPost, "/api/projects", h.AdminKey, map[string]any{"name": "with a run"}, http.StatusCreated, &project)
	h.JSON(t, http.MethodPost, "/api/projects", h.AdminKey, map[string]any{"name": "without"}, http.StatusCreated, &other)
	var p hubapi.PluginSecretResponse
	h.JSON(t, http.MethodPost, "/api/plugins", h.AdminKey, map[string]any{"name": "Offline"}, http.StatusCreated, &p)
	h.JSON(t, http.MethodPost, "/api/projects/"+project.ID+"/plugins/"+p.ID, h.AdminKey, nil, http.StatusOK, nil)
	// No instance is connected: the run fails at once, and its user is
	// notified.
	var run hubapi.RunResponse
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

// TestUI_RunStart checks the run dialog's retries field on the server:
// a count out of bounds is refused with what is wrong, a good one reaches
// the run.
func TestUI_RunStart(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	var project hubapi.ProjectResponse
	h.JSON(t, http.MethodPost, "/api/projects", h.AdminKey, map[string]any{"name": "retries"}, http.StatusCreated, &project)
	var p hubapi.PluginSecretResponse
	h.JSON(t, http.MethodPost, "/api/plugins", h.AdminKey, map[string]any{"name": "Offline"}, http.StatusCreated, &p)
	h.JSON(t, http.MethodPost, "/api/projects/"+project.ID+"/plugins/"+p.ID, h.AdminKey, nil, http.StatusOK, nil)
	b := newBrowser(t, h.URL)
	b.signIn(t, h.AdminKey, "")
	_, page := b.get(t, "/projects/"+project.ID+"/settings/plugins")
	require.Contains(t, page, `<input type="number" id="retries-`+p.ID+`" name="retries" value="0" min="0" max="5"`)
	csrf := regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`).FindStringSubmatch(page)
	require.NotNil(t, csrf)
	start := func(t *testing.T, body string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, h.URL+"/ui/projects/"+project.ID+"/plugins/"+p.ID+"/runs", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(web.CSRFHeader, csrf[1])
		resp, err := b.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		got, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, got
	}

	for _, tc := range []struct {
		name, body, msg string
	}{
		{"TooMany", `{"configJSON": "{}", "retries": 6}`, "retries must be a whole number from 0 to 5, got 6"},
		{"Negative", `{"configJSON": "{}", "retries": -1}`, "retries must be a whole number from 0 to 5, got -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, body := start(t, tc.body)
			require.Equal(t, http.StatusBadRequest, status, "%s", body)
			var fail struct {
				Message string `json:"message"`
			}
			require.NoError(t, json.Unmarshal(body, &fail))
			require.Equal(t, tc.msg, fail.Message)
		})
	}

	t.Run("Accepted", func(t *testing.T) {
		t.Parallel()
		status, body := start(t, `{"configJSON": "{}", "retries": 3}`)
		require.Equal(t, http.StatusCreated, status, "%s", body)
		var started web.RunResponse
		require.NoError(t, json.Unmarshal(body, &started))
		var run hubapi.RunResponse
		h.JSON(t, http.MethodGet, "/api/runs/"+started.ID, h.AdminKey, nil, http.StatusOK, &run)
		require.Equal(t, 3, run.Retries)
		require.Equal(t, runs.MsgNoInstance, run.Message, "no instance online: a submit failure is never retried")
	})
}
