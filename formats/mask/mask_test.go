package mask_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"iter"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/formatstest"
	"github.com/exporthub/exporthub/formats/mask"
)

func TestConverter_Convert(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name, input string
		opts        mask.Options
	}{
		{"image-small", "image_small.json", mask.Options{Mask: mask.KindSemantic}},
		{"edge-cases", "edge_cases.json", mask.Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := mask.New(tc.opts)
			require.NoError(t, err)
			res := formatstest.RunInput(t, c, tc.input)
			formatstest.Golden(t, filepath.Join("testdata", tc.name), res)
		})
	}

	t.Run("GeneratedGolden", func(t *testing.T) {
		t.Parallel()
		c, err := mask.New(mask.Options{})
		require.NoError(t, err)
		assets, schema := formatstest.Generated(aaf.GenOptions{Assets: 1, Seed: 42, Kind: aaf.AssetKindVideo, NoHistory: true, Frames: 10})
		env := formatstest.Env(t)
		env.Schema = schema
		res := formatstest.Run(t, c, assets, env)

		formatstest.Golden(t, filepath.Join("testdata", "generated"), res)
	})
	t.Run("PixelsFollowShapesAndHoles", func(t *testing.T) {
		t.Parallel()
		c, err := mask.New(mask.Options{})
		require.NoError(t, err)
		res := formatstest.RunInput(t, c, "edge_cases.json")
		var legend mask.Legend
		require.NoError(t, json.Unmarshal(res.Files["legend.json"], &legend))
		value := map[string]int{}
		for _, cl := range legend.Classes {
			value[cl.Name] = cl.Value
		}
		sem := decode(t, res.Files["semantic/edge.png"])
		require.Equal(t, image.Pt(100, 50), sem.Bounds().Size())
		for _, tc := range []struct {
			x, y int
			want string
		}{
			{45, 25, "Road"},            // in the ring
			{65, 25, ""},                // in its hole
			{20, 20, `Road "sign" <b>`}, // the square polygon
			{55, 25, "Car"},             // negative box (x 40-60, y 10-40) seen through the hole
			{45, 12, "Road"},            // the ring, drawn later, covers the box
			{95, 5, "Car"},              // box clamped at the top right
			{99, 49, ""},                // background
			{10, 10, `Road "sign" <b>`}, // top-left pixel of the square (centre inside)
			{30, 20, ""},                // first pixel right of the square
		} {
			require.Equal(t, value[tc.want], gray(sem, tc.x, tc.y), "pixel (%d,%d) should be %q", tc.x, tc.y, tc.want)
		}
		var inst []mask.Instance
		require.NoError(t, json.Unmarshal(res.Files["instance/edge.json"], &inst))
		ids := map[string]int{}
		for _, in := range inst {
			ids[in.ObjectID] = in.ID
		}
		im := decode(t, res.Files["instance/edge.png"])
		require.Equal(t, ids["e-ring"], gray(im, 45, 25))
		require.Equal(t, ids["e-ring"], gray(im, 45, 12), "later objects cover earlier ones")
		require.Equal(t, ids["e-negative"], gray(im, 55, 25), "holes leave what is below")
		require.Zero(t, gray(im, 65, 25))
	})

	t.Run("SixteenBitWhenValuesExceed255", func(t *testing.T) {
		t.Parallel()
		c, err := mask.New(mask.Options{})
		require.NoError(t, err)
		res := formatstest.Run(t, c, manyBoxes(300), formatstest.Env(t))
		for _, name := range []string{"semantic/many.png", "instance/many.png"} {
			img := decode(t, res.Files[name])
			_, ok := img.(*image.Gray16)
			require.True(t, ok, "%s is %T, want 16-bit gray", name, img)
			require.Equal(t, 300, gray(img, 299, 0), name)
			require.Equal(t, 1, gray(img, 0, 0), name)
			require.Equal(t, 0, gray(img, 0, 1), name)
		}
	})

	t.Run("MissingSizeIsReportedPerAsset", func(t *testing.T) {
		t.Parallel()
		c, err := mask.New(mask.Options{})
		require.NoError(t, err)
		res := formatstest.RunInput(t, c, "edge_cases.json")
		require.Equal(t, `asset 1 ("no-size.jpg"): mask needs metadata.width and metadata.height`, res.Report.Problems[0].String())
	})
}

func TestNew(t *testing.T) {
	t.Parallel()
	_, err := mask.New(mask.Options{Mask: "panoptic"})
	require.EqualError(t, err, `mask: option "mask" must be "semantic", "instance" or "both", got "panoptic"`)
}

// manyBoxes returns one 300x2 image with n one-pixel boxes of n classes
// on its first row.
func manyBoxes(n int) iter.Seq2[*aaf.Asset, error] {
	w, h := float64(n), 2.0
	a := &aaf.Asset{ExternalID: "many.png", Metadata: aaf.Metadata{Width: &w, Height: &h}, Task: &aaf.Task{}}
	for i := range n {
		a.Task.Tools = append(a.Task.Tools, &aaf.Tool{
			ObjectID: fmt.Sprint("o", i), SchemaID: fmt.Sprint("s", i), Title: fmt.Sprint("class ", i),
			Kind: aaf.KindBoundingBox, BoundingBox: &aaf.BoundingBox{X: float64(i), Y: 0, Width: 1, Height: 1},
		})
	}
	return func(yield func(*aaf.Asset, error) bool) { yield(a, nil) }
}

func decode(t *testing.T, data []byte) image.Image {
	t.Helper()
	require.NotNil(t, data)
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	return img
}

// gray returns the stored value of a mask pixel: the palette index of a
// paletted image, the 16-bit value of a Gray16 image.
func gray(img image.Image, x, y int) int {
	switch m := img.(type) {
	case *image.Paletted:
		return int(m.ColorIndexAt(x, y))
	case *image.Gray16:
		return int(m.Gray16At(x, y).Y)
	case *image.Gray:
		return int(m.GrayAt(x, y).Y)
	}
	panic(fmt.Sprintf("unexpected image type %T", img))
}
