package browsertest_test

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubapi"
)

// angoExportZip writes what Ango's Export button downloads: a zip whose
// first file is the JSON export (here the sample), and returns its path.
func angoExportZip(t *testing.T, name, entry string, export []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	w, err := zw.Create(entry)
	require.NoError(t, err)
	_, err = w.Write(export)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	return path
}

// v2Project returns the project as plugins read it (GET /v2/project/{id}).
func v2Project(t *testing.T, b *bundle, id string) *hubapi.V2Project {
	t.Helper()
	var res struct {
		Data hubapi.V2ProjectResponse `json:"data"`
	}
	b.hub.JSON(t, "GET", "/v2/project/"+id, b.hub.AdminKey, nil, http.StatusOK, &res)
	return &res.Data.Project
}

// submitProjectForm clicks the project form's button and waits for the
// status line to say want on the page it leads to (the form loads that
// page, so the wait goes on through the navigation).
func (b *tab) submitProjectForm(t *testing.T, want string) {
	t.Helper()
	b.do(t, chromedp.Click(chromedp.CSS(`[data-project-form] button[type=submit]`)))
	expr := fmt.Sprintf(`(() => { const e = document.querySelector("[data-form-status]"); return !!e && e.textContent === %q; })()`, want)
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		defer cancel()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		return err == nil && ok
	}, waitTimeout, 100*time.Millisecond, "the project form's status says %q", want)
}

// importFile chooses path in the import form, clicks Import and waits for
// the result, which it returns.
func (b *tab) importFile(t *testing.T, path, mode string) string {
	t.Helper()
	b.do(t,
		chromedp.Evaluate[chromedp.Void](`document.querySelector("[data-import-result]").textContent = ""`),
		chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{path}),
		chromedp.SetValue(chromedp.ID("import-mode"), mode),
		chromedp.Click(chromedp.CSS(`[data-import-form] button[type=submit]`)),
	)
	b.waitJS(t, "the import's result", `(() => { const e = document.querySelector("[data-import-result]");
		return !!e && e.textContent !== "" && !e.textContent.startsWith("Importing"); })()`)
	return b.text(t, "[data-import-result]")
}

