package browsertest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/stretchr/testify/require"
)

// sampleAAF is the shared sample export the tests import: 3 images in
// the stages Complete and Label, batches batch-a and night-shots.
const sampleAAF = "testdata/image_small.json"

// newProject creates a project through the API and imports the sample
// into it; it returns the project's id.
func newProject(t *testing.T, b *bundle, name string) string {
	t.Helper()
	var p hubapi.ProjectResponse
	b.hub.JSON(t, "POST", "/api/projects", b.hub.AdminKey,
		&hubapi.ProjectCreateRequest{Name: name, Description: "Street scenes from the sample export"}, http.StatusCreated, &p)
	data, err := os.ReadFile(sampleAAF)
	require.NoError(t, err)
	var imp hubapi.ImportResponse
	b.hub.JSON(t, "POST", "/api/projects/"+p.ID+"/import", b.hub.AdminKey, data, http.StatusOK, &imp)
	require.Equal(t, 3, imp.Imported)
	return p.ID
}

// createPlugin creates a plugin through the New plugin form and returns
// its id (read from the Development box).
func (b *tab) createPlugin(t *testing.T, name, description, defaultConfig string) string {
	t.Helper()
	b.navigate(t, "/plugins")
	b.do(t,
		chromedp.Click(chromedp.CSS(`a[href="/plugins/new"]`)),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), name),
		chromedp.SendKeys(chromedp.ID("description"), description),
		chromedp.SetValue(chromedp.ID("default_config"), defaultConfig),
		chromedp.SetValue(chromedp.ID("timeout_minutes"), "5"),
		chromedp.Submit(chromedp.ID("name")),
		chromedp.WaitVisible(chromedp.ID("dev-title")),
	)
	require.Contains(t, b.text(t, ".flash-ok"), "Plugin created.")
	return b.text(t, "#plugin-id")
}

// revealSecret clicks Reveal secret and returns the secret shown.
func (b *tab) revealSecret(t *testing.T) string {
	t.Helper()
	b.do(t,
		chromedp.Click(chromedp.CSS(`form[action$="/secret/reveal"] button`)),
		chromedp.WaitVisible(chromedp.ID("plugin-secret")),
	)
	return b.text(t, "#plugin-secret")
}

// enablePlugin adds a plugin to a project in Settings → Plugins.
func (b *tab) enablePlugin(t *testing.T, projectID, pluginID string) {
	t.Helper()
	b.navigate(t, "/projects/"+projectID+"/settings/plugins")
	b.do(t,
		chromedp.SetValue(chromedp.ID("add-plugin"), pluginID),
		chromedp.Submit(chromedp.ID("add-plugin")),
		chromedp.WaitVisible(chromedp.CSS(`[data-dialog-open="run-`+pluginID+`"]`)),
	)
}

