package browsertest_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// markupProblems lists what a screen-reader or keyboard user would trip
// on in the current page: fields without a label, buttons and links
// without a name, ARIA references to missing elements, duplicate ids, a
// missing page language, not exactly one h1.
const markupProblems = `(() => {
	const bad = [];
	const short = e => e.outerHTML.slice(0, 100);
	document.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(e => {
		if (!(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.getAttribute("aria-labelledby")) bad.push("field without a label: " + short(e));
	});
	document.querySelectorAll("button, a[href], [role=tab]").forEach(e => {
		if (!e.textContent.trim() && !e.getAttribute("aria-label")) bad.push("control without a name: " + short(e));
	});
	const seen = new Set();
	document.querySelectorAll("[id]").forEach(e => {
		if (seen.has(e.id)) bad.push("duplicate id: " + e.id);
		seen.add(e.id);
	});
	document.querySelectorAll("[aria-describedby], [aria-labelledby], [aria-controls]").forEach(e => {
		["aria-describedby", "aria-labelledby", "aria-controls"].forEach(a => (e.getAttribute(a) || "").split(/\s+/).filter(Boolean).forEach(id => {
			if (!document.getElementById(id)) bad.push(a + " names a missing element: " + id);
		}));
	});
	if (!document.documentElement.lang) bad.push("no page language");
	const h1 = document.querySelectorAll("h1").length;
	if (h1 !== 1) bad.push(h1 + " h1 elements");
	return bad;
})()`

func TestUI_Accessibility(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pid := newProject(t, b, "Accessible")
	tb := b.newTab(t)
	tb.navigate(t, "/signin")
	require.Empty(t, eval[[]string](t, tb, markupProblems), "/signin")
	tb.signInWithKey(t, b.hub.AdminKey)
	plugID := tb.createPlugin(t, "Checked", "A plugin", "{}")
	tb.enablePlugin(t, pid, plugID)

	for _, path := range []string{
		"/projects",
		"/projects/new",
		"/projects/" + pid,
		"/projects/" + pid + "/exports",
		"/projects/" + pid + "/runs",
		"/projects/" + pid + "/settings",
		"/projects/" + pid + "/settings/plugins",
		"/plugins",
		"/plugins/new",
		"/plugins/" + plugID,
		"/org/members",
		"/org/keys",
		"/org/storages",
		"/account",
		"/projects/not-a-project",
	} {
		tb.navigate(t, path)
		require.Empty(t, eval[[]string](t, tb, markupProblems), path)
	}

	// The check itself notices a field without a label.
	tb.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector("main").append(document.createElement("input"))`))
	require.Len(t, eval[[]string](t, tb, markupProblems), 1)

	// Keyboard only: Tab reaches the skip link first, then the header.
	tb.navigate(t, "/projects")
	tb.do(t, chromedp.KeyEvent("\t"))
	require.Equal(t, "Skip to content", eval[string](t, tb, `document.activeElement.textContent`))
	// The bell opens and closes with the keyboard.
	tb.do(t, chromedp.Focus(chromedp.CSS(".bell-button")), chromedp.KeyEvent("\r"))
	require.False(t, eval[bool](t, tb, `document.getElementById("bell-panel").hidden`))
	tb.do(t, chromedp.KeyEvent("\x1b"))
	require.True(t, eval[bool](t, tb, `document.getElementById("bell-panel").hidden`))
	require.Equal(t, "false", eval[string](t, tb, `document.querySelector(".bell-button").getAttribute("aria-expanded")`))
}
