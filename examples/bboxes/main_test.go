package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/plugin"
	"github.com/exporthub/exporthub/plugin/plugintest"
)

// Tests of a main package live in it (it cannot be imported).

var update = flag.Bool("update", false, "rewrite the golden files")

const python = "/usr/bin/python3"

// cases are the inputs compared with the golden files and with the Python
// sample.
type testCase struct{ name, export, config string }

var cases = []testCase{
	{name: "image-small", export: "testdata/image_small.ndjson", config: "{}"},
	{name: "edge-cases", export: "testdata/edge_cases.ndjson", config: `{"separator-character": " | "}`},
	{name: "edge-cases-default-separator", export: "testdata/edge_cases.ndjson", config: `{"separator-character": 7}`},
}

// runGo converts export with the Go plugin and returns the JSON entry.
func runGo(t *testing.T, export, config string) []byte {
	t.Helper()
	out := plugintest.RunFile(t, plugin.HandlerFunc(convert), export, config)
	name := strings.TrimSuffix(filepath.Base(out.Path), ".zip") + ".json"
	require.Len(t, out.Entries, 1)
	data, ok := out.Entries[name]
	require.True(t, ok, "got entries %v, want %s", keys(out.Entries), name)
	return data
}

// runPython converts export with the Python sample and returns the JSON
// entry. It skips when python3 is missing, unless CI=true.
func runPython(t *testing.T, export, config string) []byte {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (CI=true)", python)
		}
		t.Skipf("%s is missing", python)
	}
	out := t.TempDir()
	cmd := exec.Command(python, "python/bboxes_plugin.py", export, "--config", config, "--out", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	require.NoError(t, err, "python sample failed: %s", stderr.String())
	path := strings.TrimSpace(string(stdout))
	entries := plugintest.ZipEntries(t, mustRead(t, path))
	data, ok := entries[strings.TrimSuffix(filepath.Base(path), ".zip")+".json"]
	require.True(t, ok, "got entries %v", keys(entries))
	return data
}

func TestConvert_Golden(t *testing.T) {
	t.Parallel()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := runGo(t, tc.export, tc.config)
			golden := filepath.Join("testdata", "golden", tc.name+".json")
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
			}
			require.Equal(t, string(mustRead(t, golden)), string(got))
		})
	}
}

// TestConvert_SameAsPython runs the Python sample on the same inputs: the
// JSON values must be equal (and, as it happens, the bytes too).
func TestConvert_SameAsPython(t *testing.T) {
	t.Parallel()

	generated := filepath.Join(t.TempDir(), "generated.ndjson")
	f, err := os.Create(generated)
	require.NoError(t, err)
	w := bufio.NewWriter(f)
	require.NoError(t, aaf.Generate(w, aaf.FormatNDJSON, aaf.GenOptions{Assets: 500, Seed: 42, Tools: 6}))
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())

	// The legacy shape ("tasks"[0]."objects") and the mixed one (videos,
	// texts and every tenth asset legacy), as scripts/bench_sdk.sh runs them.
	gen := func(name string, o aaf.GenOptions) string {
		path := filepath.Join(t.TempDir(), name+".ndjson")
		f, err := os.Create(path)
		require.NoError(t, err)
		w := bufio.NewWriter(f)
		require.NoError(t, aaf.Generate(w, aaf.FormatNDJSON, o))
		require.NoError(t, w.Flush())
		require.NoError(t, f.Close())
		return path
	}
	all := append(slices.Clone(cases),
		testCase{name: "generated", export: generated, config: `{"separator-character": ";"}`},
		testCase{name: "generated-legacy", export: gen("legacy", aaf.GenOptions{Assets: 300, Seed: 7, Tools: 5, Legacy: true}), config: "{}"},
		testCase{name: "generated-mixed", export: gen("mixed", aaf.GenOptions{Assets: 300, Seed: 8, Kind: aaf.AssetKindMixed, Frames: 10}), config: "{}"},
	)
	for _, tc := range all {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := runPython(t, tc.export, tc.config)
			got := runGo(t, tc.export, tc.config)
			var wantV, gotV any
			require.NoError(t, json.Unmarshal(want, &wantV))
			require.NoError(t, json.Unmarshal(got, &gotV))
			require.Equal(t, wantV, gotV, "the Go plugin's JSON value differs from the Python sample's")
			require.Equal(t, string(want), string(got), "the bytes differ (the values are equal)")
		})
	}
}

