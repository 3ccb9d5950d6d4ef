package zipstream_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/internal/zipstream"
)

func readAll(t *testing.T, data []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	got := make(map[string]string, len(zr.File))
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc) // checks the CRC at EOF
		require.NoError(t, err, "entry %s", f.Name)
		require.NoError(t, rc.Close())
		got[f.Name] = string(b)
	}
	return got
}

func TestWriter_Create(t *testing.T) {
	t.Parallel()

	t.Run("ReadBackByArchiveZip", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		mod := time.Date(2024, 3, 4, 10, 15, 30, 0, time.UTC)
		zw := zipstream.NewWriter(&buf, zipstream.Options{Modified: mod, TempDir: t.TempDir()})
		want := map[string]string{
			"labels/a.txt":     "0 0.5 0.5 0.1 0.1\n",
			"data.yaml":        "names:\n  0: Car\n",
			"empty.txt":        "",
			"dir/ünïcode.json": `{"k": "v"}`,
			"big.bin":          string(bytes.Repeat([]byte("exporthub "), 100000)),
		}
		for _, name := range []string{"labels/a.txt", "data.yaml", "empty.txt", "dir/ünïcode.json", "big.bin"} {
			w, err := zw.Create(name)
			require.NoError(t, err)
			_, err = io.WriteString(w, want[name])
			require.NoError(t, err)
		}
		w, err := zw.CreateStored("stored.png")
		require.NoError(t, err)
		_, err = w.Write([]byte("\x89PNG not really"))
		require.NoError(t, err)
		want["stored.png"] = "\x89PNG not really"
		require.EqualValues(t, 6, zw.Entries())
		require.NoError(t, zw.Close())

		require.Equal(t, want, readAll(t, buf.Bytes()))
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		require.NoError(t, err)
		require.True(t, zr.File[0].Modified.Equal(mod), "got %v, want %v", zr.File[0].Modified, mod)
		require.Equal(t, zip.Store, zr.File[5].Method)
		require.Equal(t, zip.Deflate, zr.File[0].Method)
	})

	t.Run("ManyEntriesUseZip64End", func(t *testing.T) {
		t.Parallel()
		const n = 70000 // above the 65535 entries a plain end record can count
		var buf bytes.Buffer
		zw := zipstream.NewWriter(&buf, zipstream.Options{TempDir: t.TempDir()})
		for i := range n {
			w, err := zw.Create(fmt.Sprintf("labels/%06d.txt", i))
			require.NoError(t, err)
			_, err = fmt.Fprintf(w, "%d\n", i)
			require.NoError(t, err)
		}
		require.NoError(t, zw.Close())
		got := readAll(t, buf.Bytes())
		require.Len(t, got, n)
		require.Equal(t, "69999\n", got["labels/069999.txt"])
	})

	t.Run("DirectoryEntries", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		zw := zipstream.NewWriter(&buf, zipstream.Options{TempDir: t.TempDir()})
		d, err := zw.Create("labels/")
		require.NoError(t, err)
		_, err = d.Write([]byte("x"))
		require.EqualError(t, err, `zipstream: write to directory entry "labels/"`)
		w, err := zw.Create("labels/a.txt")
		require.NoError(t, err)
		_, err = io.WriteString(w, "a")
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		require.Equal(t, map[string]string{"labels/": "", "labels/a.txt": "a"}, readAll(t, buf.Bytes()))
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		require.NoError(t, err)
		require.True(t, zr.File[0].FileInfo().IsDir(), "got mode %v, want a directory", zr.File[0].Mode())
		require.Equal(t, zip.Store, zr.File[0].Method)
		require.False(t, zr.File[1].FileInfo().IsDir())
	})

	t.Run("EmptyArchive", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		zw := zipstream.NewWriter(&buf, zipstream.Options{})
		require.NoError(t, zw.Close())
		require.Empty(t, readAll(t, buf.Bytes()))
	})

	t.Run("RejectsBadNames", func(t *testing.T) {
		t.Parallel()
		zw := zipstream.NewWriter(io.Discard, zipstream.Options{TempDir: t.TempDir()})
		_, err := zw.Create("")
		require.ErrorContains(t, err, "empty entry name")
		_, err = zw.Create("/etc/passwd")
		require.ErrorContains(t, err, "is absolute")
		_, err = zw.Create("bad\xff.txt")
		require.ErrorContains(t, err, "not UTF-8")
		require.NoError(t, zw.Close())
	})

	t.Run("WriteAfterNextCreateFails", func(t *testing.T) {
		t.Parallel()
		zw := zipstream.NewWriter(io.Discard, zipstream.Options{TempDir: t.TempDir()})
		first, err := zw.Create("a.txt")
		require.NoError(t, err)
		_, err = zw.Create("b.txt")
		require.NoError(t, err)
		_, err = first.Write([]byte("late"))
		require.ErrorContains(t, err, `write to entry "a.txt" after it was finished`)
		require.NoError(t, zw.Close())
	})

	t.Run("CloseTwiceAndCreateAfterClose", func(t *testing.T) {
		t.Parallel()
		zw := zipstream.NewWriter(io.Discard, zipstream.Options{TempDir: t.TempDir()})
		require.NoError(t, zw.Close())
		require.ErrorIs(t, zw.Close(), zipstream.ErrClosed)
		_, err := zw.Create("a.txt")
		require.ErrorIs(t, err, zipstream.ErrClosed)
	})

	t.Run("RemovesSpool", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		zw := zipstream.NewWriter(io.Discard, zipstream.Options{TempDir: dir})
		_, err := zw.Create("a.txt")
		require.NoError(t, err)
		left, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, left, 1, "spool file exists while writing")
		require.NoError(t, zw.Close())
		left, err = os.ReadDir(dir)
		require.NoError(t, err)
		require.Empty(t, left)
	})

	t.Run("AbortRemovesSpool", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		var buf bytes.Buffer
		zw := zipstream.NewWriter(&buf, zipstream.Options{TempDir: dir})
		_, err := zw.Create("a.txt")
		require.NoError(t, err)
		zw.Abort()
		left, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Empty(t, left)
		_, err = zw.Create("b.txt")
		require.ErrorIs(t, err, zipstream.ErrClosed)
		require.ErrorIs(t, zw.Close(), zipstream.ErrClosed)
		zw.Abort()
	})

	t.Run("UnzipAcceptsArchive", func(t *testing.T) {
		t.Parallel()
		unzip, err := exec.LookPath("unzip")
		if err != nil {
			t.Skip("unzip not installed")
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "out.zip")
		f, err := os.Create(path)
		require.NoError(t, err)
		zw := zipstream.NewWriter(f, zipstream.Options{TempDir: dir})
		for i := range 70000 {
			w, err := zw.Create(fmt.Sprintf("l/%d.txt", i))
			require.NoError(t, err)
			_, err = fmt.Fprintf(w, "%d\n", i)
			require.NoError(t, err)
		}
		require.NoError(t, zw.Close())
		require.NoError(t, f.Close())
		out, err := exec.Command(unzip, "-tq", path).CombinedOutput()
		require.NoError(t, err, "unzip -t: %s", out)
	})
}
