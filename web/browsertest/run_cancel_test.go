package browsertest_test

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/stretchr/testify/require"
)

// TestUI_RunCancel cancels runs of a real plugin process that waits until
// its run is cancelled: from the run dialog, then from a run's page.
func TestUI_RunCancel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	bin := buildGo(t, "./web/browsertest/testdata/failplugin", t.TempDir())
	pid := newProject(t, b, "Cancelling")
	tb := b.newTab(t)
	tb.signInWithKey(t, b.hub.AdminKey)
	plugID := tb.createPlugin(t, "Slow", "Waits until cancelled", `{"block": true}`)
	secret := tb.revealSecret(t)
	tb.enablePlugin(t, pid, plugID)
	proc := startPlugin(t, bin, b.hub.URL, plugID, secret)
	tb.navigate(t, "/plugins/"+plugID)
	tb.waitInstances(t, 1)

	// The dialog: Run, the plugin starts and waits; Cancel ends the run.
	dlg := "#run-" + plugID
	tb.openRunDialog(t, pid, plugID)
	require.False(t, tb.visible(t, dlg+" [data-cancel]"), "no Cancel before a run")
	// A retries count out of bounds is refused before anything is sent.
	tb.typeInto(t, "#retries-"+plugID, "9")
	tb.do(t, chromedp.Click(chromedp.CSS(dlg+" [data-run]")))
	tb.waitText(t, dlg+" .result", "The run could not start: retries must be a whole number from 0 to 5, got 9")
	var none hubapi.RunListResponse
	b.hub.JSON(t, http.MethodGet, "/api/projects/"+pid+"/runs", b.hub.AdminKey, nil, http.StatusOK, &none)
	require.Empty(t, none.Runs)
	tb.typeInto(t, "#retries-"+plugID, "2")
	tb.do(t, chromedp.Click(chromedp.CSS(dlg+" [data-run]")))
	tb.waitText(t, dlg+" .log", "INFO waiting until the run is cancelled")
	tb.waitText(t, dlg+" .run-status", "running")
	tb.do(t, chromedp.WaitVisible(chromedp.CSS(dlg+" [data-cancel]")))
	tb.screenshot(t, "16-run-cancel")
	tb.do(t,
		chromedp.Click(chromedp.CSS(dlg+" [data-cancel]")),
		chromedp.WaitVisible(chromedp.CSS(dlg+" .result")),
	)
	require.Contains(t, tb.text(t, dlg+" .result"), "The run was cancelled: cancelled by the user.")
	require.Contains(t, tb.text(t, dlg+" .run-status"), "cancelled")
	require.False(t, tb.visible(t, dlg+" [data-cancel]"), "no Cancel once the run ended")
	require.False(t, eval[bool](t, tb, `document.querySelector("`+dlg+` [data-run]").disabled`), "Run can be clicked again")
	tb.screenshot(t, "17-run-cancelled")
	// The plugin's callback saw its context cancelled.
	require.Len(t, proc.waitOutput(t, "failplugin: run context cancelled: ", 1), 1)
	// The run carries the retries typed in the dialog; its page shows
	// the attempt.
	var list hubapi.RunListResponse
	b.hub.JSON(t, http.MethodGet, "/api/projects/"+pid+"/runs", b.hub.AdminKey, nil, http.StatusOK, &list)
	require.Len(t, list.Runs, 1)
	require.Equal(t, 2, list.Runs[0].Retries)
	require.Equal(t, 1, list.Runs[0].Attempt)
	tb.navigate(t, "/projects/"+pid+"/runs/"+list.Runs[0].ID)
	require.Equal(t, "1 of 3", tb.text(t, "#run-attempts"))

	// A run started elsewhere (the API) is followed live on its page and
	// cancelled there.
	var run hubapi.RunResponse
	b.hub.JSON(t, http.MethodPost, "/api/projects/"+pid+"/plugins/"+plugID+"/runs", b.hub.AdminKey, map[string]any{}, http.StatusCreated, &run)
	tb.navigate(t, "/projects/"+pid+"/runs/"+run.ID)
	require.Equal(t, "Run of Slow", tb.text(t, "#run-title"))
	require.Contains(t, tb.text(t, ".facts"), "admin@localhost")
	require.Contains(t, tb.text(t, ".facts"), `{"block": true}`)
	tb.waitText(t, ".run-page .log", "INFO waiting until the run is cancelled")
	require.Zero(t, tb.nodeCount(t, "#run-attempts"), "no attempt line for a run without retries")
	tb.do(t,
		chromedp.WaitVisible(chromedp.CSS(".run-page [data-cancel]")),
		chromedp.Click(chromedp.CSS(".run-page [data-cancel]")),
		chromedp.WaitVisible(chromedp.CSS(".run-page .result")),
	)
	require.Contains(t, tb.text(t, ".run-page .result"), "The run was cancelled: cancelled by the user.")
	require.Len(t, proc.waitOutput(t, "failplugin: run context cancelled: ", 2), 2, "the plugin saw both runs cancelled")
	var got hubapi.RunResponse
	b.hub.JSON(t, http.MethodGet, "/api/runs/"+run.ID, b.hub.AdminKey, nil, http.StatusOK, &got)
	require.Equal(t, "cancelled", got.Status)
}
