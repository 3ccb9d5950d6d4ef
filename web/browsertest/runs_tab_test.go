package browsertest_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestUI_RunsTab: a run that succeeded and one that failed (no plugin
// instance connected) are both on the project's Runs tab with status,
// who, when and duration, each linking to its run page; the failure's
// notification says its error once and shows the command that starts
// the plugin, with Copy.
func TestUI_RunsTab(t *testing.T) {
	t.Parallel()
	b := setup(t)
	bin := buildGo(t, "./examples/bboxes", t.TempDir())
	pid := newProject(t, b, "Runs")
	tb := b.newTab(t)
	tb.signInWithKey(t, b.hub.AdminKey)
	plugID := tb.createPlugin(t, "Bounding boxes", "Exports the bounding boxes of every asset", `{}`)
	secret := tb.revealSecret(t)
	tb.enablePlugin(t, pid, plugID)

	// The Runs tab of a project without runs says so.
	tb.navigate(t, "/projects/"+pid+"/runs")
	require.Contains(t, tb.text(t, "#tabpanel"), "No runs yet.")

	proc := startPlugin(t, bin, b.hub.URL, plugID, secret)
	tb.navigate(t, "/plugins/"+plugID)
	tb.waitInstances(t, 1)
	tb.openRunDialog(t, pid, plugID)
	require.Contains(t, tb.runAndWait(t, plugID, `{}`), "Export ready:")

	// With the dialog open, the plugin process stops: the next run fails.
	tb.openRunDialog(t, pid, plugID)
	proc.stop()
	waitNoInstance(t, b, plugID)
	require.Contains(t, tb.runAndWait(t, plugID, `{}`), "The run failed: no plugin instance connected.")

	// The Runs tab lists both, newest first.
	tb.navigate(t, "/projects/"+pid)
	tb.do(t,
		chromedp.Click(chromedp.ID("tab-runs")),
		chromedp.WaitVisible(chromedp.CSS("table.runs")),
	)
	require.Equal(t, "true", eval[string](t, tb, `document.getElementById("tab-runs").getAttribute("aria-selected")`))
	rows := eval[[]string](t, tb, `[...document.querySelectorAll("table.runs tbody tr")].map(tr => tr.innerText)`)
	require.Len(t, rows, 2, "rows %q", rows)
	require.Contains(t, rows[0], "failed — no plugin instance connected")
	require.Contains(t, rows[1], "succeeded")
	require.NotContains(t, rows[1], "failed")
	for _, row := range rows {
		require.Contains(t, row, "Bounding boxes")
		require.Contains(t, row, "admin@localhost")
		require.Regexp(t, `(< 1 s|\d+(\.\d+)?(ms|s|m))`, row, "the duration of an ended run")
		require.Contains(t, row, "View run")
	}
	tb.screenshot(t, "22-runs-tab")

	// Each link opens its run's page.
	for i, want := range []string{"failed", "succeeded"} {
		tb.navigate(t, "/projects/"+pid+"/runs")
		tb.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("table.runs tbody tr a.run-link")[`+string(rune('0'+i))+`].click()`))
		tb.do(t, chromedp.WaitVisible(chromedp.CSS(".run-page .result")))
		require.True(t, strings.HasPrefix(eval[string](t, tb, `location.pathname`), "/projects/"+pid+"/runs/"))
		require.Contains(t, tb.text(t, ".run-page .run-status"), want)
	}

	// The failure's notification says the error once and what to do.
	tb.waitText(t, ".bell .badge", "2")
	tb.do(t,
		chromedp.Click(chromedp.CSS(".bell-button")),
		chromedp.WaitVisible(chromedp.ID("bell-panel")),
	)
	item := `[...document.querySelectorAll(".bell-list li")].find(li => li.textContent.includes("Export failed"))`
	text := eval[string](t, tb, item+`.innerText`)
	require.Equal(t, 1, strings.Count(text, "no plugin instance connected"), "the error once: %q", text)
	require.Contains(t, text, "Export failed: Bounding boxes — no plugin instance connected")
	require.Contains(t, text, "Start the plugin, then run the export again:")
	cmd := eval[string](t, tb, item+`.querySelector(".start-command code").textContent`)
	require.Equal(t, "HOST="+b.hub.URL+" PLUGIN_ID="+plugID+" PLUGIN_SECRET=<the plugin's secret> <the plugin's command>", cmd)
	tb.do(t, chromedp.Evaluate[chromedp.Void](item+`.querySelector("button[data-copy]").click()`))
	tb.waitJS(t, "the copy status", item+`.querySelector(".copy-status").textContent !== ""`)
	require.True(t, tb.visible(t, "#bell-panel"), "Copy keeps the bell open")
	tb.screenshot(t, "23-bell-no-instance")
}
