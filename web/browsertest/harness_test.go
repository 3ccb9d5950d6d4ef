package browsertest_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubtest"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// waitTimeout bounds every wait for something the user would see.
const waitTimeout = 60 * time.Second

// bundle is one test's hub and browser.
type bundle struct {
	hub     *hubtest.Hub
	browser context.Context
}

// tab is a browser tab with its own cookies (a fresh browser context,
// like a private window) and download directory.
type tab struct {
	hub       *hubtest.Hub
	ctx       context.Context
	downloads string
}

// requireChromium skips the test when chromium is missing, and fails it
// when CI=true.
func requireChromium(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: skipped with -short (make test runs it)")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is missing at %s and CI=true: install the chromium package", chromiumPath)
		}
		t.Skipf("chromium is missing at %s", chromiumPath)
	}
}

// setup starts a real hub (on SQLite, or on the backend given) and a
// headless chromium.
func setup(t *testing.T, backend ...hubtest.Backend) *bundle {
	t.Helper()
	requireChromium(t)
	opts := &hubtest.Options{}
	if len(backend) > 0 {
		opts.Backend = backend[0]
	}
	return &bundle{hub: hubtest.Start(t, opts), browser: newBrowser(t)}
}

// newBrowser starts chromium (headless, no sandbox, temporary profile);
// it closes at cleanup.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	require.NoError(t, chromedp.Do(ctx), "start chromium")
	return ctx
}

// newTab opens a tab in a fresh browser context; it closes at cleanup.
func (b *bundle) newTab(t *testing.T) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tb := &tab{hub: b.hub, ctx: ctx, downloads: t.TempDir()}
	// The first action binds the tab's life to the context it runs with,
	// so it runs on ctx itself, without a timeout.
	require.NoError(t, chromedp.Do(ctx), "open tab")
	tb.do(t,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior:         browser.SetDownloadBehaviorBehaviorAllow,
				BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
				DownloadPath:     tb.downloads,
			})
			return err
		}))
	return tb
}

// do runs browser actions, each bounded by waitTimeout.
func (b *tab) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx, actions...))
}

// text returns the visible text of the first element matching sel.
func (b *tab) text(t *testing.T, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(t, err, "read text of %s", sel)
	return s
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, b *tab, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, "evaluate %s", expr)
	return v
}

// waitJS waits until a JavaScript expression is true in the page.
func (b *tab) waitJS(t *testing.T, what, expr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond)))
	require.NoError(t, err, "wait for %s (%s)", what, expr)
}

// waitText waits until the element matching sel contains want.
func (b *tab) waitText(t *testing.T, sel, want string) {
	t.Helper()
	b.waitJS(t, fmt.Sprintf("%q in %s", want, sel),
		fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.textContent.includes(%q); })()`, sel, want))
}

// typeInto empties a text field and types text into it, key by key.
func (b *tab) typeInto(t *testing.T, sel, text string) {
	t.Helper()
	b.do(t,
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = ""`, sel)),
		chromedp.SendKeys(chromedp.CSS(sel), text),
	)
}

// navigate opens a hub path in the tab.
func (b *tab) navigate(t *testing.T, path string) {
	t.Helper()
	b.do(t, chromedp.Navigate(b.hub.URL+path))
}

// signInWithKey signs in through the form with an API key.
func (b *tab) signInWithKey(t *testing.T, key string) {
	t.Helper()
	b.navigate(t, "/signin")
	b.do(t,
		chromedp.Click(chromedp.CSS("summary")),
		chromedp.SendKeys(chromedp.ID("api_key"), key),
		chromedp.Submit(chromedp.ID("api_key")),
		chromedp.WaitVisible(chromedp.CSS(".bell-button, .flash-error")),
	)
}

// screenshotDir returns where screenshots go: $EXPORTHUB_SCREENSHOTS_DIR
// (a path, or "1" for the default), or artifacts/screenshots at the
// repository root when CI is set; "" when screenshots are off.
func screenshotDir() string {
	v := os.Getenv("EXPORTHUB_SCREENSHOTS_DIR")
	switch {
	case v != "" && v != "1" && v != "true":
		return v
	case v != "" || os.Getenv("CI") != "":
		return filepath.Join("..", "..", "artifacts", "screenshots")
	}
	return ""
}

// screenshot saves a full-page PNG of the tab as NAME.png when
// screenshots are on.
func (b *tab) screenshot(t *testing.T, name string) {
	t.Helper()
	dir := screenshotDir()
	if dir == "" {
		return
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err, "screenshot %s", name)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

// waitDownload waits for a completed download in the tab's download
// directory whose name has the given suffix and returns its path.
func (b *tab) waitDownload(t *testing.T, suffix string) string {
	t.Helper()
	var found string
	require.Eventually(t, func() bool {
		entries, err := os.ReadDir(b.downloads)
		if err != nil {
			return false
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), suffix) {
				found = filepath.Join(b.downloads, e.Name())
				return true
			}
		}
		return false
	}, waitTimeout, 100*time.Millisecond, "no download ending in %s in %s", suffix, b.downloads)
	return found
}

// nodeCount returns how many elements match a CSS selector.
func (b *tab) nodeCount(t *testing.T, sel string) int {
	t.Helper()
	return eval[int](t, b, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
}

// visible reports whether the first element matching sel is shown (it
// takes space on the page).
func (b *tab) visible(t *testing.T, sel string) bool {
	t.Helper()
	return eval[bool](t, b, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0; })()`, sel))
}

// httpStatus fetches a hub path without credentials and returns its
// status (redirects are not followed).
func httpStatus(t *testing.T, h *hubtest.Hub, method, path string) int {
	t.Helper()
	req, err := http.NewRequest(method, h.URL+path, nil)
	require.NoError(t, err)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// buildGo builds a Go main package of this module into dir and returns
// the binary's path.
// It skips the test when the package has no Go files yet, and fails it
// when CI=true.
func buildGo(t *testing.T, pkg, dir string) string {
	t.Helper()
	if files, _ := filepath.Glob(filepath.Join("..", "..", pkg, "*.go")); len(files) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s has no Go files and CI=true", pkg)
		}
		t.Skipf("%s has no Go files yet", pkg)
	}
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build %s: %s", pkg, out)
	return bin
}
