package plugin_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/internal/bytesize"
	"github.com/exporthub/exporthub/plugin"
	"github.com/exporthub/exporthub/plugin/plugintest"
)

func TestRunLocal(t *testing.T) {
	t.Parallel()

	t.Run("WritesTheZip", func(t *testing.T) {
		t.Parallel()
		out := filepath.Join(t.TempDir(), "out")
		var logs bytes.Buffer
		res, err := plugin.RunLocal(context.Background(), countingHandler, plugin.LocalOptions{
			Export: testExport, Out: out, LogOutput: &logs,
		})
		require.NoError(t, err)
		require.Equal(t, filepath.Join(out, "image_small.zip"), res.Path)
		data, err := os.ReadFile(res.Path)
		require.NoError(t, err)
		require.Equal(t, int64(len(data)), res.Size)
		require.Equal(t, "street-001.jpg\nstreet-002.jpg\nstreet-003.jpg\n", string(plugintest.ZipEntries(t, data)["assets.txt"]))
		require.Equal(t, "level=INFO msg=converted assets=3 run.stage=\"\"\n", logs.String())
	})

	t.Run("ReadsAZippedExport", func(t *testing.T) {
		t.Parallel()
		// A zip as the hub serves it: the first entry is the export.
		first := plugintest.RunFile(t, plugin.HandlerFunc(func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			z, err := req.NewZip("export.zip")
			if err != nil {
				return nil, err
			}
			w, _ := z.Create("export.ndjson")
			src, _ := os.ReadFile(testExport)
			_, _ = w.Write(src)
			return z.Response()
		}), testExport, "")
		out := plugintest.RunFile(t, plugin.HandlerFunc(countingHandler), first.Path, "")
		require.Contains(t, string(out.Entries["assets.txt"]), "street-003.jpg")
	})

	// The hub validated the export on import: by default the reader does
	// not validate it again (duplicate objectIds pass), Strict does.
	t.Run("StrictValidates", func(t *testing.T) {
		t.Parallel()
		export := filepath.Join(t.TempDir(), "dup.ndjson")
		require.NoError(t, os.WriteFile(export, []byte(`{"externalId":"a","task":{"tools":[{"objectId":"o","point":[1,2]},{"objectId":"o","point":[3,4]}]}}`+"\n"), 0o644))
		for _, strict := range []bool{false, true} {
			_, err := plugin.RunLocal(context.Background(), countingHandler, plugin.LocalOptions{
				Export: export, Out: t.TempDir(), LogOutput: &bytes.Buffer{}, Strict: strict,
			})
			if !strict {
				require.NoError(t, err)
				continue
			}
			require.ErrorContains(t, err, `duplicate objectId "o"`)
			require.ErrorContains(t, err, "line 1")
		}
	})

	t.Run("LegacyAssets", func(t *testing.T) {
		t.Parallel()
		out := plugintest.RunFile(t, plugin.HandlerFunc(countingHandler), "testdata/legacy_v2_small.json", "{}")
		require.Equal(t, 1, strings.Count(string(out.Entries["assets.txt"]), "\n"))
	})

	t.Run("CallbackError", func(t *testing.T) {
		t.Parallel()
		out := t.TempDir()
		_, err := plugin.RunLocal(context.Background(), func(context.Context, *plugin.Request) (*plugin.Response, error) {
			return nil, errors.New("bad config")
		}, plugin.LocalOptions{Export: testExport, Out: out, LogOutput: &bytes.Buffer{}})
		require.EqualError(t, err, "callback: bad config")
		entries, _ := os.ReadDir(out)
		require.Empty(t, entries, "a failed run must not leave files")
	})

	t.Run("Panic", func(t *testing.T) {
		t.Parallel()
		var logs bytes.Buffer
		_, err := plugin.RunLocal(context.Background(), func(context.Context, *plugin.Request) (*plugin.Response, error) {
			panic("boom")
		}, plugin.LocalOptions{Export: testExport, Out: t.TempDir(), LogOutput: &logs})
		require.ErrorIs(t, err, plugin.ErrPanic)
		require.Contains(t, logs.String(), "stack=")
	})

	t.Run("BadConfig", func(t *testing.T) {
		t.Parallel()
		_, err := plugin.RunLocal(context.Background(), countingHandler, plugin.LocalOptions{Export: testExport, Config: "{", Out: t.TempDir()})
		require.EqualError(t, err, "config JSON: line 1: unexpected EOF (column 1)")
	})

	t.Run("MissingFile", func(t *testing.T) {
		t.Parallel()
		_, err := plugin.RunLocal(context.Background(), countingHandler, plugin.LocalOptions{Export: "testdata/nope.ndjson", Out: t.TempDir()})
		require.ErrorContains(t, err, "open export: open testdata/nope.ndjson: no such file or directory")
	})

	t.Run("FileNameEscapes", func(t *testing.T) {
		t.Parallel()
		_, err := plugin.RunLocal(context.Background(), func(context.Context, *plugin.Request) (*plugin.Response, error) {
			return &plugin.Response{File: strings.NewReader("x"), FileName: "../escape.zip"}, nil
		}, plugin.LocalOptions{Export: testExport, Out: t.TempDir(), LogOutput: &bytes.Buffer{}})
		require.EqualError(t, err, `response FileName "../escape.zip": want a plain file name`)
	})
}

