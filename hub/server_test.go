package hub_test

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
)

func TestNew_ConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  hub.Config
		want string
	}{
		{"Listen", hub.Config{Listen: "7420"}, `hub: Listen "7420" is not host:port`},
		{"PublicURL", hub.Config{PublicURL: "ftp://x"}, `hub: PublicURL "ftp://x" must be an absolute http(s) URL`},
		{"Database", hub.Config{DatabaseURL: "mysql://u:secret@x/db"}, `hub: DatabaseURL "mysql://u:xxxxx@x/db" must start with sqlite:// or postgres://`},
		{"HubKeyLength", hub.Config{HubKey: base64.StdEncoding.EncodeToString([]byte("short"))}, "hub: HubKey must decode to 32 bytes, got 5"},
		{"HubKeyBase64", hub.Config{HubKey: "!!!"}, "hub: HubKey is not valid base64"},
		{"BootstrapPrefix", hub.Config{BootstrapKey: "abcdefghijklmnopqrstuvwxyz"}, `hub: BootstrapKey must start with "ehk_"`},
		{"BootstrapShort", hub.Config{BootstrapKey: "ehk_short"}, "hub: BootstrapKey must be at least 24 characters, got 9"},
		{"MaxBody", hub.Config{MaxBodyBytes: -1}, "hub: MaxBodyBytes must not be negative, got -1"},
		{"Blob", hub.Config{BlobURL: "ftp://bucket"}, "blob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			cfg.DataDir = t.TempDir()
			cfg.Logger = hubtest.NewLogger(t)
			_, err := hub.New(context.Background(), &cfg)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
			require.NotContains(t, err.Error(), "secret")
		})
	}
}

func TestNew_HubKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := make([]byte, 32)
	key[0] = 7
	enc := base64.StdEncoding.EncodeToString(key)
	s, err := hub.New(context.Background(), &hub.Config{DataDir: dir, HubKey: enc, Logger: hubtest.NewLogger(t)})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "a second Close returns nil")
	_, err = os.Stat(filepath.Join(dir, hub.HubKeyFile))
	require.True(t, os.IsNotExist(err), "a configured hub key writes no key file")

	// Without a configured key the file is created once and reused.
	dir2 := t.TempDir()
	s, err = hub.New(context.Background(), &hub.Config{DataDir: dir2, Logger: hubtest.NewLogger(t)})
	require.NoError(t, err)
	require.NotNil(t, s.Bootstrap())
	require.True(t, s.Bootstrap().KeyGenerated)
	require.NoError(t, s.Close())
	first, err := os.ReadFile(filepath.Join(dir2, hub.HubKeyFile))
	require.NoError(t, err)
	s, err = hub.New(context.Background(), &hub.Config{DataDir: dir2, Logger: hubtest.NewLogger(t)})
	require.NoError(t, err)
	require.Nil(t, s.Bootstrap(), "a second start bootstraps nothing")
	require.NoError(t, s.Close())
	second, err := os.ReadFile(filepath.Join(dir2, hub.HubKeyFile))
	require.NoError(t, err)
	require.Equal(t, first, second)
}

type recordingComponent struct {
	mu     sync.Mutex
	events []string
}

func (c *recordingComponent) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, "start")
	return nil
}

func (c *recordingComponent) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, "shutdown")
	return nil
}

func (c *recordingComponent) Events() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.events...)
}

func TestServer_Lifecycle(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	comp := &recordingComponent{}
	s, err := hub.New(context.Background(), &hub.Config{DataDir: t.TempDir(), PublicURL: base,
		BootstrapKey: "ehk_lifecyclelifecyclelifecycle", Logger: hubtest.NewLogger(t),
		Components: []hub.Component{comp},
		RoutesFunc: func(s *hub.Server, mux *http.ServeMux) {
			s.Handle(mux, "GET /api/test-hook", hub.AccessMember, func(w http.ResponseWriter, r *http.Request) {
				hub.WriteJSON(w, http.StatusOK, map[string]string{"user": hub.Principal(r).UserID})
			})
		}})
	require.NoError(t, err)
	defer s.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		require.True(t, time.Now().Before(deadline), "hub did not answer: %v", err)
		time.Sleep(10 * time.Millisecond)
	}
	require.Equal(t, []string{"start"}, comp.Events())

	// A route added with Config.RoutesFunc gets authentication.
	req, _ := http.NewRequest("GET", base+"/api/test-hook", nil)
	req.Header.Set("Authorization", "Bearer ehk_lifecyclelifecyclelifecycle")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(b), s.Bootstrap().UserID)

	// Metrics count the requests by route.
	resp, err = http.Get(base + "/metrics")
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(b), `exporthub_http_requests_total{code="200",method="GET",route="GET /api/test-hook"} 1`)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after its context was cancelled")
	}
	require.Equal(t, []string{"start", "shutdown"}, comp.Events())
	_, err = http.Get(base + "/healthz")
	require.Error(t, err, "the listener is closed")
}

func TestServer_BodyBound(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	var fail hubapi.FailResponse
	h.JSON(t, "POST", "/api/projects", h.AdminKey, `{"name":"x","description":"`+strings.Repeat("a", 2<<20)+`"}`, http.StatusRequestEntityTooLarge, &fail)
	require.Equal(t, hubapi.FailResponse{Status: "fail", Code: "body_too_large", Message: "request body is larger than the limit of 1048576 bytes"}, fail)
	h.JSON(t, "GET", "/api/nothing-here", h.AdminKey, nil, http.StatusNotFound, &fail)
	require.Equal(t, "no such endpoint: GET /api/nothing-here", fail.Message)
}

// TestServer_HooksPerInstance checks that Config.RoutesFunc and
// Config.Components belong to their server only: another hub of the same
// binary has neither.
func TestServer_HooksPerInstance(t *testing.T) {
	t.Parallel()
	comp := &recordingComponent{}
	withHook := hubtest.Start(t, &hubtest.Options{Configure: func(c *hub.Config) {
		c.Components = []hub.Component{comp}
		c.RoutesFunc = func(s *hub.Server, mux *http.ServeMux) {
			s.Handle(mux, "GET /api/test-hook", hub.AccessMember, func(w http.ResponseWriter, r *http.Request) {
				hub.WriteJSON(w, http.StatusOK, map[string]string{"user": hub.Principal(r).UserID})
			})
		}
	}})
	plain := hubtest.Start(t, nil)
	withHook.JSON(t, http.MethodGet, "/api/test-hook", withHook.AdminKey, nil, http.StatusOK, nil)
	plain.JSON(t, http.MethodGet, "/api/test-hook", plain.AdminKey, nil, http.StatusNotFound, nil)
	require.Equal(t, []string{"start"}, comp.Events(), "only the hub configured with it starts the component")
}
