package csv_test

import (
	"bytes"
	stdcsv "encoding/csv"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/csv"
	"github.com/exporthub/exporthub/formats/formatstest"
	"github.com/exporthub/exporthub/formats/geom"
)

func TestConverter_Convert(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name, input string
		opts        csv.Options
	}{
		{"image-small", "image_small.json", csv.Options{}},
		{"video-small", "video_small.json", csv.Options{}},
		{"text-ner-small", "text_ner_small.json", csv.Options{}},
		{"legacy-v2-small", "legacy_v2_small.json", csv.Options{}},
		{"edge-cases-semicolon", "edge_cases.json", csv.Options{Delimiter: ";"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := csv.New(tc.opts)
			require.NoError(t, err)
			res := formatstest.RunInput(t, c, tc.input)
			require.Empty(t, res.Report.SkippedObjects["polyline not expressible in CSV"], "CSV writes every kind")
			formatstest.Golden(t, filepath.Join("testdata", tc.name), res)
		})
	}

	t.Run("GeneratedGolden", func(t *testing.T) {
		t.Parallel()
		c, err := csv.New(csv.Options{})
		require.NoError(t, err)
		assets, schema := formatstest.Generated(formatstest.GeneratedOptions)
		env := formatstest.Env(t)
		env.Schema = schema
		res := formatstest.Run(t, c, assets, env)

		formatstest.Golden(t, filepath.Join("testdata", "generated"), res)
	})
	t.Run("RoundTripBoxes", func(t *testing.T) {
		t.Parallel()
		c, err := csv.New(csv.Options{})
		require.NoError(t, err)
		for _, input := range []string{"image_small.json", "video_small.json", "legacy_v2_small.json", "edge_cases.json"} {
			res := formatstest.RunInput(t, c, input)
			rows, err := stdcsv.NewReader(bytes.NewReader(res.Files[csv.FileName])).ReadAll()
			require.NoError(t, err)
			require.Equal(t, csv.Columns, rows[0])
			byObject := map[string][]string{}
			for _, r := range rows[1:] {
				require.Len(t, r, len(csv.Columns))
				byObject[r[4]+"@"+r[3]] = r
			}
			checked := 0
			for a, err := range formatstest.Assets(t, formatstest.InputPath(input)) {
				require.NoError(t, err)
				if a.Task.IsSkipped {
					continue
				}
				for _, tool := range a.Task.Tools {
					if tool.Kind != aaf.KindBoundingBox || tool.InterpolationStopped {
						continue
					}
					frame := ""
					if tool.Page != nil {
						frame = strconv.Itoa(*tool.Page)
					}
					r, ok := byObject[tool.ObjectID+"@"+frame]
					require.True(t, ok, "%s: row of %s", input, tool.ObjectID)
					want := geom.FromBox(*tool.BoundingBox)
					got := make([]float64, 4)
					for k := range got {
						got[k], err = strconv.ParseFloat(r[9+k], 64)
						require.NoError(t, err)
					}
					require.InDeltaSlice(t, []float64{want.X0, want.Y0, want.X1, want.Y1}, got, 1e-6)
					require.Equal(t, tool.Title, r[5])
					checked++
				}
			}
			require.Positive(t, checked, input)
		}
	})
}

func TestNew(t *testing.T) {
	t.Parallel()
	for _, d := range []string{";;", `"`, "\n"} {
		_, err := csv.New(csv.Options{Delimiter: d})
		require.ErrorContains(t, err, `csv: option "delimiter" must be one character other than a quote or line break`)
	}
}
