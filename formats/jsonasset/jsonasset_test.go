package jsonasset_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/formats/convert"
	"github.com/exporthub/exporthub/formats/formatstest"
	"github.com/exporthub/exporthub/formats/jsonasset"
)

func TestConverter_Convert(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name, input string
		opts        jsonasset.Options
	}{
		{"image-small", "image_small.json", jsonasset.Options{Indent: true}},
		{"video-small", "video_small.json", jsonasset.Options{Indent: true}},
		{"text-ner-small", "text_ner_small.json", jsonasset.Options{}},
		{"edge-cases", "edge_cases.json", jsonasset.Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := jsonasset.New(tc.opts)
			require.NoError(t, err)
			res := formatstest.RunInput(t, c, tc.input)
			formatstest.Golden(t, filepath.Join("testdata", tc.name), res)
		})
	}

	t.Run("GeneratedGolden", func(t *testing.T) {
		t.Parallel()
		c, err := jsonasset.New(jsonasset.Options{Indent: true})
		require.NoError(t, err)
		assets, schema := formatstest.Generated(formatstest.GeneratedOptions)
		env := formatstest.Env(t)
		env.Schema = schema
		res := formatstest.Run(t, c, assets, env)

		formatstest.Golden(t, filepath.Join("testdata", "generated"), res)
	})
	t.Run("OneFilePerAssetReadsBack", func(t *testing.T) {
		t.Parallel()
		c, err := jsonasset.New(jsonasset.Options{})
		require.NoError(t, err)
		res := formatstest.RunInput(t, c, "edge_cases.json")
		require.Equal(t, []string{"assets/no-size.json", "assets/edge.json", "assets/edge_2.json", "assets/___pages_scan_1.json"}, res.Names)
		var f jsonasset.File
		require.NoError(t, json.Unmarshal(res.Files["assets/edge.json"], &f))
		require.Equal(t, "edge.jpg", f.ExternalID)
		require.Len(t, f.Objects, 9, "every object kind is written")
		require.Equal(t, [4]float64{40, 10, 20, 30}, *f.Objects[0].BBox, "negative box normalised")
	})

	t.Run("SkippedTaskOnlyWithIncludeSkipped", func(t *testing.T) {
		t.Parallel()
		c, err := jsonasset.New(jsonasset.Options{Common: convert.Common{IncludeSkipped: true}})
		require.NoError(t, err)
		res := formatstest.RunInput(t, c, "image_small.json")
		require.Contains(t, res.Files, "assets/street-003.json")
	})
}