// TestConvert_Hub runs the plugin against a hub over Socket.IO and reads
// the uploaded zip.
func TestConvert_Hub(t *testing.T) {
	t.Parallel()
	hub := plugintest.NewHub(t)
	hub.SetExportFile(t, "testdata/edge_cases.ndjson")
	e, err := plugin.New(plugin.HandlerFunc(convert),
		plugin.WithHost(hub.URL()),
		plugin.WithCredentials(hub.ID, hub.Secret),
		plugin.WithLogger(plugintest.Logger(t)),
	)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	hub.WaitConnected(t, 1)

	session := hub.Dispatch(t, plugintest.RunRequest{ProjectID: "edge-cases", ConfigJSON: `{"separator-character": " | "}`})
	res := hub.WaitResult(t, session)
	require.True(t, res.Export, "got %+v", res)
	entries := plugintest.ZipEntries(t, hub.Download(t, res))
	require.Equal(t, string(mustRead(t, "testdata/golden/edge-cases.json")), string(entries["edge-cases.json"]))
	require.Equal(t, float64(7), hub.WaitLog(t, session, "conversion finished").Extra["assets"])
}

func TestRoundInt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   float64
		want string
	}{
		{0.5, "0"}, {1.5, "2"}, {2.5, "2"}, {-0.5, "0"}, {-1.5, "-2"}, {-0.4, "0"},
		{100.49999999999999, "100"}, {1e20, "100000000000000000000"}, {-9.5e18, "-9500000000000000000"},
		{123456789012345678901234.0, "123456789012345685803008"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, roundInt(tt.in), "roundInt(%v)", tt.in)
	}
}

// FuzzWritePyString checks that the Python-style escaping decodes back to
// the same string.
func FuzzWritePyString(f *testing.F) {
	for _, s := range []string{"", "plain", "é車🚗", "\"\\\n\r\t\b\f\x01\x7f", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // the reader never yields invalid UTF-8
		}
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		writePyString(w, s)
		require.NoError(t, w.Flush())
		for _, c := range buf.Bytes() {
			if c < 0x20 || c > 0x7e {
				t.Fatalf("non-ASCII byte %#x in %q", c, buf.String())
			}
		}
		var got string
		require.NoError(t, json.Unmarshal(buf.Bytes(), &got))
		require.Equal(t, s, got)
	})
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func keys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// BenchmarkConvert runs the plugin (dev mode's RunLocal) on 20,000
// generated assets of each shape; scripts/bench_sdk.sh compares it with
// the Python sample on larger files.
func BenchmarkConvert(b *testing.B) {
	for _, c := range []struct {
		name string
		o    aaf.GenOptions
	}{
		{"legacy", aaf.GenOptions{Assets: 20000, Seed: 1, Legacy: true}},
		{"current", aaf.GenOptions{Assets: 20000, Seed: 1}},
	} {
		path := filepath.Join(b.TempDir(), c.name+".ndjson")
		f, err := os.Create(path)
		require.NoError(b, err)
		w := bufio.NewWriter(f)
		require.NoError(b, aaf.Generate(w, aaf.FormatNDJSON, c.o))
		require.NoError(b, w.Flush())
		require.NoError(b, f.Close())
		fi, err := os.Stat(path)
		require.NoError(b, err)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(fi.Size())
			out := b.TempDir()
			for b.Loop() {
				_, err := plugin.RunLocal(context.Background(), convert, plugin.LocalOptions{
					Export: path, Config: `{"separator-character": ";"}`, Out: out, LogOutput: io.Discard,
				})
				require.NoError(b, err)
			}
			b.ReportMetric(float64(c.o.Assets*b.N)/b.Elapsed().Seconds(), "assets/s")
		})
	}
}

// BenchmarkWritePyString writes a typical row's strings.
func BenchmarkWritePyString(b *testing.B) {
	w := bufio.NewWriter(io.Discard)
	s := "Car 209 1729 250 335;Bus 1738 689 399 67;Pedestrian 12 30 4 9"
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		writePyString(w, s)
	}
}
