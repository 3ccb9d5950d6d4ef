package plugin_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/plugin"
	"github.com/exporthub/exporthub/plugin/plugintest"
)

// flakyBalancer is a load balancer in front of a hub that answers the
// first requests of some paths with an error status, as one does while
// the hub replicas behind it restart.
type flakyBalancer struct {
	srv *httptest.Server

	mu    sync.Mutex
	fail  map[string]int // path prefix -> requests still to fail
	codes map[string]int // path prefix -> status they get
	seen  map[string]int // path prefix -> requests failed
}

func newFlakyBalancer(t *testing.T, hubURL string) *flakyBalancer {
	t.Helper()
	u, err := url.Parse(hubURL)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(u)
	b := &flakyBalancer{fail: map[string]int{}, codes: map[string]int{}, seen: map[string]int{}}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		for prefix, n := range b.fail {
			if n > 0 && strings.HasPrefix(r.URL.Path, prefix) {
				b.fail[prefix]--
				b.seen[prefix]++
				code := b.codes[prefix]
				b.mu.Unlock()
				http.Error(w, http.StatusText(code), code)
				return
			}
		}
		b.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// failFirst makes the next n requests under prefix answer code.
func (b *flakyBalancer) failFirst(prefix string, n, code int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fail[prefix], b.codes[prefix] = n, code
}

func (b *flakyBalancer) failed(prefix string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seen[prefix]
}

func TestBalancer_UpgradeAnswered502ReconnectsAtOnce(t *testing.T) {
	t.Parallel()
	hub := plugintest.NewHub(t)
	lb := newFlakyBalancer(t, hub.URL())
	lb.failFirst("/socket.io/", 3, http.StatusBadGateway)
	start := time.Now()
	// The default DialTimeout (20 s) is what an attempt waited for when
	// the upgrade got an error answer.
	startPlugin(t, hub, countingHandler, plugin.WithHost(lb.srv.URL), plugin.WithReconnect(50*time.Millisecond, 500*time.Millisecond, 0))
	hub.WaitConnected(t, 1)
	require.Less(t, time.Since(start), 10*time.Second, "connected soon after the balancer's 502s")
	require.Equal(t, 3, lb.failed("/socket.io/"))
}

func TestBalancer_IdempotentCallsRetried(t *testing.T) {
	t.Parallel()
	hub := plugintest.NewHub(t)
	hub.SetExportFile(t, testExport)
	lb := newFlakyBalancer(t, hub.URL())
	startPlugin(t, hub, countingHandler, plugin.WithHost(lb.srv.URL))
	hub.WaitConnected(t, 1)
	lb.failFirst("/v2/export", 2, http.StatusServiceUnavailable)
	lb.failFirst("/v2/getUploadUrl", 1, http.StatusBadGateway)
	lb.failFirst("/v2/getSignedUrl", 1, http.StatusGatewayTimeout)

	session := hub.Dispatch(t, plugintest.RunRequest{ProjectID: "p-7"})
	res := hub.WaitResult(t, session)
	require.True(t, res.Export, "the run succeeded through the balancer's errors: %v", res)
	entries := plugintest.ZipEntries(t, hub.Download(t, res))
	require.Equal(t, "street-001.jpg\nstreet-002.jpg\nstreet-003.jpg\n", string(entries["assets.txt"]))
	require.Equal(t, 2, lb.failed("/v2/export"))
	require.Equal(t, 1, lb.failed("/v2/getUploadUrl"))
	require.Equal(t, 1, lb.failed("/v2/getSignedUrl"))
}
