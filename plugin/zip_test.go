package plugin_test

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/plugin"
	"github.com/exporthub/exporthub/plugin/plugintest"
)

func TestZip(t *testing.T) {
	t.Parallel()

	t.Run("ResponseOwnsTheFile", func(t *testing.T) {
		t.Parallel()
		z, err := plugin.NewZip("r.zip")
		require.NoError(t, err)
		w, err := z.Create("a/b.json")
		require.NoError(t, err)
		_, err = io.WriteString(w, `{"ok":true}`)
		require.NoError(t, err)
		resp, err := z.Response()
		require.NoError(t, err)
		require.NoError(t, z.Close(), "Close after Response does nothing")
		f := resp.File.(interface{ Name() string })
		data, err := io.ReadAll(resp.File)
		require.NoError(t, err)
		require.Equal(t, map[string][]byte{"a/b.json": []byte(`{"ok":true}`)}, plugintest.ZipEntries(t, data))
		require.NoError(t, resp.File.(io.Closer).Close())
		_, err = os.Stat(f.Name())
		require.ErrorIs(t, err, os.ErrNotExist, "closing the response removes the temp file")
	})

	t.Run("CloseDiscards", func(t *testing.T) {
		t.Parallel()
		z, err := plugin.NewZip("r.zip")
		require.NoError(t, err)
		_, err = z.Create("x")
		require.NoError(t, err)
		require.NoError(t, z.Close())
		require.NoError(t, z.Close())
		_, err = z.Response()
		require.EqualError(t, err, "finish zip: zip already finished")
		_, err = z.Create("y")
		require.EqualError(t, err, `create zip entry "y": zip already finished`)
	})

	t.Run("EmptyName", func(t *testing.T) {
		t.Parallel()
		_, err := plugin.NewZip("")
		require.ErrorIs(t, err, plugin.ErrInvalidOption)
	})

	t.Run("BadEntryNames", func(t *testing.T) {
		t.Parallel()
		z, err := plugin.NewZip("r.zip")
		require.NoError(t, err)
		defer z.Close()
		_, err = z.Create("/etc/passwd")
		require.EqualError(t, err, `create zip entry "/etc/passwd": zipstream: entry name "/etc/passwd" is absolute`)
		_, err = z.Create("")
		require.EqualError(t, err, `create zip entry "": zipstream: empty entry name`)
	})

	t.Run("DirectoryEntry", func(t *testing.T) {
		t.Parallel()
		z, err := plugin.NewZip("r.zip")
		require.NoError(t, err)
		defer z.Close()
		_, err = z.Create("labels/")
		require.NoError(t, err)
		w, err := z.Create("labels/a.txt")
		require.NoError(t, err)
		_, err = io.WriteString(w, "a")
		require.NoError(t, err)
		resp, err := z.Response()
		require.NoError(t, err)
		defer resp.File.(io.Closer).Close()
		data, err := io.ReadAll(resp.File)
		require.NoError(t, err)
		require.Equal(t, map[string][]byte{"labels/": {}, "labels/a.txt": []byte("a")}, plugintest.ZipEntries(t, data))
	})

	t.Run("CloseRemovesEveryTempFile", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		var files []string
		_, err := plugin.RunLocal(context.Background(), func(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
			z, err := req.NewZip("")
			if err != nil {
				return nil, err
			}
			w, err := z.Create("a.txt")
			if err != nil {
				return nil, err
			}
			if _, err := io.WriteString(w, "a"); err != nil {
				return nil, err
			}
			if err := z.Close(); err != nil {
				return nil, err
			}
			err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					files = append(files, path)
				}
				return err
			})
			return nil, err
		}, plugin.LocalOptions{Export: testExport, Out: t.TempDir(), TempDir: dir, LogOutput: io.Discard})
		require.ErrorIs(t, err, plugin.ErrNoResponse)
		require.Empty(t, files, "the zip and its central directory spool are removed")
	})

	t.Run("ManyEntriesOpenEverywhere", func(t *testing.T) {
		t.Parallel()
		// More entries than a zip without zip64 records can count.
		const n = 70000
		z, err := plugin.NewZip("many.zip")
		require.NoError(t, err)
		defer z.Close()
		for i := range n {
			w, err := z.Create(fmt.Sprintf("%06d-asset.json", i))
			require.NoError(t, err)
			_, err = fmt.Fprintf(w, "{\"n\": %d}\n", i)
			require.NoError(t, err)
		}
		resp, err := z.Response()
		require.NoError(t, err)
		defer resp.File.(io.Closer).Close()
		path := filepath.Join(t.TempDir(), "many.zip")
		out, err := os.Create(path)
		require.NoError(t, err)
		_, err = io.Copy(out, resp.File)
		require.NoError(t, err)
		require.NoError(t, out.Close())

		zr, err := zip.OpenReader(path)
		require.NoError(t, err)
		defer zr.Close()
		require.Len(t, zr.File, n)
		last, err := zr.File[n-1].Open()
		require.NoError(t, err)
		b, err := io.ReadAll(last)
		require.NoError(t, err)
		require.Equal(t, "{\"n\": 69999}\n", string(b))

		unzip := lookTool(t, "unzip")
		got, err := exec.Command(unzip, "-tq", path).CombinedOutput()
		require.NoError(t, err, "unzip -t: %s", got)
		require.Contains(t, string(got), "No errors detected")

		python := lookTool(t, "python3")
		script := `import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
print(len(z.namelist()), bad, z.read(z.namelist()[-1]).decode().strip())`
		got, err = exec.Command(python, "-c", script, path).CombinedOutput()
		require.NoError(t, err, "python zipfile: %s", got)
		require.Equal(t, `70000 None {"n": 69999}`, strings.TrimSpace(string(got)))
	})
}

// lookTool finds a command the test needs: missing, it skips the test, or
// fails it when CI=true.
func lookTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not on PATH (CI=true)", name)
		}
		t.Skipf("%s not on PATH", name)
	}
	return path
}
