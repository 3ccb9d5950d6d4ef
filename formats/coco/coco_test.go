package coco_test

import (
	"encoding/json"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/coco"
	"github.com/exporthub/exporthub/formats/convert"
	"github.com/exporthub/exporthub/formats/formatstest"
	"github.com/exporthub/exporthub/formats/geom"
)

func TestConverter_Convert(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name, input string
		opts        coco.Options
	}{
		{"image-small", "image_small.json", coco.Options{}},
		{"image-small-rle", "image_small.json", coco.Options{Segmentation: coco.SegmentationRLE}},
		{"video-small", "video_small.json", coco.Options{}},
		{"legacy-v2-small", "legacy_v2_small.json", coco.Options{}},
		{"text-ner-small", "text_ner_small.json", coco.Options{}},
		{"edge-cases", "edge_cases.json", coco.Options{}},
		{"edge-cases-rle", "edge_cases.json", coco.Options{Segmentation: coco.SegmentationRLE}},
		{"image-small-schema-id-classes", "image_small.json", coco.Options{Common: convert.Common{Categories: convert.CategoriesSchemaID, Classes: []string{"sch-tool-road", "sch-tool-car"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := coco.New(tc.opts)
			require.NoError(t, err)
			res := formatstest.RunInput(t, c, tc.input)
			require.NoError(t, formatstest.ValidateCOCO(res.Files[coco.FileName]))
			formatstest.Golden(t, filepath.Join("testdata", tc.name), res)
		})
	}

	t.Run("GeneratedGolden", func(t *testing.T) {
		t.Parallel()
		c, err := coco.New(coco.Options{})
		require.NoError(t, err)
		assets, schema := formatstest.Generated(formatstest.GeneratedOptions)
		env := formatstest.Env(t)
		env.Schema = schema
		res := formatstest.Run(t, c, assets, env)
		require.NoError(t, formatstest.ValidateCOCO(res.Files[coco.FileName]))
		formatstest.Golden(t, filepath.Join("testdata", "generated"), res)
	})
	t.Run("RoundTripBoxes", func(t *testing.T) {
		t.Parallel()
		for _, input := range []string{"image_small.json", "video_small.json", "legacy_v2_small.json", "edge_cases.json"} {
			c, err := coco.New(coco.Options{})
			require.NoError(t, err)
			res := formatstest.RunInput(t, c, input)
			var doc struct {
				Annotations []struct {
					ObjectID string     `json:"object_id"`
					ImageID  int        `json:"image_id"`
					BBox     [4]float64 `json:"bbox"`
				} `json:"annotations"`
			}
			require.NoError(t, json.Unmarshal(res.Files[coco.FileName], &doc))
			got := map[string][4]float64{}
			for _, a := range doc.Annotations {
				got[a.ObjectID+"@"+strconv.Itoa(a.ImageID)] = a.BBox
			}
			checked := 0
			imageID := 0
			for a, err := range formatstest.Assets(t, formatstest.InputPath(input)) {
				require.NoError(t, err)
				w, h, ok := a.Metadata.Size()
				if !ok || a.Task.IsSkipped {
					continue
				}
				frames, _ := convert.SplitFrames(a, "x", "x")
				for _, f := range frames {
					imageID++
					for _, tool := range f.Tools {
						if tool.Kind != aaf.KindBoundingBox {
							continue
						}
						want, _ := geom.FromBox(*tool.BoundingBox).Clamp(w, h)
						bbox, ok := got[tool.ObjectID+"@"+strconv.Itoa(imageID)]
						if want.Empty() {
							require.False(t, ok, "box %s outside the image must be skipped", tool.ObjectID)
							continue
						}
						require.True(t, ok, "box %s missing", tool.ObjectID)
						require.InDeltaSlice(t, []float64{want.X0, want.Y0, want.W(), want.H()}, bbox[:], 1e-6, "box %s", tool.ObjectID)
						checked++
					}
				}
			}
			require.Positive(t, checked, input)
		}
	})

	t.Run("RLEKeepsHoles", func(t *testing.T) {
		t.Parallel()
		c, err := coco.New(coco.Options{Segmentation: coco.SegmentationRLE})
		require.NoError(t, err)
		res := formatstest.RunInput(t, c, "edge_cases.json")
		type annotation struct {
			ObjectID     string          `json:"object_id"`
			Area         float64         `json:"area"`
			BBox         [4]float64      `json:"bbox"`
			Segmentation json.RawMessage `json:"segmentation"`
		}
		var doc struct {
			Annotations []annotation `json:"annotations"`
		}
		require.NoError(t, json.Unmarshal(res.Files[coco.FileName], &doc))
		i := slices.IndexFunc(doc.Annotations, func(a annotation) bool { return a.ObjectID == "e-ring" })
		require.GreaterOrEqual(t, i, 0)
		ring := doc.Annotations[i]
		var rle coco.RLE
		require.NoError(t, json.Unmarshal(ring.Segmentation, &rle))
		require.Equal(t, [2]int{50, 100}, rle.Size)
		// Decode: counts alternate background and object, column-major.
		h, w := rle.Size[0], rle.Size[1]
		mask := make([]bool, w*h)
		pos, v := 0, false
		for _, n := range rle.Counts {
			for k := pos; k < pos+n; k++ {
				mask[(k%h)*w+k/h] = v
			}
			pos, v = pos+n, !v
		}
		require.Equal(t, w*h, pos)
		require.True(t, mask[25*w+45], "pixel (45,25) is in the ring")
		require.False(t, mask[25*w+65], "pixel (65,25) is in the hole")
		require.Equal(t, 50.0*40-30*20, ring.Area)
		require.Equal(t, [4]float64{40, 5, 50, 40}, ring.BBox)
	})

	t.Run("MissingSizeIsReportedPerAsset", func(t *testing.T) {
		t.Parallel()
		c, err := coco.New(coco.Options{})
		require.NoError(t, err)
		res := formatstest.RunInput(t, c, "edge_cases.json")
		require.Equal(t, 1, res.Report.ProblemCount)
		require.Equal(t, `asset 1 ("no-size.jpg"): COCO needs metadata.width and metadata.height`, res.Report.Problems[0].String())
		require.Equal(t, 3, res.Report.AssetsWritten, "the run goes on after the problem")
	})

	t.Run("StrictStopsAtFirstProblem", func(t *testing.T) {
		t.Parallel()
		c, err := coco.New(coco.Options{Common: convert.Common{Strict: true}})
		require.NoError(t, err)
		env := formatstest.Env(t)
		_, err = c.Convert(t.Context(), formatstest.Assets(t, formatstest.InputPath("edge_cases.json")), discard{}, env)
		require.EqualError(t, err, `coco: asset 1 ("no-size.jpg"): COCO needs metadata.width and metadata.height (strict mode stops at the first problem)`)
	})
}

func TestNew(t *testing.T) {
	t.Parallel()
	_, err := coco.New(coco.Options{Segmentation: "mask"})
	require.EqualError(t, err, `coco: option "segmentation" must be "polygon" or "rle", got "mask"`)
	_, err = coco.New(coco.Options{Common: convert.Common{Categories: "name"}})
	require.EqualError(t, err, `coco: option "categories" must be "title" or "schemaId", got "name"`)
}

// discard is an archive that drops everything.
type discard struct{}

func (discard) Create(string) (io.Writer, error) { return io.Discard, nil }
