package browsertest_test

import (
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubapi"
)

// pluginProcess is a plugin binary running as a real process connected to
// the test hub.
type pluginProcess struct {
	cmd  *exec.Cmd
	out  *logWriter
	done chan struct{}
	once sync.Once
}

// startPlugin runs a plugin binary with the HOST, PLUGIN_ID and
// PLUGIN_SECRET environment of the Development box; its output goes to
// the test log, and it is stopped at cleanup.
func startPlugin(t *testing.T, bin, host, id, secret string) *pluginProcess {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(cmd.Environ(), "HOST="+host, "PLUGIN_ID="+id, "PLUGIN_SECRET="+secret)
	w := &logWriter{t: t, prefix: "plugin: "}
	cmd.Stdout, cmd.Stderr = w, w
	require.NoError(t, cmd.Start(), "start %s", bin)
	p := &pluginProcess{cmd: cmd, out: w, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // the exit status of a stopped plugin does not matter
		close(p.done)
	}()
	t.Cleanup(p.stop)
	return p
}

// stop asks the plugin to shut down (SIGTERM) and waits for it, killing
// it after a grace period.
func (p *pluginProcess) stop() {
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM) // it may have exited already
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// waitOutput waits until the plugin printed n lines containing want and
// returns them.
func (p *pluginProcess) waitOutput(t *testing.T, want string, n int) []string {
	t.Helper()
	var found []string
	require.Eventually(t, func() bool {
		found = p.out.matching(want)
		return len(found) >= n
	}, waitTimeout, 50*time.Millisecond, "the plugin did not print %d lines with %q", n, want)
	return found
}

// logWriter sends a process's output to the test log, line by line, and
// keeps the lines.
type logWriter struct {
	mu     sync.Mutex
	t      *testing.T
	prefix string
	buf    []byte
	lines  []string
}