// configCase is a case of ../testdata/config-json/cases.json.
type configCase struct {
	Name    string `json:"name"`
	Text    string `json:"text"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

func TestUI_ProjectAndPlugin(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pid := newProject(t, b, "Street scenes")
	tb := b.newTab(t)
	tb.signInWithKey(t, b.hub.AdminKey)

	// Projects list → project overview with counts per stage and batch.
	tb.navigate(t, "/projects")
	require.Contains(t, tb.text(t, "tbody"), "Street scenes")
	tb.do(t, chromedp.Click(chromedp.CSS(`a[href="/projects/`+pid+`"]`)), chromedp.WaitVisible(chromedp.ID("tab-overview")))
	require.Equal(t, "3", tb.text(t, ".stat"))
	require.Equal(t, "true", eval[string](t, tb, `document.getElementById("tab-overview").getAttribute("aria-selected")`))
	byStage := tb.text(t, `section[aria-labelledby="stage-title"] tbody`)
	require.Contains(t, byStage, "Complete\t2")
	require.Contains(t, byStage, "Label\t1")
	byBatch := tb.text(t, `section[aria-labelledby="batch-title"] tbody`)
	require.Contains(t, byBatch, "batch-a\t2")
	require.Contains(t, byBatch, "night-shots\t1")

	// Tabs move with the arrow keys; Enter opens the focused tab.
	tb.do(t, chromedp.Focus(chromedp.ID("tab-overview")), chromedp.KeyEvent(kb.ArrowRight))
	require.Equal(t, "tab-exports", eval[string](t, tb, `document.activeElement.id`))
	tb.do(t, chromedp.KeyEvent(kb.ArrowRight))
	require.Equal(t, "tab-runs", eval[string](t, tb, `document.activeElement.id`))
	tb.do(t, chromedp.KeyEvent(kb.ArrowRight))
	require.Equal(t, "tab-settings", eval[string](t, tb, `document.activeElement.id`))
	tb.do(t, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(".section-nav")))
	require.Equal(t, "/projects/"+pid+"/settings", eval[string](t, tb, `location.pathname`))
	require.Contains(t, tb.text(t, "#tabpanel"), "batch-a")

	// Exports tab: nothing yet.
	tb.navigate(t, "/projects/"+pid+"/exports")
	require.Contains(t, tb.text(t, "#tabpanel"), "No exports yet.")

	// A plugin: create it, reveal its secret once.
	plugID := tb.createPlugin(t, "Boxes", "Bounding boxes as CSV", `{"format": "csv"}`)
	require.Len(t, plugID, 24)
	require.Contains(t, tb.text(t, "#instances-summary"), "0 connected")
	secret := tb.revealSecret(t)
	require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, secret)
	tb.navigate(t, "/plugins/"+plugID)
	require.Contains(t, tb.text(t, ".devbox"), "Already revealed. Rotate it to get a new one.")
	require.NotContains(t, tb.text(t, "body"), secret)

	// Settings: a bad default config is refused with its line and column.
	tb.typeInto(t, "#default_config", "{\n  \"format\": \"csv\",\n}")
	require.Equal(t, "Config JSON: line 2, column 18: trailing comma: expected a key after ','", tb.text(t, "#default-config-error"))
	require.True(t, eval[bool](t, tb, `document.querySelector('form[action="/plugins/`+plugID+`"] button[type=submit]').disabled`))
	tb.typeInto(t, "#default_config", `{"format": "csv", "minArea": 0}`)
	tb.do(t,
		chromedp.SetValue(chromedp.ID("timeout_minutes"), "7"),
		chromedp.Submit(chromedp.ID("timeout_minutes")),
		chromedp.WaitVisible(chromedp.CSS(".flash-ok")),
	)
	require.Equal(t, "Plugin saved.", tb.text(t, ".flash-ok"))
	require.Equal(t, "7", eval[string](t, tb, `document.getElementById("timeout_minutes").value`))

	// Enable it on the project and open its dialog.
	tb.enablePlugin(t, pid, plugID)
	require.Contains(t, tb.text(t, ".flash-ok"), "Boxes is enabled on this project.")
	require.Contains(t, tb.text(t, "tbody"), "offline")
	tb.do(t,
		chromedp.Click(chromedp.CSS(`[data-dialog-open="run-`+plugID+`"]`)),
		chromedp.WaitVisible(chromedp.ID("run-"+plugID)),
	)
	cfg := "#config-" + plugID
	require.Equal(t, `{"format": "csv", "minArea": 0}`, eval[string](t, tb, fmt.Sprintf(`document.querySelector(%q).value`, cfg)))
	require.Equal(t, "Start\nLabel\nComplete", eval[string](t, tb, `[...document.querySelectorAll("#stages-`+plugID+` input[name=stage]")].map(c => c.parentElement.textContent.trim()).join("\n")`),
		"the run dialog offers every stage, none checked")

	// Invalid config JSON: the message says where, Run is disabled.
	run := fmt.Sprintf(`#run-%s [data-run]`, plugID)
	tb.typeInto(t, cfg, "{\n  \"format\": \"csv\"\n  \"minArea\": 3\n}")
	require.Equal(t, "Config JSON: line 3, column 3: expected ',' or '}'", tb.text(t, "#config-"+plugID+"-error"))
	require.True(t, eval[bool](t, tb, fmt.Sprintf(`document.querySelector(%q).disabled`, run)))
	require.Equal(t, "true", eval[string](t, tb, fmt.Sprintf(`document.querySelector(%q).getAttribute("aria-invalid")`, cfg)))
	tb.screenshot(t, "05-dialog-invalid-config")
	tb.typeInto(t, cfg, `{"format": "csv"}`)
	require.True(t, eval[bool](t, tb, fmt.Sprintf(`document.querySelector(%q).disabled`, run)), "a valid config, but no instance of the plugin is connected")
	require.Contains(t, tb.text(t, "#run-"+plugID+" .offline-note"), "offline")
	require.False(t, eval[bool](t, tb, fmt.Sprintf(`document.querySelector("#config-%s-error").hidden === false`, plugID)))

	// Escape closes the dialog.
	tb.do(t, chromedp.KeyEvent(kb.Escape))
	require.False(t, eval[bool](t, tb, fmt.Sprintf(`document.getElementById("run-%s").open`, plugID)))

	// Remove takes the plugin off the project (after a confirmation).
	tb.acceptDialogs(t)
	require.Equal(t, "Boxes was removed from this project.", tb.submitForm(t, `form[action$="/settings/plugins/`+plugID+`/remove"]`))
	require.Contains(t, tb.text(t, "#tabpanel"), "No plugin is enabled on this project yet.")
}

