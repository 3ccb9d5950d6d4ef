package cli_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/internal/cli"
	"github.com/exporthub/exporthub/internal/waittest"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a
// running command and the reads of the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func get(t *testing.T, url, key string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("apikey", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeCommand(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- cli.Execute(ctx, []string{"serve", "--data-dir", dataDir, "--listen", addr, "--log-level", "warn"}, strings.NewReader(""), &out, &errOut)
	}()
	base := "http://" + addr
	waittest.Within(t, 30*time.Second, "the hub to answer /healthz", func() bool {
		code, _ := get(t, base+"/healthz", "")
		return code == http.StatusOK
	})
	_, body := get(t, base+"/healthz", "")
	require.JSONEq(t, `{"status":"ok","database":"ok","blob":"ok"}`, body)
	require.Contains(t, out.String(), "exporthub is running at "+base)
	m := regexp.MustCompile(`Admin API key \(shown once, store it now\): (ehk_[a-z2-7]+)`).FindStringSubmatch(out.String())
	require.NotNil(t, m, "the bootstrap key is printed; output: %s", out.String())
	code, _ := get(t, base+"/api/me", m[1])
	require.Equal(t, http.StatusOK, code)

	// The hub key and database live in the data dir; the key file is private.
	fi, err := os.Stat(filepath.Join(dataDir, "hub.key"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// admin create-key works on the data dir while the hub runs.
	var keyOut, keyErr bytes.Buffer
	err = cli.Execute(context.Background(), []string{"admin", "create-key", "--data-dir", dataDir, "--name", "ci"}, strings.NewReader(""), &keyOut, &keyErr)
	require.NoError(t, err, keyErr.String())
	newKey := strings.TrimSpace(keyOut.String())
	require.Regexp(t, `^ehk_[a-z2-7]{52}$`, newKey)
	require.Contains(t, keyErr.String(), `Created API key "ci" for admin@localhost (admin)`)
	code, _ = get(t, base+"/api/me", newKey)
	require.Equal(t, http.StatusOK, code)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "a signal stops the hub cleanly")
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}

	// A second start reuses the data: no new bootstrap, the keys still work.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	var out2 syncBuffer
	done2 := make(chan error, 1)
	go func() {
		done2 <- cli.Execute(ctx2, []string{"serve", "--data-dir", dataDir, "--listen", addr, "--log-level", "error"}, strings.NewReader(""), &out2, io.Discard)
	}()
	waittest.Within(t, 30*time.Second, "the restarted hub", func() bool {
		code, _ := get(t, base+"/api/me", newKey)
		return code == http.StatusOK
	})
	require.NotContains(t, out2.String(), "Admin API key")
	cancel2()
	require.NoError(t, <-done2)
}

func TestServeCommand_BadSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  string
		want string
	}{
		{"BadDatabase", []string{"serve", "--database", "mysql://x"}, "", `DatabaseURL "mysql://x" must start with sqlite:// or postgres://`},
		{"BadListen", []string{"serve", "--listen", "nope"}, "", `Listen "nope" is not host:port`},
		{"BadSize", []string{"serve", "--max-body-size", "big"}, "", `flag --max-body-size: size "big"`},
		{"BadBootstrapKey", []string{"serve", "--bootstrap-key", "short"}, "", `BootstrapKey must start with "ehk_"`},
		{"MissingConfigFile", []string{"serve", "--config", "/nonexistent/exporthub.yaml"}, "", "read config file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append(tt.args, "--data-dir", t.TempDir())
			var out, errOut bytes.Buffer
			err := cli.Execute(context.Background(), args, strings.NewReader(""), &out, &errOut)
			require.Error(t, err)
			require.Contains(t, errOut.String(), tt.want)
		})
	}
}

func TestAdminCommand_CreateOrg(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	var out, errOut bytes.Buffer
	err := cli.Execute(context.Background(), []string{"admin", "create-key", "--data-dir", dataDir}, strings.NewReader(""), &out, &errOut)
	require.Error(t, err)
	require.Contains(t, errOut.String(), "no hub database at "+filepath.Join(dataDir, "exporthub.db"))

	out.Reset()
	errOut.Reset()
	err = cli.Execute(context.Background(), []string{"admin", "create-org", "--data-dir", dataDir, "--name", "Acme", "--admin-email", "boss@acme.test"}, strings.NewReader(""), &out, &errOut)
	require.NoError(t, err, errOut.String())
	require.Regexp(t, `^ehk_`, strings.TrimSpace(out.String()))

	out.Reset()
	errOut.Reset()
	err = cli.Execute(context.Background(), []string{"admin", "create-org", "--data-dir", dataDir, "--name", "Other", "--admin-email", "boss@acme.test"}, strings.NewReader(""), &out, &errOut)
	require.Error(t, err)
	require.Contains(t, errOut.String(), `a user with e-mail "boss@acme.test" already exists`)

	out.Reset()
	errOut.Reset()
	err = cli.Execute(context.Background(), []string{"admin", "create-key", "--data-dir", dataDir, "--email", "boss@acme.test", "--expires-in", "1h"}, strings.NewReader(""), &out, &errOut)
	require.NoError(t, err, errOut.String())
	require.Contains(t, errOut.String(), "for boss@acme.test (admin)")
}
