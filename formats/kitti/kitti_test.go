package kitti_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/formats/formatstest"
	"github.com/exporthub/exporthub/formats/kitti"
)

func TestConverter_Convert(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct{ name, input string }{
		{"image-small", "image_small.json"},
		{"video-small", "video_small.json"},
		{"edge-cases", "edge_cases.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := kitti.New(kitti.Options{})
			require.NoError(t, err)
			res := formatstest.RunInput(t, c, tc.input)
			for name, data := range res.Files {
				require.True(t, strings.HasPrefix(name, "label_2/") && strings.HasSuffix(name, ".txt"), name)
				for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
					if line == "" {
						continue
					}
					f := strings.Fields(line)
					require.Len(t, f, 15, "KITTI line %q", line)
					for _, v := range f[1:] {
						_, err := strconv.ParseFloat(v, 64)
						require.NoError(t, err, "field %q of %q", v, line)
					}
					l, _ := strconv.ParseFloat(f[4], 64)
					r, _ := strconv.ParseFloat(f[6], 64)
					require.Less(t, l, r, "left < right in %q", line)
				}
			}
			formatstest.Golden(t, filepath.Join("testdata", tc.name), res)
		})
	}

	t.Run("GeneratedGolden", func(t *testing.T) {
		t.Parallel()
		c, err := kitti.New(kitti.Options{})
		require.NoError(t, err)
		assets, schema := formatstest.Generated(formatstest.GeneratedOptions)
		env := formatstest.Env(t)
		env.Schema = schema
		res := formatstest.Run(t, c, assets, env)

		formatstest.Golden(t, filepath.Join("testdata", "generated"), res)
	})
	t.Run("SizeIsOptional", func(t *testing.T) {
		t.Parallel()
		c, err := kitti.New(kitti.Options{})
		require.NoError(t, err)
		res := formatstest.RunInput(t, c, "edge_cases.json")
		require.Zero(t, res.Report.ProblemCount)
		require.Equal(t, "Car 0.00 0 0.00 10.00 10.00 30.00 30.00 0.00 0.00 0.00 0.00 0.00 0.00 0.00\n", string(res.Files["label_2/no-size.txt"]))
		require.Contains(t, string(res.Files["label_2/edge.txt"]), "Car 0.75 0 0.00 90.00 0.00 100.00 10.00 ", "three quarters of the box were outside")
	})
}

func TestTypeName(t *testing.T) {
	t.Parallel()
	require.Equal(t, "Traffic_light", kitti.TypeName("Traffic light"))
	require.Equal(t, "a_b", kitti.TypeName(" a \t b "))
}
