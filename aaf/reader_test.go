package aaf_test

import (
	"bytes"
	"errors"
	"fmt"
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
			// which moves every buffer boundary, and with workers.
			for _, m := range readerModes {
				again, err, _ := readAll(t, iotest.OneByteReader(bytes.NewReader(data)), m.opts...)
				require.NoError(t, err, m.name)
				require.Equal(t, assets, again, m.name)
			}
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
			for _, m := range readerModes {
				r := aaf.NewReader(strings.NewReader(tc.input), m.opts...)
				n := 0
				for {
					_, err := r.Next()
					if err == io.EOF {
						break
					}
					require.NoError(t, err, m.name)
					n++
				}
				require.Equal(t, tc.n, n, m.name)
				require.Equal(t, tc.want, r.Format(), m.name)
				_, err := r.Next()
				require.ErrorIs(t, err, io.EOF, "%s: Next after the end keeps returning io.EOF", m.name)
			}
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
	for _, m := range readerModes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			testLineOffset(t, m.opts)
		})
	}
}

func testLineOffset(t *testing.T, opts []aaf.ReaderOption) {
	input := "\n" + minimal("a") + "\n\n" + minimal("b") + "\n"
	r := aaf.NewReader(strings.NewReader(input), append(opts, aaf.WithRaw())...)
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
	r = aaf.NewReader(strings.NewReader(arr), append(opts, aaf.WithRaw())...)
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
	require.EqualError(t, errs[0], "asset 2 line 2: invalid JSON: unexpected end of input")
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
		{"truncated.json", `asset 1 line 20: invalid JSON: unexpected end of input`, aaf.ErrSyntax, 0, ""},
		{"bbox_wrong_type.json", `asset 1 ("bbox-array.jpg") line 13: task.tools[0]."bounding-box" (objectId "bad-obj-bbox"): bounding box must be an object with numeric x, y, width, height; got array`, aaf.ErrInvalid, 0, `task.tools[0]."bounding-box"`},
		{"polygon_odd_coords.json", `asset 1 ("poly-odd.jpg") line 13: task.tools[0].polygon[1] (objectId "bad-obj-poly-odd"): vertex must be [x, y] (2 numbers), got 1 value`, aaf.ErrInvalid, 0, "task.tools[0].polygon[1]"},
		{"polygon_non_numeric.json", `asset 1 ("poly-text.jpg") line 13: task.tools[0].polygon[2][0] (objectId "bad-obj-poly-text"): coordinate must be a number, got string "200.5"`, aaf.ErrInvalid, 0, "task.tools[0].polygon[2][0]"},
		{"broken_line.ndjson", `asset 2 line 2: invalid JSON: unexpected end of input`, aaf.ErrSyntax, 1, ""},
		{"missing_task.json", `asset 2 ("no-task.jpg") line 16: missing "task" (and no legacy "tasks")`, aaf.ErrInvalid, 1, ""},
		{"huge_number.json", `asset 1 ("huge.jpg") line 13: task.tools[0]."bounding-box".width (objectId "bad-obj-huge"): number 1e999 out of range (not a finite float64)`, aaf.ErrInvalid, 0, `task.tools[0]."bounding-box".width`},
		{"duplicate_object_id.json", `asset 1 ("dup.jpg") line 19: task.tools[1]: duplicate objectId "dup-obj-1" (also at task.tools[0])`, aaf.ErrInvalid, 0, "task.tools[1]"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			for _, m := range readerModes {
				_, err, _ := readAll(t, bytes.NewReader(readFile(t, "malformed/"+tc.file)), m.opts...)
				require.EqualError(t, err, tc.want, m.name)
				require.ErrorIs(t, err, tc.kind, m.name)
				var ae *aaf.Error
				require.True(t, errors.As(err, &ae), m.name)
				require.Equal(t, tc.index, ae.Index, m.name)
				require.Equal(t, tc.path, ae.Path, m.name)
			}
		})
	}
}

