// Package formatstest helps test the built-in converters: it runs a
// converter on an AAF file into an in-memory zip, compares the files with
// golden copies (regenerated with `go test -update`), and checks outputs
// against the published COCO and YOLO structure rules.
package formatstest

import (
	"archive/zip"
	"bytes"
	"context"
	"flag"
	"image/png"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/convert"
	"github.com/exporthub/exporthub/internal/zipstream"
)

var update = flag.Bool("update", false, "rewrite the golden files of formats tests")

// Update reports whether the -update flag was given.
func Update() bool { return *update }

// Converter is what the helpers run; every format's *Converter fits.
type Converter interface {
	Convert(ctx context.Context, assets iter.Seq2[*aaf.Asset, error], zw convert.Archive, env *convert.Env) (*convert.Report, error)
}

// Result is the output of one conversion.
type Result struct {
	// Files maps zip entry names to their content.
	Files map[string][]byte
	// Names lists the entry names in zip order.
	Names []string
	// Report is the converter's report.
	Report *convert.Report
}

// InputPath returns the path of a shared AAF test input of
// formats/testdata/aaf, from a format package's directory.
func InputPath(name string) string {
	return filepath.Join("..", "testdata", "aaf", name)
}

// Assets returns an iterator over the assets of an AAF file.
func Assets(t testing.TB, path string) iter.Seq2[*aaf.Asset, error] {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return aaf.NewReader(f).All()
}

// Env returns an Env whose logger writes to t.Log and whose temp dir is
// t.TempDir().
func Env(t testing.TB) *convert.Env {
	t.Helper()
	return &convert.Env{Logger: slog.New(slog.NewTextHandler(tWriter{t}, nil)), TempDir: t.TempDir()}
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Run converts assets with c into a zipstream archive in memory and reads
// it back with archive/zip. It fails t on any error.
func Run(t testing.TB, c Converter, assets iter.Seq2[*aaf.Asset, error], env *convert.Env) Result {
	t.Helper()
	var buf bytes.Buffer
	zw := zipstream.NewWriter(&buf, zipstream.Options{TempDir: env.TempDir})
	rep, err := c.Convert(context.Background(), assets, zw, env)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	res := Result{Files: map[string][]byte{}, Report: rep}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		require.NotContains(t, res.Files, f.Name, "duplicate zip entry")
		res.Files[f.Name] = b
		res.Names = append(res.Names, f.Name)
	}
	RequireBalanced(t, rep)
	return res
}

// RunInput is Run on the shared input file name (see InputPath) with a
// fresh Env.
func RunInput(t testing.TB, c Converter, name string) Result {
	t.Helper()
	return Run(t, c, Assets(t, InputPath(name)), Env(t))
}

// RequireBalanced checks that every object of the written assets is either
// written or counted under a skip reason.
func RequireBalanced(t testing.TB, rep *convert.Report) {
	t.Helper()
	require.Equal(t, rep.Objects, rep.ObjectsWritten+rep.SkippedObjectCount(),
		"objects %d != written %d + skipped %d: %s", rep.Objects, rep.ObjectsWritten, rep.SkippedObjectCount(), rep)
}

// ReportFile is the golden file holding the report's String().
const ReportFile = "report.txt"

// Golden compares res (its files plus report.txt) with the directory dir,
// file by file, or rewrites dir when -update is set. Extra or missing files
// fail the test. PNG files are compared as the images they decode to
// (type, size, palette and pixels), not as compressed bytes.
func Golden(t testing.TB, dir string, res Result) {
	t.Helper()
	files := make(map[string][]byte, len(res.Files)+1)
	for k, v := range res.Files {
		files[k] = v
	}
	files[ReportFile] = []byte(res.Report.String() + "\n")
	if *update {
		require.NoError(t, os.RemoveAll(dir))
		for name, data := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, data, 0o644))
		}
		return
	}
	var want []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		want = append(want, filepath.ToSlash(rel))
		return err
	})
	require.NoError(t, err, "golden directory %s (run go test -update to create it)", dir)
	got := make([]string, 0, len(files))
	for name := range files {
		got = append(got, name)
	}
	slices.Sort(got)
	slices.Sort(want)
	require.Equal(t, want, got, "files of %s", dir)
	for _, name := range want {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		require.NoError(t, err)
		if strings.HasSuffix(name, ".png") {
			// The image, not its compressed bytes: what a reader sees.
			want, err := png.Decode(bytes.NewReader(data))
			require.NoError(t, err, "golden %s/%s", dir, name)
			got, err := png.Decode(bytes.NewReader(files[name]))
			require.NoError(t, err, "%s/%s is not a valid PNG", dir, name)
			require.True(t, reflect.DeepEqual(want, got), "%s/%s: the image differs from the golden file's (run go test -update and review)", dir, name)
			continue
		}
		require.Equal(t, string(data), string(files[name]), "%s/%s differs from the golden file (run go test -update and review)", dir, name)
	}
}

// GeneratedOptions are the generator options of the golden tests on
// generated data: a few mixed assets (images, a video, a text, a legacy
// image) with a short video.
var GeneratedOptions = aaf.GenOptions{Assets: 6, Seed: 42, Kind: aaf.AssetKindMixed, NoHistory: true, Frames: 30, Tools: 4}

// Generated returns the assets generated with o (as an iterator that never
// fails) and the category schema they use.
func Generated(o aaf.GenOptions) (iter.Seq2[*aaf.Asset, error], aaf.CategorySchema) {
	return func(yield func(*aaf.Asset, error) bool) {
		for a := range aaf.GenerateAssets(o) {
			if !yield(a, nil) {
				return
			}
		}
	}, aaf.GenSchema(o)
}
