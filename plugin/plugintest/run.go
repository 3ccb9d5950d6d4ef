package plugintest

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/exporthub/exporthub/plugin"
)

// Output is what a plugin produced in [RunFile].
type Output struct {
	// Path is the written file.
	Path string
	// Data is its content.
	Data []byte
	// Entries holds the zip's entries by name (nil when the file is not a
	// zip).
	Entries map[string][]byte
}

// RunFile runs h once on the AAF file at exportPath with configJSON, with
// no hub (see plugin.RunLocal), logging to t.Log. It fails the test if the
// handler fails.
func RunFile(t testing.TB, h plugin.Handler, exportPath, configJSON string) *Output {
	t.Helper()
	res, err := plugin.RunLocal(context.Background(), h.ServeExport, plugin.LocalOptions{
		Export: exportPath,
		Config: configJSON,
		Out:    t.TempDir(),
		Logger: Logger(t),
	})
	if err != nil {
		t.Fatalf("plugintest: run %s: %v", exportPath, err)
	}
	data, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatalf("plugintest: %v", err)
	}
	out := &Output{Path: res.Path, Data: data}
	if bytes.HasPrefix(data, []byte("PK")) {
		out.Entries = ZipEntries(t, data)
	}
	return out
}

// Logger returns a slog logger writing text lines to t.Log; records logged
// after the test ended are dropped.
func Logger(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(string(bytes.TrimRight(p, "\n")))
	}
	return len(p), nil
}