func TestReader_ReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire")
	for _, m := range readerModes {
		r := aaf.NewReader(io.MultiReader(strings.NewReader("["+minimal("a")+","), iotest.ErrReader(boom)), m.opts...)
		_, err := r.Next()
		require.NoError(t, err, m.name)
		_, err = r.Next()
		require.ErrorIs(t, err, boom, m.name)
		require.ErrorContains(t, err, "read aaf input: disk on fire", m.name)
	}
}

func TestReader_LongLine(t *testing.T) {
	t.Parallel()
	// A line far beyond bufio.Scanner's 64 KiB default.
	long := strings.Repeat("x", 300<<10)
	line := `{"externalId":"long.txt","contextData":{"text":"` + long + `"},"task":{}}`
	for _, m := range readerModes {
		assets, err, _ := readAll(t, strings.NewReader(minimal("a")+"\n"+line+"\n"+minimal("b")+"\n"), m.opts...)
		require.NoError(t, err, m.name)
		require.Len(t, assets, 3, m.name)
		require.Contains(t, string(assets[1].ContextData), long, m.name)
	}
}

func TestReader_MaxAssetSize(t *testing.T) {
	t.Parallel()
	big := `{"externalId":"big.jpg","contextData":{"text":"` + strings.Repeat("y", 5000) + `"},"task":{}}`
	for _, tc := range []struct {
		name, input, want string
	}{
		{"NDJSON", minimal("a") + "\n" + big + "\n", "asset 2 line 2: asset is larger than the limit of 4096 bytes"},
		{"JSONArray", "[\n" + minimal("a") + ",\n" + big + "\n]", "asset 2 line 3: asset is larger than the limit of 4096 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, m := range readerModes {
				assets, err, _ := readAll(t, strings.NewReader(tc.input), append(m.opts, aaf.WithMaxAssetSize(4096))...)
				require.Len(t, assets, 1, m.name)
				require.EqualError(t, err, tc.want, m.name)
				require.ErrorIs(t, err, aaf.ErrTooLarge, m.name)
			}
		})
	}
}

// readResults reads r to its end and describes every call to Next: "ok
// EXT" for an asset, the error text for an error. After an error that ends
// the input it checks that Next keeps returning it and that Err returns it.
func readResults(t *testing.T, r *aaf.Reader) []string {
	t.Helper()
	var got []string
	for range 100 {
		a, err := r.Next()
		if err == io.EOF {
			require.NoError(t, r.Err(), "Err after a clean end")
			return got
		}
		if err == nil {
			got = append(got, "ok "+a.ExternalID)
			continue
		}
		got = append(got, err.Error())
		if r.Err() != nil {
			require.Equal(t, err, r.Err())
			_, again := r.Next()
			require.Equal(t, err, again, "Next keeps returning the error that ended the input")
			return got
		}
	}
	t.Fatal("reader did not stop")
	return nil
}

// withBox returns a one-line v3 asset named ext whose only tool has the
// bounding box box (JSON).
func withBox(ext, box string) string {
	return `{"externalId":"` + ext + `","task":{"tools":[{"objectId":"o-` + ext + `","bounding-box":` + box + `}]}}`
}

