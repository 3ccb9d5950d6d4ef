package voc_test

import (
	"encoding/xml"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/convert"
	"github.com/exporthub/exporthub/formats/formatstest"
	"github.com/exporthub/exporthub/formats/geom"
	"github.com/exporthub/exporthub/formats/voc"
)

func TestConverter_Convert(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct{ name, input string }{
		{"image-small", "image_small.json"},
		{"video-small", "video_small.json"},
		{"legacy-v2-small", "legacy_v2_small.json"},
		{"edge-cases", "edge_cases.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := voc.New(voc.Options{})
			require.NoError(t, err)
			res := formatstest.RunInput(t, c, tc.input)
			formatstest.Golden(t, filepath.Join("testdata", tc.name), res)
		})
	}

	t.Run("GeneratedGolden", func(t *testing.T) {
		t.Parallel()
		c, err := voc.New(voc.Options{})
		require.NoError(t, err)
		assets, schema := formatstest.Generated(formatstest.GeneratedOptions)
		env := formatstest.Env(t)
		env.Schema = schema
		res := formatstest.Run(t, c, assets, env)

		formatstest.Golden(t, filepath.Join("testdata", "generated"), res)
	})
	t.Run("RoundTripBoxes", func(t *testing.T) {
		t.Parallel()
		for _, input := range []string{"image_small.json", "video_small.json", "legacy_v2_small.json", "edge_cases.json"} {
			c, err := voc.New(voc.Options{})
			require.NoError(t, err)
			res := formatstest.RunInput(t, c, input)
			list := strings.Fields(string(res.Files[voc.ImageSetFile]))
			namer := convert.NewNamer()
			i, checked := -1, 0
			for a, err := range formatstest.Assets(t, formatstest.InputPath(input)) {
				i++
				require.NoError(t, err)
				name, stem, _ := namer.Name(a, i)
				w, h, ok := a.Metadata.Size()
				if !ok || a.Task.IsSkipped {
					continue
				}
				frames, _ := convert.SplitFrames(a, name, stem)
				for _, f := range frames {
					require.Contains(t, list, f.Stem)
					var ann voc.Annotation
					require.NoError(t, xml.Unmarshal(res.Files["Annotations/"+f.Stem+".xml"], &ann))
					require.Equal(t, f.Name, ann.Filename)
					for _, tool := range f.Tools {
						if tool.Kind != aaf.KindBoundingBox {
							continue
						}
						want, clamped := geom.FromBox(*tool.BoundingBox).Clamp(w, h)
						if want.Empty() {
							continue
						}
						found := false
						for _, o := range ann.Objects {
							// Read back: 1-based inclusive pixels -> continuous
							// coordinates; within a pixel of the input.
							got := geom.Rect{X0: float64(o.BndBox.XMin - 1), Y0: float64(o.BndBox.YMin - 1), X1: float64(o.BndBox.XMax), Y1: float64(o.BndBox.YMax)}
							if o.Name == tool.Title && near(got, want, 1) {
								found = true
								require.Equal(t, clamped, o.Truncated == 1, "truncated flag of %s", tool.ObjectID)
							}
						}
						require.True(t, found, "%s: box %s (%v) not in %+v", input, tool.ObjectID, want, ann.Objects)
						checked++
					}
				}
			}
			require.Positive(t, checked, input)
		}
	})

	t.Run("MissingSizeIsReportedPerAsset", func(t *testing.T) {
		t.Parallel()
		c, err := voc.New(voc.Options{})
		require.NoError(t, err)
		res := formatstest.RunInput(t, c, "edge_cases.json")
		require.Equal(t, `asset 1 ("no-size.jpg"): VOC needs metadata.width and metadata.height`, res.Report.Problems[0].String())
	})
}

func TestBoxFromRect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		in        geom.Rect
		want      voc.BndBox
		truncated bool
		ok        bool
	}{
		{"IntegerPixels", geom.Rect{X0: 0, Y0: 0, X1: 10, Y1: 5}, voc.BndBox{XMin: 1, YMin: 1, XMax: 10, YMax: 5}, false, true},
		{"FractionsCoverTouchedPixels", geom.Rect{X0: 2.5, Y0: 1.2, X1: 7.5, Y1: 3.8}, voc.BndBox{XMin: 3, YMin: 2, XMax: 8, YMax: 4}, false, true},
		{"FloatNoise", geom.Rect{X0: 1.9999999999, Y0: 0, X1: 6.0000000001, Y1: 5}, voc.BndBox{XMin: 3, YMin: 1, XMax: 6, YMax: 5}, false, true},
		{"ClampedIsTruncated", geom.Rect{X0: -3, Y0: 2, X1: 30, Y1: 4}, voc.BndBox{XMin: 1, YMin: 3, XMax: 20, YMax: 4}, true, true},
		{"Outside", geom.Rect{X0: 25, Y0: 2, X1: 30, Y1: 4}, voc.BndBox{}, false, false},
		{"ZeroWidth", geom.Rect{X0: 4, Y0: 2, X1: 4, Y1: 4}, voc.BndBox{}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			box, truncated, ok := voc.BoxFromRect(tc.in, 20, 10)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, box)
			require.Equal(t, tc.truncated, truncated)
		})
	}
}

func near(a, b geom.Rect, tol float64) bool {
	d := func(x, y float64) bool { return x-y <= tol && y-x <= tol }
	return d(a.X0, b.X0) && d(a.Y0, b.Y0) && d(a.X1, b.X1) && d(a.Y1, b.Y1)
}