// TestUI_ConfigJSONCheck runs the browser's Config JSON check on the cases
// the Go check is tested with: both report the same errors at the same
// places.
func TestUI_ConfigJSONCheck(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tb := b.newTab(t)
	tb.navigate(t, "/signin")
	data, err := os.ReadFile("../testdata/config-json/cases.json")
	require.NoError(t, err)
	var cases []configCase
	require.NoError(t, json.Unmarshal(data, &cases))
	for _, tc := range cases {
		text, err := json.Marshal(tc.Text)
		require.NoError(t, err)
		got := eval[string](t, tb, `(() => { const e = window.exporthubCheckConfigJSON(`+string(text)+`); return e ? e.line + ":" + e.column + ": " + e.message : ""; })()`)
		want := ""
		if tc.Message != "" {
			want = fmt.Sprintf("%d:%d: %s", tc.Line, tc.Column, tc.Message)
		}
		require.Equal(t, want, got, "case %s: %q", tc.Name, tc.Text)
	}
	deep := strings.Repeat("[", 10001)
	require.Contains(t, eval[string](t, tb, `window.exporthubCheckConfigJSON('{"a":`+deep+`').message`), "nested")
}

// TestUI_ProjectPluginsAdminOnly checks the rule the browser and the API
// now share: only organization admins enable and disable plugins on a
// project. A member gets no add form and no remove button, and a member's
// form posted anyway is refused with the hub's reason and changes nothing.
func TestUI_ProjectPluginsAdminOnly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, key := b.hub.NewUser(t, b.hub.OrgID, store.RoleMember)
	pid := newProject(t, b, "Admin only")
	var p hubapi.PluginSecretResponse
	b.hub.JSON(t, "POST", "/api/plugins", key, map[string]any{"name": "Member's"}, http.StatusCreated, &p)
	enabled := func() int {
		var list hubapi.PluginListResponse
		b.hub.JSON(t, "GET", "/api/projects/"+pid+"/plugins", b.hub.AdminKey, nil, http.StatusOK, &list)
		return len(list.Plugins)
	}

	tb := b.newTab(t)
	tb.signInWithKey(t, key)
	settings := "/projects/" + pid + "/settings/plugins"
	tb.navigate(t, settings)
	require.Equal(t, 0, tb.nodeCount(t, "#add-plugin"))
	// The member posts the add form by hand, with a valid CSRF token.
	tb.do(t,
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			const f = document.createElement("form");
			f.method = "POST"; f.action = %q;
			for (const [k, v] of [["csrf_token", document.querySelector('meta[name="csrf-token"]').content], ["plugin_id", %q]]) {
				const i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = v; f.appendChild(i);
			}
			document.body.appendChild(f); f.submit();
		})()`, settings, p.ID)),
		chromedp.WaitVisible(chromedp.CSS("h1")),
	)
	tb.waitText(t, "h1", "Not allowed")
	require.Equal(t, `Only an organization admin may enable plugins on a project; your role is "member".`, tb.text(t, ".card p"))
	require.Equal(t, 0, enabled(), "the member's form enabled nothing")

	// An admin adds it through the form; the member then sees it, still
	// without a remove button.
	admin := b.newTab(t)
	admin.signInWithKey(t, b.hub.AdminKey)
	admin.navigate(t, settings)
	admin.do(t, chromedp.SetValue(chromedp.ID("add-plugin"), p.ID))
	require.Equal(t, "Member's is enabled on this project.", admin.submitForm(t, `form[action="`+settings+`"]`))
	require.Equal(t, 1, enabled())
	tb.navigate(t, settings)
	require.Contains(t, tb.text(t, "#tabpanel"), "Member's")
	require.Equal(t, 0, tb.nodeCount(t, `form[action$="/remove"]`))
}