func TestReader_Next_ContinueOnInvalid(t *testing.T) {
	t.Parallel()
	badBox := withBox("b", "[1,2]")
	noTask := `{"externalId":"d"}`
	oddPoly := `{"externalId":"e","task":{"tools":[{"objectId":"p","polygon":[[1,2],[3]]}]}}`
	big := `{"externalId":"big","contextData":{"text":"` + strings.Repeat("y", 5000) + `"},"task":{}}`
	boxMsg := `task.tools[0]."bounding-box" (objectId "o-b"): bounding box must be an object with numeric x, y, width, height; got array`
	for _, tc := range []struct {
		name  string
		input string
		opts  []aaf.ReaderOption
		want  []string
		err   error // what Err returns at the end (nil: the input was read to its end)
		// stop is the first error without the option when it differs:
		// skipping a non-object element finds its syntax error first.
		stop string
	}{
		{
			name:  "NDJSONSeveralInvalid",
			input: strings.Join([]string{minimal("a"), badBox, minimal("c"), noTask, oddPoly, minimal("f")}, "\n") + "\n",
			want: []string{
				"ok a",
				`asset 2 ("b") line 2: ` + boxMsg,
				"ok c",
				`asset 4 ("d") line 4: missing "task" (and no legacy "tasks")`,
				`asset 5 ("e") line 5: task.tools[0].polygon[1] (objectId "p"): vertex must be [x, y] (2 numbers), got 1 value`,
				"ok f",
			},
		},
		{
			name:  "JSONArraySeveralInvalid",
			input: "[\n  " + strings.Join([]string{minimal("a"), badBox, minimal("c"), noTask, oddPoly, minimal("f")}, ",\n  ") + "\n]\n",
			want: []string{
				"ok a",
				`asset 2 ("b") line 3: ` + boxMsg,
				"ok c",
				`asset 4 ("d") line 5: missing "task" (and no legacy "tasks")`,
				`asset 5 ("e") line 6: task.tools[0].polygon[1] (objectId "p"): vertex must be [x, y] (2 numbers), got 1 value`,
				"ok f",
			},
		},
		{
			name:  "NDJSONSyntaxErrorGoesOn",
			input: minimal("a") + "\n" + badBox + "\n" + `{"externalId":"c","task":{` + "\n\n" + `[1,2]` + "\n" + `}` + "\n" + minimal("f") + "\n",
			want: []string{
				"ok a",
				`asset 2 ("b") line 2: ` + boxMsg,
				"asset 3 line 3: invalid JSON: unexpected end of input",
				"asset 4 line 5: asset must be a JSON object, got an array",
				"asset 5 line 6: invalid JSON: invalid character '}' looking for beginning of value",
				"ok f",
			},
		},
		{
			name:  "JSONArraySyntaxErrorEnds",
			input: "[\n" + minimal("a") + ",\n" + badBox + ",\n" + `{"externalId":"c","task":{"tools":[1,]}}` + ",\n" + minimal("d") + "\n]",
			want: []string{
				"ok a",
				`asset 2 ("b") line 3: ` + boxMsg,
				"asset 3 line 4: invalid JSON: invalid character ']' looking for beginning of value",
			},
			err: aaf.ErrSyntax,
		},
		{
			name:  "JSONArrayBadSeparatorEnds",
			input: "[" + badBox + " " + minimal("b") + "]",
			want: []string{
				`asset 1 ("b") line 1: ` + boxMsg,
				"line 1: invalid JSON: invalid character '{' after array element",
			},
			err: aaf.ErrSyntax,
		},
		{
			name:  "JSONArrayElementsThatAreNotObjectsAreSkipped",
			input: `[` + minimal("a") + `, 5, "x\"]}", [1, {"y": [2]}], null, true, -1.5e3, ` + minimal("g") + `]`,
			want: []string{
				"ok a",
				"asset 2 line 1: asset must be a JSON object, got a number",
				"asset 3 line 1: asset must be a JSON object, got a string",
				"asset 4 line 1: asset must be a JSON object, got an array",
				"asset 5 line 1: asset must be a JSON object, got null",
				"asset 6 line 1: asset must be a JSON object, got a boolean",
				"asset 7 line 1: asset must be a JSON object, got a number",
				"ok g",
			},
		},
		{
			name:  "JSONArrayBrokenElementEnds",
			input: "[\n" + minimal("a") + ",\n[1}, " + minimal("c") + "]",
			want:  []string{"ok a", "asset 2 line 3: invalid JSON: invalid character '}' after array element"},
			err:   aaf.ErrSyntax,
			stop:  "asset 2 line 3: asset must be a JSON object, got an array",
		},
		{
			name:  "JSONArrayUnterminatedStringEnds",
			input: "[" + minimal("a") + `, "abc`,
			want:  []string{"ok a", "asset 2 line 1: invalid JSON: unexpected end of input"},
			err:   aaf.ErrSyntax,
			stop:  "asset 2 line 1: asset must be a JSON object, got a string",
		},
		{
			name:  "JSONArrayMissingBracketAfterInvalid",
			input: "[" + badBox + ", 7",
			want: []string{
				`asset 1 ("b") line 1: ` + boxMsg,
				"asset 2 line 1: asset must be a JSON object, got a number",
				"line 1: invalid JSON: unexpected end of input (missing ']' at the end of the array)",
			},
			err: aaf.ErrSyntax,
		},
		{
			name:  "TooLargeEnds",
			input: minimal("a") + "\n" + badBox + "\n" + big + "\n" + minimal("d") + "\n",
			opts:  []aaf.ReaderOption{aaf.WithMaxAssetSize(4096)},
			want: []string{
				"ok a",
				`asset 2 ("b") line 2: ` + boxMsg,
				"asset 3 line 3: asset is larger than the limit of 4096 bytes",
			},
			err: aaf.ErrTooLarge,
		},
		{
			name:  "TooLargeNonObjectElementEnds",
			input: `[` + badBox + `, "` + strings.Repeat("z", 5000) + `", ` + minimal("c") + `]`,
			opts:  []aaf.ReaderOption{aaf.WithMaxAssetSize(4096)},
			want: []string{
				`asset 1 ("b") line 1: ` + boxMsg,
				"asset 2 line 1: asset is larger than the limit of 4096 bytes",
			},
			err: aaf.ErrTooLarge,
		},
		{
			name:  "DuplicatesAndDanglingRelations",
			input: `{"externalId":"a","task":{"tools":[{"objectId":"x","point":[1,2]},{"objectId":"x","point":[3,4]}]}}` + "\n" + `{"externalId":"b","task":{"relations":[{"objectId":"r","from":"x","to":"gone"}]}}` + "\n",
			want: []string{
				`asset 1 ("a") line 1: task.tools[1]: duplicate objectId "x" (also at task.tools[0])`,
				`asset 2 ("b") line 2: task.relations[0].from (objectId "r"): relation endpoint "x" matches no tool or relation in this snapshot`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, m := range readerModes {
				for _, split := range []bool{false, true} {
					var in io.Reader = strings.NewReader(tc.input)
					if split {
						in = iotest.OneByteReader(in) // moves every buffer boundary
					}
					r := aaf.NewReader(in, append(append(m.opts, tc.opts...), aaf.WithContinueOnInvalid())...)
					require.Equal(t, tc.want, readResults(t, r), "%s, one byte at a time: %v", m.name, split)
					if tc.err == nil {
						require.NoError(t, r.Err())
						require.Equal(t, len(tc.want), r.Index(), "rejected assets count in Index")
					} else {
						require.ErrorIs(t, r.Err(), tc.err)
					}
				}
			}

			// Without the option the reader stops at the first error.
			var first []string
			for _, s := range tc.want {
				first = append(first, s)
				if !strings.HasPrefix(s, "ok ") {
					if tc.stop != "" {
						first[len(first)-1] = tc.stop
					}
					break
				}
			}
			for _, m := range readerModes {
				require.Equal(t, first, readResults(t, aaf.NewReader(strings.NewReader(tc.input), append(m.opts, tc.opts...)...)), m.name)
			}
		})
	}
}