// TestUI_ProjectFormAndImport creates a project in the browser with
// Ango's project fields (stages with type, position, next and a key of
// their own, batches, description, category schema), edits it, and
// imports Ango's export zip into it as the bare JSON is imported: what a
// plugin then reads through GET /v2/project and the Overview show it all.
func TestUI_ProjectFormAndImport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tb := b.newTab(t)
	tb.signInWithKey(t, b.hub.AdminKey)

	// New project, with every field.
	tb.navigate(t, "/projects")
	tb.do(t, chromedp.Click(chromedp.CSS(`a[href="/projects/new"]`)), chromedp.WaitVisible(chromedp.ID("project-name")))
	tb.typeInto(t, "#project-name", "Street scenes")
	tb.do(t,
		chromedp.SetValue(chromedp.ID("project-description"), "Cars and people, from Ango"),
		chromedp.SetValue(chromedp.ID("project-stages"), `[
  {"id": "Label", "name": "Label", "type": "Label", "position": {"x": 300, "y": 0}, "next": ["5c0f-review"]},
  {"id": "5c0f-review", "name": "QA Review", "type": "Review", "position": {"x": 600, "y": 120}, "assignedTo": ["qa@example.com"]}
]`),
		chromedp.SetValue(chromedp.ID("project-batches"), "day\n night \n"),
		chromedp.SetValue(chromedp.ID("project-schema"), `{"tools": [{"schemaId": "sch-car", "title": "Car", "tool": "bounding-box"}], "classifications": []}`),
	)
	tb.screenshot(t, "19-project-new")
	tb.submitProjectForm(t, "Project created.")
	path := eval[string](t, tb, `location.pathname`)
	require.Regexp(t, `^/projects/[^/]+/settings$`, path)
	pid := strings.Split(path, "/")[2]

	p := v2Project(t, b, pid)
	require.Equal(t, "Street scenes", p.Name)
	require.Equal(t, "Cars and people, from Ango", p.Description)
	require.Equal(t, []string{"day", "night"}, []string{p.Batches[0].Name, p.Batches[1].Name})
	stages, err := json.Marshal(p.Stages)
	require.NoError(t, err)
	require.JSONEq(t, `[
		{"id": "Start", "name": "Start", "type": "Start", "position": {"x": 0, "y": 0}},
		{"id": "Label", "name": "Label", "type": "Label", "position": {"x": 300, "y": 0}, "next": ["5c0f-review"]},
		{"id": "5c0f-review", "name": "QA Review", "type": "Review", "position": {"x": 600, "y": 120}, "assignedTo": ["qa@example.com"]},
		{"id": "Complete", "name": "Complete", "type": "Complete", "position": {"x": 900, "y": 0}}]`, string(stages),
		"the stages as given, a key of their own kept, the fixed stages added")
	require.JSONEq(t, `{"tools": [{"schemaId": "sch-car", "title": "Car", "tool": "bounding-box"}], "classifications": [], "relations": []}`,
		string(p.CategorySchema))
	require.Contains(t, tb.text(t, ".devbox"), "QA Review Review")

	// Edit: the form shows what is stored; a new batch keeps the ids of
	// the others.
	require.Equal(t, "day\nnight\n", eval[string](t, tb, `document.getElementById("project-batches").value`))
	require.Contains(t, eval[string](t, tb, `document.getElementById("project-stages").value`), `"assignedTo"`)
	tb.do(t,
		chromedp.SetValue(chromedp.ID("project-description"), "Cars, people and bicycles"),
		chromedp.SetValue(chromedp.ID("project-batches"), "day\nnight\ndusk"),
	)
	tb.submitProjectForm(t, "Project saved.")
	edited := v2Project(t, b, pid)
	require.Equal(t, "Cars, people and bicycles", edited.Description)
	require.Equal(t, []hubapi.V2Batch{p.Batches[0], p.Batches[1], {ID: edited.Batches[2].ID, Name: "dusk"}}, edited.Batches)
	require.Len(t, edited.Stages, 4, "the stages stay as they were")

	// A bad stage is refused with the hub's words; nothing changes.
	tb.do(t, chromedp.SetValue(chromedp.ID("project-stages"), `[{"id": "5c0f-review", "name": "QA Review", "type": "Rewiew"}]`))
	tb.do(t, chromedp.Click(chromedp.CSS(`[data-project-form] button[type=submit]`)))
	tb.waitText(t, "[data-form-error]", `The project was not saved: stages[0] (5c0f-review): type "Rewiew" is not one of Start, Label, Review,`)
	require.Len(t, v2Project(t, b, pid).Stages, 4)
	tb.do(t, chromedp.SetValue(chromedp.ID("project-schema"), `{"tools": [}`))
	tb.do(t, chromedp.Click(chromedp.CSS(`[data-project-form] button[type=submit]`)))
	tb.waitText(t, "[data-form-error]", "The category schema is not valid JSON: ")

	// Import Ango's export zip, then the bare JSON that is in it.
	sample, err := os.ReadFile(sampleAAF)
	require.NoError(t, err)
	zipPath := angoExportZip(t, "street-scenes-export.zip", "Street scenes-2024-03-05.json", sample)
	tb.navigate(t, "/projects/"+pid+"/settings")
	got := tb.importFile(t, zipPath, "append")
	require.Equal(t, "Imported 3 assets from street-scenes-export.zip (3 new, 0 replaced).\n\nBatches added to the project: batch-a, night-shots.", got)
	require.Equal(t, "status", eval[string](t, tb, `document.querySelector("[data-import-result]").getAttribute("role")`))
	tb.screenshot(t, "20-project-import-zip")
	bare := filepath.Join(t.TempDir(), "image_small.json")
	require.NoError(t, os.WriteFile(bare, sample, 0o644))
	require.Equal(t, "Imported 3 assets from image_small.json (0 new, 3 replaced).", tb.importFile(t, bare, "upsert"))

	// Appending the zip again is refused: the assets are there.
	got = tb.importFile(t, zipPath, "append")
	require.True(t, strings.HasPrefix(got, "The import of street-scenes-export.zip failed: nothing was imported: "), got)
	require.Equal(t, "alert", eval[string](t, tb, `document.querySelector("[data-import-result]").getAttribute("role")`))

	// Invalid AAF inside a zip: the problems with their lines, nothing
	// imported.
	bad := angoExportZip(t, "bad-export.zip", "bad.ndjson", []byte(`{"externalId":"a.jpg","task":7}`+"\n"))
	got = tb.importFile(t, bad, "upsert")
	require.Contains(t, got, "The import of bad-export.zip failed: invalid AAF, nothing was imported: ")
	require.Contains(t, eval[string](t, tb, `document.querySelector("[data-import-result] li").textContent`), "line 1, asset 1, externalId a.jpg")

	// The Overview counts the imported assets by stage and batch.
	tb.navigate(t, "/projects/"+pid)
	require.Equal(t, "3", tb.text(t, ".stat"))
	byStage := tb.text(t, `section[aria-labelledby="stage-title"] tbody`)
	require.Contains(t, byStage, "Complete\t2")
	require.Contains(t, byStage, "Label\t1")
	require.Contains(t, tb.text(t, `section[aria-labelledby="batch-title"] tbody`), "night-shots\t1")
}
