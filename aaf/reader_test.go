package aaf_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
)

// sampleFiles lists the good samples and how many assets each holds.
var sampleFiles = map[string]int{
	"image_small.json":     3,
	"image_small.ndjson":   3,
	"legacy_v2_small.json": 1,
	"text_ner_small.json":  1,
	"video_small.json":     1,
}

// readAll reads every asset of data, returning the assets before the first
// error, the error (nil at a clean end) and the warnings.
func readAll(t testing.TB, r io.Reader, opts ...aaf.ReaderOption) ([]*aaf.Asset, error, []*aaf.Error) {
	t.Helper()
	var warnings []*aaf.Error
	opts = append(opts, aaf.WithWarnings(func(e *aaf.Error) { warnings = append(warnings, e) }))
	var assets []*aaf.Asset
	for a, err := range aaf.Assets(r, opts...) {
		if err != nil {
			return assets, err, warnings
		}
		assets = append(assets, a)
	}
	return assets, nil, warnings
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestReader_Next_Samples(t *testing.T) {
	t.Parallel()
	for name, want := range sampleFiles {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data := readFile(t, name)
			assets, err, _ := readAll(t, bytes.NewReader(data))
			require.NoError(t, err)
			require.Len(t, assets, want)

			// The same through a reader that returns one byte at a time,
			// which moves every buffer boundary.
			again, err, _ := readAll(t, iotest.OneByteReader(bytes.NewReader(data)))
			require.NoError(t, err)
			require.Equal(t, assets, again)
		})
	}
}

func TestReader_Format(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		input string
		want  aaf.Format
		n     int
	}{
		{"JSONArray", readString(t, "image_small.json"), aaf.FormatJSON, 3},
		{"NDJSON", readString(t, "image_small.ndjson"), aaf.FormatNDJSON, 3},
		{"EmptyArray", " [ ] \n", aaf.FormatJSON, 0},
		{"EmptyInput", "", aaf.FormatNDJSON, 0},
		{"BlankLines", "\n \r\n\t\n", aaf.FormatNDJSON, 0},
		{"NDJSONBlankLinesBetween", "\n" + minimal("a") + "\n\n  \r\n" + minimal("b") + "\r\n\n", aaf.FormatNDJSON, 2},
		{"NDJSONNoFinalNewline", minimal("a") + "\n" + minimal("b"), aaf.FormatNDJSON, 2},
		{"ByteOrderMark", "\xef\xbb\xbf[" + minimal("a") + "]", aaf.FormatJSON, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := aaf.NewReader(strings.NewReader(tc.input))
			n := 0
			for {
				_, err := r.Next()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				n++
			}
			require.Equal(t, tc.n, n)
			require.Equal(t, tc.want, r.Format())
			_, err := r.Next()
			require.ErrorIs(t, err, io.EOF, "Next after the end keeps returning io.EOF")
		})
	}
}

func readString(t testing.TB, name string) string { return string(readFile(t, name)) }

// minimal returns a valid one-line v3 asset named ext.
func minimal(ext string) string {
	return `{"asset":"https://x/` + ext + `","externalId":"` + ext + `","task":{"tools":[],"classifications":[],"relations":[]}}`
}

func TestReader_LineOffset(t *testing.T) {
	t.Parallel()
	input := "\n" + minimal("a") + "\n\n" + minimal("b") + "\n"
	r := aaf.NewReader(strings.NewReader(input), aaf.WithRaw())
	a, err := r.Next()
	require.NoError(t, err)
	require.Equal(t, 2, r.Line())
	require.Equal(t, int64(1), r.Offset())
	require.Equal(t, minimal("a"), string(a.Raw()))
	b, err := r.Next()
	require.NoError(t, err)
	require.Equal(t, 4, r.Line())
	require.Equal(t, int64(1+len(minimal("a"))+2), r.Offset())
	require.Equal(t, minimal("b"), string(b.Raw()))
	require.Equal(t, 2, r.Index())

	arr := "[\n  " + minimal("a") + ",\n  " + minimal("b") + "\n]\n"
	r = aaf.NewReader(strings.NewReader(arr), aaf.WithRaw())
	_, err = r.Next()
	require.NoError(t, err)
	b, err = r.Next()
	require.NoError(t, err)
	require.Equal(t, 3, r.Line())
	require.Equal(t, int64(strings.Index(arr, minimal("b"))), r.Offset())
	require.Equal(t, minimal("b"), string(b.Raw()))
	require.Nil(t, (&aaf.Asset{}).Raw(), "no raw bytes without WithRaw")
}

