package hub_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs/runstest"
	"github.com/exporthub/exporthub/hub/store"
)

// TestServer_ShutdownEndsStreams serves a hub as `exporthub serve` does,
// opens every kind of event stream (the API's run log and notification
// streams, the web UI's run and bell streams) and shuts the hub down with
// a generous deadline: the streams end at once, so the shutdown does not
// wait for its deadline.
func TestServer_ShutdownEndsStreams(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	key := "ehk_shutdownshutdownshutdown"
	s, err := hub.New(context.Background(), &hub.Config{DataDir: t.TempDir(), PublicURL: base, BootstrapKey: key, Logger: hubtest.NewLogger(t)})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	served := make(chan error, 1)
	go func() { served <- s.Serve(context.Background(), ln) }()
	call := func(method, path string, body any, want int, out any) {
		t.Helper()
		h := &hubtest.Hub{URL: base}
		h.JSON(t, method, path, key, body, want, out)
	}
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 10*time.Millisecond, "the hub answers")

	// A run that stays active: its plugin instance holds it until
	// released.
	var project hubapi.ProjectResponse
	call(http.MethodPost, "/api/projects", map[string]any{"name": "shutdown"}, http.StatusCreated, &project)
	var plugin hubapi.PluginSecretResponse
	call(http.MethodPost, "/api/plugins", map[string]any{"name": "holds its run"}, http.StatusCreated, &plugin)
	call(http.MethodPost, "/api/projects/"+project.ID+"/plugins/"+plugin.ID, nil, http.StatusOK, nil)
	release := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inst, err := runstest.Connect(ctx, runstest.Options{Host: base, ID: plugin.ID, Secret: plugin.Secret, SkipExport: true,
		Handler: func(ctx context.Context, _ *runstest.Run) (string, []byte, error) {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return "", nil, errors.New("released")
		}})
	require.NoError(t, err)
	t.Cleanup(inst.Close)
	require.Eventually(t, func() bool {
		var p hubapi.PluginResponse
		call(http.MethodGet, "/api/plugins/"+plugin.ID, nil, http.StatusOK, &p)
		return len(p.Instances) == 1
	}, 10*time.Second, 10*time.Millisecond, "the instance is listed")
	var run hubapi.RunResponse
	call(http.MethodPost, "/api/projects/"+project.ID+"/plugins/"+plugin.ID+"/runs", nil, http.StatusCreated, &run)
	require.Equal(t, string(store.RunDispatched), run.Status)

	// A browser session for the web UI's streams.
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(base + "/signin")
	require.NoError(t, err)
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindSubmatch(page)
	require.NotNil(t, m, "the sign-in page has a CSRF token")
	resp, err = browser.PostForm(base+"/signin", url.Values{"csrf_token": {string(m[1])}, "api_key": {key}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "signed in and sent to the projects")

	open := func(c *http.Client, path string, withKey bool) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		require.NoError(t, err)
		req.Header.Set("Accept", "text/event-stream")
		if withKey {
			req.Header.Set(auth.HeaderAPIKey, key)
		}
		resp, err := c.Do(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s", path)
		require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"), "GET %s", path)
		return resp
	}
	streams := map[string]*http.Response{
		"api run logs":      open(http.DefaultClient, "/api/runs/"+run.ID+"/logs/stream", true),
		"api notifications": open(http.DefaultClient, "/api/notifications/stream", true),
		"ui run events":     open(browser, "/ui/runs/"+run.ID+"/events", false),
		"ui bell":           open(browser, "/ui/notifications/stream", false),
	}
	ended := make(chan string, len(streams))
	for name, resp := range streams {
		go func() {
			defer resp.Body.Close()
			_, err := io.ReadAll(resp.Body)
			if err != nil {
				ended <- name + ": " + err.Error()
				return
			}
			ended <- name + ": EOF"
		}()
	}

	// Shutdown with a deadline far away: every stream ends with a clean
	// end of the response, long before it.
	sctx, scancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer scancel()
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(sctx) }()
	for range streams {
		select {
		case got := <-ended:
			require.Regexp(t, `: EOF$`, got, "the stream ends cleanly")
		case <-sctx.Done():
			t.Fatal("an event stream was still open when the shutdown deadline passed")
		}
	}
	// The run itself may finish during a graceful shutdown: let it.
	close(release)
	select {
	case err := <-shut:
		require.NoError(t, err, "Shutdown returns before its deadline")
	case <-sctx.Done():
		t.Fatal("Shutdown did not return before its deadline")
	}
	require.NoError(t, <-served)
}