func TestReader_Next_ContinueOnInvalidLocations(t *testing.T) {
	t.Parallel()
	lines := []string{minimal("a"), withBox("b", "[1,2]"), "", `  {"externalId":"c","task":{"tools":[{"objectId":"q","point":[1,"2"]}]}}`}
	input := strings.Join(lines, "\n") + "\n"
	r := aaf.NewReader(strings.NewReader(input), aaf.WithContinueOnInvalid())
	var errs []*aaf.Error
	for a, err := range r.All() {
		if err != nil {
			var ae *aaf.Error
			require.ErrorAs(t, err, &ae)
			require.ErrorIs(t, err, aaf.ErrInvalid)
			errs = append(errs, ae)
			continue
		}
		require.Equal(t, "a", a.ExternalID)
		require.Equal(t, 1, r.Line())
	}
	require.Len(t, errs, 2)
	require.Equal(t, &aaf.Error{Line: 2, Offset: int64(strings.Index(input, "[1,2]")), Index: 1, ExternalID: "b",
		Path: `task.tools[0]."bounding-box"`, ObjectID: "o-b", Err: aaf.ErrInvalid,
		Msg: "bounding box must be an object with numeric x, y, width, height; got array"}, clearUnexported(errs[0]))
	require.Equal(t, &aaf.Error{Line: 4, Offset: int64(strings.Index(input, `"2"`)), Index: 2, ExternalID: "c",
		Path: "task.tools[0].point[1]", ObjectID: "q", Err: aaf.ErrInvalid,
		Msg: `coordinate must be a number, got string "2"`}, clearUnexported(errs[1]))
	require.Equal(t, 3, r.Index())
	require.NoError(t, r.Err())
}