func TestRunCommand(t *testing.T) {
	t.Parallel()

	h := plugin.HandlerFunc(countingHandler)

	t.Run("Dev", func(t *testing.T) {
		t.Parallel()
		out := t.TempDir()
		var stdout, stderr bytes.Buffer
		err := plugin.RunCommand(context.Background(), []string{"dev", "-export", testExport, "-config", `{"a":1}`, "-out", out, "-project", "p9"}, &stdout, &stderr, h)
		require.NoError(t, err)
		path := filepath.Join(out, "p9.zip")
		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, "wrote "+path+" ("+bytesize.Format(fi.Size())+")\n", stdout.String())
		require.Contains(t, stderr.String(), "msg=converted assets=3")
	})

	t.Run("DevConfigFile", func(t *testing.T) {
		t.Parallel()
		cfg := filepath.Join(t.TempDir(), "cfg.json")
		require.NoError(t, os.WriteFile(cfg, []byte(`{"x": }`), 0o600))
		err := plugin.RunCommand(context.Background(), []string{"dev", "--export", testExport, "--config-file", cfg, "--out", t.TempDir()}, &bytes.Buffer{}, &bytes.Buffer{}, h)
		require.EqualError(t, err, "config JSON: line 1: invalid character '}' looking for beginning of value (column 7)")
	})

	t.Run("DevNeedsExport", func(t *testing.T) {
		t.Parallel()
		var stderr bytes.Buffer
		err := plugin.RunCommand(context.Background(), []string{"dev"}, &bytes.Buffer{}, &stderr, h)
		var ue *plugin.UsageError
		require.ErrorAs(t, err, &ue)
		require.Contains(t, stderr.String(), "-export FILE is required")
	})

	t.Run("UnknownCommand", func(t *testing.T) {
		t.Parallel()
		var stderr bytes.Buffer
		err := plugin.RunCommand(context.Background(), []string{"deploy"}, &bytes.Buffer{}, &stderr, h)
		require.EqualError(t, err, `unknown command "deploy"`)
		require.Contains(t, stderr.String(), "Usage:")
	})

	t.Run("ServeNeedsCredentials", func(t *testing.T) {
		t.Parallel()
		err := plugin.RunCommand(context.Background(), []string{"serve", "-host", "http://127.0.0.1:1"}, &bytes.Buffer{}, &bytes.Buffer{}, h)
		if os.Getenv("PLUGIN_ID") == "" {
			require.ErrorContains(t, err, "ID is empty (set PLUGIN_ID)")
		}
	})
}