// matching returns the lines containing s.
func (w *logWriter) matching(s string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, l := range w.lines {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

func (w *logWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			return len(b), nil
		}
		w.t.Log(w.prefix + string(w.buf[:i]))
		w.lines = append(w.lines, string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

// waitInstances waits until the Development box of the open plugin page
// lists n connected instances; the list updates without a reload.
func (b *tab) waitInstances(t *testing.T, n int) {
	t.Helper()
	want := fmt.Sprintf("%d instances connected", n)
	if n == 1 {
		want = "1 instance connected"
	}
	b.waitText(t, "#instances-summary", want)
}

// openRunDialog opens the plugin's dialog in Settings → Plugins of a
// project, starting from the project page.
func (b *tab) openRunDialog(t *testing.T, projectID, pluginID string) {
	t.Helper()
	b.navigate(t, "/projects/"+projectID)
	b.do(t,
		chromedp.Click(chromedp.ID("tab-settings")),
		chromedp.WaitVisible(chromedp.CSS(".section-nav")),
		chromedp.Click(chromedp.CSS(`.section-nav a[href$="/settings/plugins"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-dialog-open="run-`+pluginID+`"]`)),
		chromedp.Click(chromedp.CSS(`[data-dialog-open="run-`+pluginID+`"]`)),
		chromedp.WaitVisible(chromedp.ID("config-"+pluginID)),
	)
}

// runAndWait types config into the open dialog, clicks Run and waits for
// the run's result; it returns the result's text.
func (b *tab) runAndWait(t *testing.T, pluginID, config string) string {
	t.Helper()
	dlg := "#run-" + pluginID
	b.typeInto(t, "#config-"+pluginID, config)
	b.do(t,
		chromedp.Click(chromedp.CSS(dlg+" [data-run]")),
		chromedp.WaitVisible(chromedp.CSS(dlg+" .result")),
	)
	return b.text(t, dlg+" .result")
}

func TestUI_RunFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	bin := buildGo(t, "./web/browsertest/testdata/failplugin", t.TempDir())
	pid := newProject(t, b, "Failures")
	tb := b.newTab(t)
	tb.signInWithKey(t, b.hub.AdminKey)
	plugID := tb.createPlugin(t, "Broken", "Fails every run", `{"format": "csv"}`)
	secret := tb.revealSecret(t)
	tb.enablePlugin(t, pid, plugID)

	// The plugin's error: the run fails with the hub's message, and the
	// plugin's own error shows from its logs.
	proc := startPlugin(t, bin, b.hub.URL, plugID, secret)
	tb.navigate(t, "/plugins/"+plugID)
	tb.waitInstances(t, 1)

	// Export where people look for it: the project's Overview and Exports
	// tabs have an Export button listing the project's enabled plugins;
	// choosing one opens its run dialog.
	for _, tabPath := range []string{"/projects/" + pid, "/projects/" + pid + "/exports"} {
		tb.navigate(t, tabPath)
		tb.do(t,
			chromedp.Click(chromedp.CSS(".tab-actions .export-button")),
			chromedp.WaitVisible(chromedp.ID("export-chooser")),
		)
		choices := tb.text(t, "#export-chooser .plugin-choices")
		require.Contains(t, choices, "Broken")
		require.Contains(t, choices, "1 online")
		if tabPath == "/projects/"+pid {
			tb.screenshot(t, "20-export-button")
		}
		tb.do(t,
			chromedp.Click(chromedp.CSS(`#export-chooser [data-dialog-open="run-`+plugID+`"]`)),
			chromedp.WaitVisible(chromedp.ID("config-"+plugID)),
		)
		require.Equal(t, `{"format": "csv"}`, eval[string](t, tb, `document.getElementById("config-`+plugID+`").value`), "the plugin's default config")
		require.False(t, eval[bool](t, tb, `document.querySelector("#run-`+plugID+` [data-run]").disabled`), "an online plugin can run")
		require.False(t, tb.visible(t, "#run-"+plugID+" .offline-note"))
	}
	tb.openRunDialog(t, pid, plugID)
	result := tb.runAndWait(t, plugID, `{"format": "xml"}`)
	require.Contains(t, result, "The run failed: the plugin reported an error; see the run logs.")
	require.Contains(t, result, `Last error from the plugin:`)
	require.Contains(t, result, `format "xml" is not supported`)
	logs := tb.text(t, "#run-"+plugID+" .log")
	require.Contains(t, logs, "INFO checking the config")
	require.Contains(t, tb.text(t, "#run-"+plugID+" .run-status"), "failed")
	require.False(t, eval[bool](t, tb, `document.querySelector("#run-`+plugID+` [data-run]").disabled`), "Run can be clicked again")
	tb.screenshot(t, "09-run-plugin-error")

	// No instance online: with the dialog open from before, stop the
	// plugin process and run again.
	tb.openRunDialog(t, pid, plugID)
	proc.stop()
	waitNoInstance(t, b, plugID)
	result = tb.runAndWait(t, plugID, `{"format": "csv"}`)
	require.Contains(t, result, "The run failed: no plugin instance connected.")
	tb.screenshot(t, "10-run-no-instance")

	// Opened now, the dialog says the plugin is offline, disables Run and
	// shows the command that starts it.
	tb.navigate(t, "/projects/"+pid)
	tb.do(t,
		chromedp.Click(chromedp.CSS(".tab-actions .export-button")),
		chromedp.WaitVisible(chromedp.ID("export-chooser")),
	)
	require.Contains(t, tb.text(t, "#export-chooser .plugin-choices"), "offline")
	tb.do(t,
		chromedp.Click(chromedp.CSS(`#export-chooser [data-dialog-open="run-`+plugID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#run-"+plugID+" .offline-note")),
	)
	require.True(t, eval[bool](t, tb, `document.querySelector("#run-`+plugID+` [data-run]").disabled`), "an offline plugin cannot run")
	note := tb.text(t, "#run-"+plugID+" .offline-note")
	require.Contains(t, note, "offline")
	require.Contains(t, note, "HOST="+b.hub.URL+" PLUGIN_ID="+plugID+" PLUGIN_SECRET=")
	tb.screenshot(t, "21-dialog-offline")
	tb.do(t, chromedp.Click(chromedp.CSS("#run-"+plugID+" .dialog-foot [data-dialog-close]")))
	tb.do(t, chromedp.Click(chromedp.CSS("#export-chooser [data-dialog-close]")))

	// Both failures reached the bell.
	tb.waitText(t, ".bell .badge", "2")
	tb.do(t,
		chromedp.Click(chromedp.CSS(".bell-button")),
		chromedp.WaitVisible(chromedp.ID("bell-panel")),
	)
	bell := tb.text(t, ".bell-list")
	require.Contains(t, bell, "Export failed: Broken — no plugin instance connected")
	require.Contains(t, bell, "Export failed: Broken — the plugin reported an error")

	// A failure links to its run's page: status, message, the plugin's
	// logs and its last error.
	item := `[...document.querySelectorAll(".bell-list li")].find(li => li.textContent.includes("the plugin reported an error"))`
	require.Equal(t, "View run", eval[string](t, tb, item+`.querySelector("a.run-link").textContent`))
	tb.do(t, chromedp.Evaluate[chromedp.Void](item+`.querySelector("a.run-link").click()`))
	tb.do(t, chromedp.WaitVisible(chromedp.CSS(".run-page .result")))
	require.True(t, strings.HasPrefix(eval[string](t, tb, `location.pathname`), "/projects/"+pid+"/runs/"))
	require.Equal(t, "Run of Broken", tb.text(t, "#run-title"))
	require.Contains(t, tb.text(t, ".run-page .run-status"), "failed")
	result = tb.text(t, ".run-page .result")
	require.Contains(t, result, "The run failed: the plugin reported an error; see the run logs.")
	require.Contains(t, result, `format "xml" is not supported`)
	require.Contains(t, tb.text(t, ".run-page .log"), "INFO checking the config format=xml")
	facts := tb.text(t, ".facts")
	require.Contains(t, facts, "admin@localhost")
	require.Contains(t, facts, `{"format": "xml"}`)
	require.Contains(t, facts, "all stages, all batches (3 assets)")
	require.False(t, tb.visible(t, ".run-page [data-cancel]"), "an ended run has no Cancel")
	tb.screenshot(t, "18-run-page-failed")
}

// waitNoInstance waits until the hub lists no instance of the plugin.
func waitNoInstance(t *testing.T, b *bundle, pluginID string) {
	t.Helper()
	require.Eventually(t, func() bool {
		var p hubapi.PluginResponse
		b.hub.JSON(t, http.MethodGet, "/api/plugins/"+pluginID, b.hub.AdminKey, nil, http.StatusOK, &p)
		return len(p.Instances) == 0
	}, 20*time.Second, 100*time.Millisecond, "the plugin's instance to go")
}