// clearUnexported copies the exported fields of e, so it can be compared
// with a literal.
func clearUnexported(e *aaf.Error) *aaf.Error {
	return &aaf.Error{Line: e.Line, Offset: e.Offset, Index: e.Index, ExternalID: e.ExternalID, Path: e.Path,
		ObjectID: e.ObjectID, Msg: e.Msg, Err: e.Err}
}

func TestReader_All_ContinueOnInvalid(t *testing.T) {
	t.Parallel()
	t.Run("CallerBoundsTheErrors", func(t *testing.T) {
		t.Parallel()
		var lines []string
		for i := range 50 {
			lines = append(lines, withBox(fmt.Sprintf("bad-%d", i), `{"x":1}`))
		}
		const limit = 20
		r := aaf.NewReader(strings.NewReader(strings.Join(lines, "\n")), aaf.WithContinueOnInvalid())
		var errs []error
		for _, err := range r.All() {
			if err != nil {
				errs = append(errs, err)
				if len(errs) == limit {
					break
				}
			}
		}
		require.Len(t, errs, limit)
		require.EqualError(t, errs[limit-1], `asset 20 ("bad-19") line 20: task.tools[0]."bounding-box" (objectId "o-bad-19"): bounding box must be an object with numeric x, y, width, height; "y" is missing`)
		require.Equal(t, limit, r.Index(), "the reader stopped where the caller stopped")
	})
	t.Run("StopsAfterTheErrorThatEndsTheInput", func(t *testing.T) {
		t.Parallel()
		input := "[" + withBox("a", "1") + ",\n" + `{"externalId":"b","task":{]}` + ",\n" + minimal("c") + "]"
		var got []string
		for a, err := range aaf.Assets(strings.NewReader(input), aaf.WithContinueOnInvalid()) {
			if err != nil {
				got = append(got, err.Error())
				continue
			}
			got = append(got, a.ExternalID)
		}
		require.Equal(t, []string{
			`asset 1 ("a") line 1: task.tools[0]."bounding-box" (objectId "o-a"): bounding box must be an object with numeric x, y, width, height; got number 1`,
			"asset 2 line 2: invalid JSON: invalid character ']' looking for beginning of object key string",
		}, got)
	})
	t.Run("ReadErrorEnds", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("disk on fire")
		r := aaf.NewReader(io.MultiReader(strings.NewReader(withBox("a", "[]")+"\n"+minimal("b")+"\n"), iotest.ErrReader(boom)),
			aaf.WithContinueOnInvalid())
		got := readResults(t, r)
		require.Len(t, got, 3)
		require.Equal(t, "ok b", got[1])
		require.Equal(t, "read aaf input: disk on fire", got[2])
		require.ErrorIs(t, r.Err(), boom)
	})
}
