package blobtest

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// requireBinary returns the path of a test server's binary: on PATH,
// then in $(go env GOPATH)/bin. When it is missing the test is skipped,
// or fails when the environment variable CI is "true"; install says how
// to get it.
func requireBinary(t testing.TB, name, install string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range filepath.SplitList(goPath()) {
		p := filepath.Join(dir, "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := name + " not found on PATH or in $(go env GOPATH)/bin; install it with: " + install
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (required because CI=true)")
	}
	t.Skip(msg)
	return ""
}

var (
	goPathOnce sync.Once
	goPathDirs string
)

func goPath() string {
	goPathOnce.Do(func() {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			goPathDirs = strings.TrimSpace(string(out))
		}
	})
	return goPathDirs
}

// serverProcess is a test server started on a free loopback port.
type serverProcess struct {
	name string
	// args returns the command line for port.
	args func(port string) []string
	env  []string
	dir  string
	// probe returns the URL polled until the server answers HTTP.
	probe func(port string) string
}

// start runs the server until t ends, retrying on another port when the
// chosen one was taken between probing and binding. It returns the port.
func (sp *serverProcess) start(t testing.TB, bin string) string {
	t.Helper()
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			t.Fatalf("start %s: %v", sp.name, err)
		}
		if lastErr = sp.run(t, bin, port); lastErr == nil {
			return port
		}
	}
	t.Fatalf("start %s: %v", sp.name, lastErr)
	return ""
}

func (sp *serverProcess) run(t testing.TB, bin, port string) error {
	var output bytes.Buffer
	cmd := exec.Command(bin, sp.args(port)...)
	cmd.Env = append(os.Environ(), sp.env...)
	cmd.Dir = sp.dir
	cmd.Stdout = &output
	cmd.Stderr = &output
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(sp.probe(port))
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case <-exited:
			return fmt.Errorf("%s exited: %s", sp.name, output.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return fmt.Errorf("%s did not answer on port %s within 30s: %s", sp.name, port, output.String())
		}
	}
	t.Cleanup(stop)
	return nil
}
