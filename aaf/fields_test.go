package aaf_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
)

// generated returns n generated assets of kind as NDJSON.
func generated(t testing.TB, n int, o aaf.GenOptions) []byte {
	t.Helper()
	o.Assets = n
	var buf bytes.Buffer
	require.NoError(t, aaf.Generate(&buf, aaf.FormatNDJSON, o))
	return buf.Bytes()
}

// toolView is what WithFields(FieldTools) promises of a tool.
type toolView struct {
	ObjectID, SchemaID, Title string
	Kind                      aaf.ToolKind
	BoundingBox               *aaf.BoundingBox
	RotatedBox                []aaf.Point
	Polygon, Polyline         []aaf.Point
	Point                     *aaf.Point
	Page                      *int
}

func viewTools(tools []*aaf.Tool) []toolView {
	var out []toolView
	for _, t := range tools {
		v := toolView{ObjectID: t.ObjectID, SchemaID: t.SchemaID, Title: t.Title, Kind: t.Kind, BoundingBox: t.BoundingBox,
			Polygon: t.Polygon, Polyline: t.Polyline, Point: t.Point, Page: t.Page}
		if t.RotatedBox != nil {
			v.RotatedBox = append([]aaf.Point{{t.RotatedBox.X, t.RotatedBox.Y}, {t.RotatedBox.Width, t.RotatedBox.Height}}, t.RotatedBox.Corners...)
		}
		out = append(out, v)
	}
	return out
}

func TestReader_WithFields(t *testing.T) {
	t.Parallel()
	for _, o := range []aaf.GenOptions{
		{Seed: 3, Kind: aaf.AssetKindMixed},
		{Seed: 4, Legacy: true},
		{Seed: 5, Kind: aaf.AssetKindVideo, Frames: 20},
	} {
		t.Run(string(o.Kind)+map[bool]string{true: "-legacy"}[o.Legacy], func(t *testing.T) {
			t.Parallel()
			data := generated(t, 300, o)
			full, err, _ := readAll(t, bytes.NewReader(data), aaf.WithoutValidation())
			require.NoError(t, err)
			for _, workers := range []int{1, 3} {
				got, err, _ := readAll(t, bytes.NewReader(data), aaf.WithoutValidation(), aaf.WithFields(aaf.FieldTools), aaf.WithWorkers(workers))
				require.NoError(t, err)
				require.Len(t, got, len(full))
				for i, a := range got {
					want := full[i]
					require.Equal(t, want.ExternalID, a.ExternalID)
					require.Equal(t, want.Asset, a.Asset)
					require.Equal(t, want.AssetID, a.AssetID)
					require.Equal(t, want.Generation, a.Generation)
					require.Len(t, a.Tasks, len(want.Tasks))
					require.Equal(t, viewTools(want.Task.Tools), viewTools(a.Task.Tools), "asset %d", i)
					require.Nil(t, a.Task.Classifications, "classifications are left out")
					require.Nil(t, a.Task.Relations, "relations are left out")
					require.Nil(t, a.Task.StageHistory, "stage history is left out")
					require.Nil(t, a.Extra, "unknown keys are left out")
					require.Nil(t, a.Batches)
					for _, tool := range a.Task.Tools {
						require.Nil(t, tool.Classifications)
						require.Nil(t, tool.Extra)
					}
				}
			}
			// FieldAll decodes what a reader without the option decodes.
			all, err, _ := readAll(t, bytes.NewReader(data), aaf.WithoutValidation(), aaf.WithFields(aaf.FieldAll))
			require.NoError(t, err)
			require.Equal(t, full, all)
		})
	}
}

// A validating reader ignores WithFields: every part is decoded and
// checked, with the error where it is.
func TestReader_WithFields_Validating(t *testing.T) {
	t.Parallel()
	in := `{"externalId":"a","task":{"tools":[{"objectId":"o1","point":[1,2]}],"relations":[{"objectId":"r","from":"o1","to":"nope"}]}}`
	_, err, _ := readAll(t, strings.NewReader(in), aaf.WithFields(aaf.FieldTools))
	require.ErrorContains(t, err, "nope")

	got, err, _ := readAll(t, strings.NewReader(in), aaf.WithFields(aaf.FieldTools), aaf.WithoutValidation())
	require.NoError(t, err)
	require.Nil(t, got[0].Task.Relations)
}

// Skipped parts are not checked, but a value that breaks the asset still
// fails it, located.
func TestReader_WithFields_Broken(t *testing.T) {
	t.Parallel()
	opts := []aaf.ReaderOption{aaf.WithoutValidation(), aaf.WithFields(aaf.FieldTools)}
	for name, tc := range map[string]struct{ in, want string }{
		"BadValueSkipped": {`{"task":{"tools":[],"classifications":[{"answer":1e999}]}}`, ""},
		"Unterminated":    {`{"task":{"tools":[],"classifications":[{"answer":"x}]}}`, "line 1"},
		"BadTool":         {`{"task":{"tools":[{"objectId":"o","point":[1]}]}}`, "point must be [x, y] (2 numbers), got 1 value"},
		"LegacyThenTask":  {`{"tasks":[{"objects":[{"point":[1,2]}]}],"task":{"tools":[]}}`, ""},
		"LegacyBadTool":   {`{"tasks":[{"objects":[{"point":[1]}]}]}`, "tasks[0].objects[0].point"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err, _ := readAll(t, strings.NewReader(tc.in), opts...)
			if tc.want == "" {
				require.NoError(t, err)
				require.Len(t, got, 1)
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
	// "tasks" before "task": the v3 task wins, as without the option.
	got, err, _ := readAll(t, strings.NewReader(`{"tasks":[{"objects":[{"point":[1,2]}]}],"task":{"tools":[]}}`), opts...)
	require.NoError(t, err)
	require.Equal(t, aaf.GenerationV3, got[0].Generation)
	require.Nil(t, got[0].Tasks)
	require.Empty(t, got[0].Task.Tools)
}

func TestReader_Configure(t *testing.T) {
	t.Parallel()
	data := generated(t, 5, aaf.GenOptions{Seed: 1})
	r := aaf.NewReader(bytes.NewReader(data), aaf.WithoutValidation())
	require.NoError(t, r.Configure(aaf.WithFields(aaf.FieldTools)))
	a, err := r.Next()
	require.NoError(t, err)
	require.NotEmpty(t, a.Task.Tools)
	require.Nil(t, a.Task.Classifications, "the option applies")
	require.ErrorIs(t, r.Configure(aaf.WithFields(aaf.FieldAll)), aaf.ErrStarted)
}

// The generator's legacy shape passes the full validation.
func TestGenerate_Legacy(t *testing.T) {
	t.Parallel()
	got, err, _ := readAll(t, bytes.NewReader(generated(t, 200, aaf.GenOptions{Seed: 9, Legacy: true})))
	require.NoError(t, err)
	for _, a := range got {
		if strings.HasPrefix(a.ExternalID, "img-") {
			require.Equal(t, aaf.GenerationLegacy, a.Generation, a.ExternalID)
			require.NotEmpty(t, a.Tasks)
		}
	}
}
