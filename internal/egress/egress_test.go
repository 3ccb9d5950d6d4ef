package egress_test

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/internal/egress"
)

func TestPolicy_Check(t *testing.T) {
	t.Parallel()
	def, err := egress.New(nil)
	require.NoError(t, err)
	onPrem, err := egress.New([]string{"10.1.0.0/16", "127.0.0.1"})
	require.NoError(t, err)
	tests := []struct {
		addr    string
		def     bool // allowed by default
		allowed bool // allowed with 10.1.0.0/16 and 127.0.0.1
	}{
		{"127.0.0.1", false, true},
		{"127.0.0.2", false, false},
		{"::1", false, false},
		{"::ffff:127.0.0.1", false, true},
		{"169.254.169.254", false, false},
		{"fe80::1", false, false},
		{"10.0.0.1", false, false},
		{"10.1.2.3", false, true},
		{"172.16.0.1", false, false},
		{"192.168.1.1", false, false},
		{"fd00::1", false, false},
		{"0.0.0.0", false, false},
		{"::", false, false},
		{"100.64.0.1", false, false},
		{"224.0.0.1", false, false},
		{"64:ff9b::7f00:1", false, false},
		{"2002:7f00:1::", false, false},
		{"8.8.8.8", true, true},
		{"2606:4700:4700::1111", true, true},
	}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.addr)
		require.Equal(t, tt.def, def.Check(a) == nil, "default policy, %s", tt.addr)
		require.Equal(t, tt.allowed, onPrem.Check(a) == nil, "on-premises policy, %s", tt.addr)
		if err := def.Check(a); err != nil {
			require.ErrorIs(t, err, egress.ErrRefused)
			require.Contains(t, err.Error(), "refused by policy")
		}
	}
}

func TestNew_Invalid(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"10.0.0.0/33", "localhost", "10.0.0"} {
		_, err := egress.New([]string{bad})
		require.ErrorContains(t, err, `allowed network "`+bad+`" is not an address or a CIDR prefix`)
	}
}

// server starts an HTTP server on ip that counts its requests.
func server(t *testing.T, ip string, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	var hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	}))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestTransport(t *testing.T) {
	t.Parallel()
	ok := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

	t.Run("AfterDNS", func(t *testing.T) {
		t.Parallel()
		srv, hits := server(t, "127.0.0.1", ok)
		p, _ := egress.New(nil)
		c := &http.Client{Transport: p.Transport()}
		_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		for _, u := range []string{srv.URL, "http://localhost:" + port} {
			_, err := c.Get(u)
			require.ErrorIs(t, err, egress.ErrRefused, u)
			require.ErrorContains(t, err, "refused by policy")
		}
		require.Zero(t, hits.Load(), "nothing reached the server")
	})

	t.Run("EveryRedirect", func(t *testing.T) {
		t.Parallel()
		inner, innerHits := server(t, "127.0.0.2", ok)
		outer, outerHits := server(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, inner.URL+"/metadata", http.StatusFound)
		})
		p, _ := egress.New([]string{"127.0.0.1/32"})
		c := &http.Client{Transport: p.Transport()}
		_, err := c.Get(outer.URL)
		require.ErrorIs(t, err, egress.ErrRefused)
		require.Equal(t, int32(1), outerHits.Load())
		require.Zero(t, innerHits.Load(), "the redirect was not followed to a refused address")
	})

	t.Run("Allowed", func(t *testing.T) {
		t.Parallel()
		srv, hits := server(t, "127.0.0.1", ok)
		p, _ := egress.New([]string{"127.0.0.0/8"})
		resp, err := (&http.Client{Transport: p.Transport()}).Get(srv.URL)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, int32(1), hits.Load())
	})

	t.Run("OpenAndClosedPortsLookAlike", func(t *testing.T) {
		t.Parallel()
		srv, _ := server(t, "127.0.0.1", ok)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		closed := "http://" + ln.Addr().String()
		ln.Close()
		p, _ := egress.New(nil)
		c := &http.Client{Transport: p.Transport()}
		_, errOpen := c.Get(srv.URL)
		_, errClosed := c.Get(closed)
		var a, b *egress.RefusedError
		require.True(t, errors.As(errOpen, &a))
		require.True(t, errors.As(errClosed, &b))
		require.Equal(t, a.Error(), b.Error())
	})
}
