package browsertest_test

import (
	"archive/zip"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubtest"
)

// readZip returns the entries of a zip file by name.
func readZip(t *testing.T, path string) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	require.NoError(t, err, "open downloaded zip %s", path)
	defer zr.Close()
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		rc.Close()
		require.NoError(t, err)
		out[f.Name] = string(b)
	}
	return out
}

// TestUI_ExportFlow is the seed's user flow in a real browser, against a
// real hub and the Go SDK's bboxes example running as a real plugin
// process: the owner creates the plugin and starts its process with the
// Development box's values; a user opens the project, Settings, Plugins,
// clicks Open, types a config, clicks Run, watches the logs, sees the
// bell count go up and downloads the zip.
func TestUI_ExportFlow(t *testing.T) {
	t.Parallel()
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			exportFlow(t, backend)
		})
	}
}

// exportFlow is TestUI_ExportFlow on a hub with the given database.
func exportFlow(t *testing.T, backend hubtest.Backend) {
	b := setup(t, backend)
	bin := buildGo(t, "./examples/bboxes", t.TempDir())
	pid := newProject(t, b, "Street scenes")
	tb := b.newTab(t)
	// One set of screenshots is enough: the SQLite run takes them.
	shot := func(name string) {
		if backend == hubtest.SQLite {
			tb.screenshot(t, name)
		}
	}

	tb.navigate(t, "/signin")
	shot("01-sign-in")
	tb.signInWithKey(t, b.hub.AdminKey)

	// The owner creates the plugin, reveals its secret and starts the
	// plugin process; the Development box lists the instance without a
	// reload.
	plugID := tb.createPlugin(t, "Bounding boxes", "Exports the bounding boxes of every asset", `{}`)
	secret := tb.revealSecret(t)
	startPlugin(t, bin, tb.text(t, "#plugin-host"), plugID, secret)
	tb.waitInstances(t, 1)
	require.Contains(t, tb.text(t, "#plugin-secret"), secret, "the secret stays on the page that revealed it")
	instances := tb.text(t, "table[data-instances-url] tbody")
	require.Regexp(t, `127\.0\.0\.1`, instances)
	shot("12-plugin-development")
	tb.enablePlugin(t, pid, plugID)

	// A user: projects list, project overview, Settings, Plugins, Open.
	tb.navigate(t, "/projects")
	shot("02-projects")
	tb.do(t, chromedp.Click(chromedp.CSS(`a[href="/projects/`+pid+`"]`)), chromedp.WaitVisible(chromedp.ID("tab-overview")))
	shot("03-project-overview")
	tb.do(t,
		chromedp.Click(chromedp.ID("tab-settings")),
		chromedp.WaitVisible(chromedp.CSS(".section-nav")),
		chromedp.Click(chromedp.CSS(`.section-nav a[href$="/settings/plugins"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-dialog-open="run-`+plugID+`"]`)),
	)
	require.Contains(t, tb.text(t, "tbody"), "1 online")
	shot("04-settings-plugins")
	tb.do(t,
		chromedp.Click(chromedp.CSS(`[data-dialog-open="run-`+plugID+`"]`)),
		chromedp.WaitVisible(chromedp.ID("config-"+plugID)),
	)
	require.Equal(t, "{}", eval[string](t, tb, `document.getElementById("config-`+plugID+`").value`), "the dialog starts with the default config")

	// Type a config, pick the stage Complete and the batch batch-a (2 of
	// the 3 assets), Run; the logs arrive live.
	dlg := "#run-" + plugID
	tb.typeInto(t, "#config-"+plugID, "{\n  \"separator-character\": \"; \"\n}")
	require.False(t, eval[bool](t, tb, `document.querySelector("`+dlg+` [data-run]").disabled`))
	batchA := eval[string](t, tb, `[...document.querySelectorAll("`+dlg+` input[name=batch]")].find(c => c.parentElement.textContent.trim() === "batch-a").value`)
	tb.do(t,
		chromedp.Click(chromedp.CSS(dlg+` input[name=stage][value="Complete"]`)),
		chromedp.Click(chromedp.CSS(dlg+` input[value="`+batchA+`"]`)),
	)
	require.True(t, eval[bool](t, tb, `document.querySelector(".bell .badge").hidden`), "no unread notification before the run")
	tb.do(t, chromedp.Click(chromedp.CSS(dlg+" [data-run]")))
	tb.waitJS(t, "a log line", `document.querySelectorAll("`+dlg+` .log div").length > 0`)
	shot("06-dialog-live-logs")
	tb.do(t, chromedp.WaitVisible(chromedp.CSS(dlg+" .result")))
	result := tb.text(t, dlg+" .result")
	// The file is named <project>-<plugin>-<UTC time>.zip, its size in
	// the one unit style of the hub.
	m := regexp.MustCompile(`Export ready: ([^ ]+-Bounding_boxes-\d{8}T\d{6}Z\.zip) \(\d+ B\)\.`).FindStringSubmatch(result)
	require.NotNil(t, m, "result %q", result)
	fileName := m[1]
	require.NotContains(t, fileName, pid, "people read the project's name, not its id")
	require.Contains(t, tb.text(t, dlg+" .run-status"), "succeeded")
	logs := tb.text(t, dlg+" .log")
	require.Contains(t, logs, "INFO bounding boxes: conversion started separator=; ")
	require.Contains(t, logs, "INFO bounding boxes: conversion finished assets=2")

	// The bell counts the new notification without a reload.
	tb.waitText(t, ".bell .badge", "1")
	shot("07-run-success")

	// Download from the dialog: the zip holds the plugin's JSON for the 2
	// assets of the stage and batch chosen.
	tb.do(t, chromedp.Click(chromedp.CSS(dlg+" [data-download]")))
	path := tb.waitDownload(t, fileName)
	entries := readZip(t, path)
	require.Len(t, entries, 1)
	var rows []struct {
		ExternalID  string `json:"externalId"`
		URL         string `json:"URL"`
		Annotations string `json:"Annotations"`
	}
	require.NoError(t, json.Unmarshal([]byte(entries[pid+".json"]), &rows), "entry %s.json", pid)
	require.Len(t, rows, 2)
	require.Equal(t, "street-001.jpg", rows[0].ExternalID)
	require.Equal(t, "https://assets.example.com/street/street-001.jpg", rows[0].URL)
	require.Equal(t, "Car 100 200 320 180", rows[0].Annotations)
	require.Equal(t, "street-002.jpg", rows[1].ExternalID)
	require.Empty(t, rows[1].Annotations)

	// The bell lists "Export ready: FILE — Download"; mark it as read.
	tb.do(t,
		chromedp.Click(chromedp.CSS(dlg+" .dialog-foot [data-dialog-close]")),
		chromedp.Click(chromedp.CSS(".bell-button")),
		chromedp.WaitVisible(chromedp.ID("bell-panel")),
	)
	item := tb.text(t, ".bell-list li")
	require.Contains(t, item, "Export ready: "+fileName+" — Download")
	require.Equal(t, "true", eval[string](t, tb, `document.querySelector(".bell-button").getAttribute("aria-expanded")`))
	shot("08-notifications")
	tb.do(t, chromedp.Click(chromedp.CSS(".bell-list [data-read]")))
	tb.waitJS(t, "the badge to hide", `document.querySelector(".bell .badge").hidden`)
	require.Equal(t, 0, tb.nodeCount(t, ".bell-list li.unread"))

	// The notification links to the run's page: status, logs and the
	// Download of the succeeded run.
	tb.do(t,
		chromedp.Click(chromedp.CSS(".bell-list a.run-link")),
		chromedp.WaitVisible(chromedp.CSS(".run-page .result [data-download]")),
	)
	require.Contains(t, tb.text(t, ".run-page .run-status"), "succeeded")
	require.Regexp(t, `Export ready: `+regexp.QuoteMeta(fileName)+` \(\d+ B\)\.`, tb.text(t, ".run-page .result"))
	require.Contains(t, tb.text(t, ".run-page .log"), "INFO bounding boxes: conversion finished assets=2")
	require.Contains(t, tb.text(t, ".facts"), "stage Complete, batches batch-a (2 assets)")
	require.False(t, tb.visible(t, ".run-page [data-cancel]"), "a run that ended has no Cancel")
	shot("19-run-page-succeeded")

	// The Exports tab lists the file with who, when and size; its Download
	// gives the same bytes.
	tb.navigate(t, "/projects/"+pid+"/exports")
	row := tb.text(t, "#tabpanel tbody tr")
	require.Contains(t, row, fileName)
	require.Contains(t, row, "Bounding boxes")
	require.Contains(t, row, "admin@localhost")
	require.Regexp(t, `\d+(\.\d)? (B|KiB)`, row)
	shot("11-exports")
	first, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.Remove(path))
	tb.do(t, chromedp.Click(chromedp.CSS(`#tabpanel a[download]`)))
	again, err := os.ReadFile(tb.waitDownload(t, fileName))
	require.NoError(t, err)
	require.Equal(t, first, again)

	// Rotating the secret shows the new one once and cuts off the process
	// that used the old one.
	tb.acceptDialogs(t)
	tb.navigate(t, "/plugins/"+plugID)
	tb.do(t,
		chromedp.Click(chromedp.CSS(`form[action$="/secret/rotate"] button`)),
		chromedp.WaitVisible(chromedp.ID("plugin-secret")),
	)
	rotated := tb.text(t, "#plugin-secret")
	require.NotEqual(t, secret, rotated)
	require.Len(t, rotated, 36)
	tb.waitInstances(t, 0)

	// Readable on a phone: one column, no sideways scrolling.
	tb.do(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	tb.navigate(t, "/projects/"+pid+"/settings/plugins")
	require.Less(t, eval[float64](t, tb, `document.querySelector(".section-nav").getBoundingClientRect().width`), 400.0)
	require.LessOrEqual(t, eval[float64](t, tb, `document.documentElement.scrollWidth`), 390.0, "no horizontal scrolling")
	shot("13-phone-settings-plugins")
}