func TestReader_All_StopsAfterFirstError(t *testing.T) {
	t.Parallel()
	var got []string
	var errs []error
	for a, err := range aaf.Assets(bytes.NewReader(readFile(t, "malformed/broken_line.ndjson"))) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, a.ExternalID)
	}
	require.Equal(t, []string{"nd-1.jpg"}, got, "the asset before the broken line is yielded")
	require.Len(t, errs, 1, "iteration stops at the first error")
	require.EqualError(t, errs[0], "asset[1] line 2: invalid JSON: unexpected end of input")
}

func TestReader_Next_Malformed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file  string
		want  string
		kind  error
		index int
		path  string
	}{
		{"truncated.json", `asset[0] line 20: invalid JSON: unexpected end of input`, aaf.ErrSyntax, 0, ""},
		{"bbox_wrong_type.json", `asset[0] ("bbox-array.jpg") line 13: task.tools[0]."bounding-box" (objectId "bad-obj-bbox"): bounding box must be an object with numeric x, y, width, height; got array`, aaf.ErrInvalid, 0, `task.tools[0]."bounding-box"`},
		{"polygon_odd_coords.json", `asset[0] ("poly-odd.jpg") line 13: task.tools[0].polygon[1] (objectId "bad-obj-poly-odd"): vertex must be [x, y] (2 numbers), got 1 value`, aaf.ErrInvalid, 0, "task.tools[0].polygon[1]"},
		{"polygon_non_numeric.json", `asset[0] ("poly-text.jpg") line 13: task.tools[0].polygon[2][0] (objectId "bad-obj-poly-text"): coordinate must be a number, got string "200.5"`, aaf.ErrInvalid, 0, "task.tools[0].polygon[2][0]"},
		{"broken_line.ndjson", `asset[1] line 2: invalid JSON: unexpected end of input`, aaf.ErrSyntax, 1, ""},
		{"missing_task.json", `asset[1] ("no-task.jpg") line 16: missing "task" (and no legacy "tasks")`, aaf.ErrInvalid, 1, ""},
		{"huge_number.json", `asset[0] ("huge.jpg") line 13: task.tools[0]."bounding-box".width (objectId "bad-obj-huge"): number 1e999 out of range (not a finite float64)`, aaf.ErrInvalid, 0, `task.tools[0]."bounding-box".width`},
		{"duplicate_object_id.json", `asset[0] ("dup.jpg") line 19: task.tools[1]: duplicate objectId "dup-obj-1" (also at task.tools[0])`, aaf.ErrInvalid, 0, "task.tools[1]"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			_, err, _ := readAll(t, bytes.NewReader(readFile(t, "malformed/"+tc.file)))
			require.EqualError(t, err, tc.want)
			require.ErrorIs(t, err, tc.kind)
			var ae *aaf.Error
			require.True(t, errors.As(err, &ae))
			require.Equal(t, tc.index, ae.Index)
			require.Equal(t, tc.path, ae.Path)
		})
	}
}

func TestReader_ReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire")
	r := aaf.NewReader(io.MultiReader(strings.NewReader("["+minimal("a")+","), iotest.ErrReader(boom)))
	_, err := r.Next()
	require.NoError(t, err)
	_, err = r.Next()
	require.ErrorIs(t, err, boom)
	require.ErrorContains(t, err, "read aaf input: disk on fire")
}

func TestReader_LongLine(t *testing.T) {
	t.Parallel()
	// A line far beyond bufio.Scanner's 64 KiB default.
	long := strings.Repeat("x", 300<<10)
	line := `{"externalId":"long.txt","contextData":{"text":"` + long + `"},"task":{}}`
	assets, err, _ := readAll(t, strings.NewReader(minimal("a")+"\n"+line+"\n"+minimal("b")+"\n"))
	require.NoError(t, err)
	require.Len(t, assets, 3)
	require.Contains(t, string(assets[1].ContextData), long)
}

func TestReader_MaxAssetSize(t *testing.T) {
	t.Parallel()
	big := `{"externalId":"big.jpg","contextData":{"text":"` + strings.Repeat("y", 5000) + `"},"task":{}}`
	for _, tc := range []struct {
		name, input, want string
	}{
		{"NDJSON", minimal("a") + "\n" + big + "\n", "asset[1] line 2: asset is larger than the limit of 4096 bytes"},
		{"JSONArray", "[\n" + minimal("a") + ",\n" + big + "\n]", "asset[1] line 3: asset is larger than the limit of 4096 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assets, err, _ := readAll(t, strings.NewReader(tc.input), aaf.WithMaxAssetSize(4096))
			require.Len(t, assets, 1)
			require.EqualError(t, err, tc.want)
			require.ErrorIs(t, err, aaf.ErrTooLarge)
		})
	}
}
