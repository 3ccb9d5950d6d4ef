package hub_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/blob/blobtest"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
)

// stallProxy forwards TCP connections to a server until stall is called;
// from then on it accepts connections and never answers, as a paused or
// unreachable S3 endpoint behind a load balancer does.
type stallProxy struct {
	addr string

	mu      sync.Mutex
	stalled bool
	conns   []net.Conn
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &stallProxy{addr: ln.Addr().String()}
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns = append(p.conns, c)
			stalled := p.stalled
			p.mu.Unlock()
			if stalled {
				continue // held open, never answered
			}
			go func() {
				up, err := net.Dial("tcp", target)
				if err != nil {
					c.Close()
					return
				}
				p.mu.Lock()
				p.conns = append(p.conns, up)
				p.mu.Unlock()
				go func() { _, _ = io.Copy(up, c); up.Close() }()
				_, _ = io.Copy(c, up)
				c.Close()
			}()
		}
	}()
	return p
}

// stall makes the proxy stop answering, new connections and open ones.
func (p *stallProxy) stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func TestHealth_BlobOutageKeepsReplicasReady(t *testing.T) {
	t.Parallel()
	s3 := blobtest.StartS3(t)
	bucket := s3.CreateBucket(t)
	u, err := url.Parse(s3.Endpoint)
	require.NoError(t, err)
	proxy := newStallProxy(t, u.Host)
	start := func(requireBlob bool) *hubtest.Hub {
		return hubtest.Start(t, &hubtest.Options{Configure: func(c *hub.Config) {
			c.BlobURL = "s3://" + bucket + "?endpoint=" + url.QueryEscape("http://"+proxy.addr) + "&region=" + blobtest.S3Region + "&use_path_style=true"
			c.BlobAccessKeyID, c.BlobSecretAccessKey = s3.AccessKey, s3.SecretKey
			c.ReadyRequiresBlob = requireBlob
		}})
	}
	h, strict := start(false), start(true)
	for _, path := range []string{"/livez", "/readyz", "/healthz"} {
		var got hubapi.HealthResponse
		h.JSON(t, http.MethodGet, path, "", nil, http.StatusOK, &got)
		require.Equal(t, "ok", got.Status, path)
	}
	var ready hubapi.HealthResponse
	h.JSON(t, http.MethodGet, "/readyz", "", nil, http.StatusOK, &ready)
	require.Equal(t, hubapi.HealthResponse{Status: "ok", Database: "ok", Blob: "ok"}, ready)

	// The S3 endpoint stops answering: the replica stays ready (its API
	// works), says the blob store is unavailable, and answers in bounded
	// time, so a load balancer's probe does not time out.
	proxy.stall()
	for _, c := range []struct {
		h    *hubtest.Hub
		path string
		code int
		want hubapi.HealthResponse
	}{
		{h, "/livez", http.StatusOK, hubapi.HealthResponse{Status: "ok"}},
		{h, "/readyz", http.StatusOK, hubapi.HealthResponse{Status: "ok", Database: "ok", Blob: "unavailable"}},
		{h, "/healthz", http.StatusOK, hubapi.HealthResponse{Status: "ok", Database: "ok", Blob: "unavailable"}},
		{strict, "/readyz", http.StatusServiceUnavailable, hubapi.HealthResponse{
			Status: "fail", Code: hubapi.CodeUnavailable, Message: "blob storage is not answering", Database: "ok", Blob: "unavailable"}},
		{strict, "/livez", http.StatusOK, hubapi.HealthResponse{Status: "ok"}},
	} {
		began := time.Now()
		var got hubapi.HealthResponse
		c.h.JSON(t, http.MethodGet, c.path, "", nil, c.code, &got)
		require.Equal(t, c.want, got, c.path)
		require.Less(t, time.Since(began), 5*time.Second, "%s answers in bounded time", c.path)
	}
	h.JSON(t, http.MethodGet, "/api/projects", h.AdminKey, nil, http.StatusOK, nil)
}
