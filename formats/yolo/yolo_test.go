package yolo_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/convert"
	"github.com/exporthub/exporthub/formats/formatstest"
	"github.com/exporthub/exporthub/formats/geom"
	"github.com/exporthub/exporthub/formats/yolo"
)

func TestConverter_Convert(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name, input string
		opts        yolo.Options
	}{
		{"image-small-detect", "image_small.json", yolo.Options{}},
		{"image-small-segment", "image_small.json", yolo.Options{Task: yolo.TaskSegment}},
		{"image-small-obb", "image_small.json", yolo.Options{Task: yolo.TaskOBB}},
		{"video-small-detect", "video_small.json", yolo.Options{}},
		{"legacy-v2-small-detect", "legacy_v2_small.json", yolo.Options{}},
		{"edge-cases-detect", "edge_cases.json", yolo.Options{}},
		{"edge-cases-segment", "edge_cases.json", yolo.Options{Task: yolo.TaskSegment}},
		{"edge-cases-obb", "edge_cases.json", yolo.Options{Task: yolo.TaskOBB}},
		{"image-small-include-skipped", "image_small.json", yolo.Options{Common: convert.Common{IncludeSkipped: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := yolo.New(tc.opts)
			require.NoError(t, err)
			res := formatstest.RunInput(t, c, tc.input)
			task := tc.opts.Task
			if task == "" {
				task = yolo.TaskDetect
			}
			require.NoError(t, formatstest.ValidateYOLO(res.Files, task))
			formatstest.Golden(t, filepath.Join("testdata", tc.name), res)
		})
	}

	t.Run("GeneratedGolden", func(t *testing.T) {
		t.Parallel()
		c, err := yolo.New(yolo.Options{})
		require.NoError(t, err)
		assets, schema := formatstest.Generated(formatstest.GeneratedOptions)
		env := formatstest.Env(t)
		env.Schema = schema
		res := formatstest.Run(t, c, assets, env)
		require.NoError(t, formatstest.ValidateYOLO(res.Files, formatstest.YOLODetect))
		formatstest.Golden(t, filepath.Join("testdata", "generated"), res)
	})
	t.Run("RoundTripBoxes", func(t *testing.T) {
		t.Parallel()
		for _, input := range []string{"image_small.json", "video_small.json", "legacy_v2_small.json", "edge_cases.json"} {
			c, err := yolo.New(yolo.Options{})
			require.NoError(t, err)
			res := formatstest.RunInput(t, c, input)
			names := dataNames(t, res.Files["data.yaml"])
			checked := 0
			namer := convert.NewNamer()
			i := -1
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
					lines := readLabels(t, res.Files["labels/"+f.Stem+".txt"])
					for _, tool := range f.Tools {
						if tool.Kind != aaf.KindBoundingBox {
							continue
						}
						want, _ := geom.FromBox(*tool.BoundingBox).Clamp(w, h)
						if want.Empty() {
							continue
						}
						found := false
						for _, l := range lines {
							got := geom.Rect{X0: (l.v[0] - l.v[2]/2) * w, Y0: (l.v[1] - l.v[3]/2) * h, X1: (l.v[0] + l.v[2]/2) * w, Y1: (l.v[1] + l.v[3]/2) * h}
							if names[l.class] == tool.Title && near(got, want, 1e-6*max(w, h)+1e-3) {
								found = true
							}
						}
						require.True(t, found, "%s: box %s (%v) not found in %v", input, tool.ObjectID, want, lines)
						checked++
					}
				}
			}
			require.Positive(t, checked, input)
		}
	})

	t.Run("MissingSizeIsReportedPerAsset", func(t *testing.T) {
		t.Parallel()
		c, err := yolo.New(yolo.Options{})
		require.NoError(t, err)
		res := formatstest.RunInput(t, c, "edge_cases.json")
		require.Equal(t, 1, res.Report.ProblemCount)
		require.Equal(t, `asset 1 ("no-size.jpg"): YOLO needs metadata.width and metadata.height`, res.Report.Problems[0].String())
		require.NotContains(t, res.Files, "labels/no-size.txt")
		require.Contains(t, res.Files, "labels/edge_2.txt", "the run goes on after the problem")
	})
}

func TestNew(t *testing.T) {
	t.Parallel()
	_, err := yolo.New(yolo.Options{Task: "pose"})
	require.EqualError(t, err, `yolo: option "task" must be "detect", "segment" or "obb", got "pose"`)
	_, err = yolo.New(yolo.Options{Common: convert.Common{Classes: []string{"Car", "Car"}}})
	require.EqualError(t, err, `yolo: option "classes": "Car" is listed twice`)
}

type label struct {
	class int
	v     []float64
}

func readLabels(t *testing.T, data []byte) []label {
	t.Helper()
	var out []label
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		cls, err := strconv.Atoi(f[0])
		require.NoError(t, err)
		l := label{class: cls}
		for _, s := range f[1:] {
			v, err := strconv.ParseFloat(s, 64)
			require.NoError(t, err)
			l.v = append(l.v, v)
		}
		out = append(out, l)
	}
	return out
}

func dataNames(t *testing.T, data []byte) []string {
	t.Helper()
	var names []string
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.Index(line, ": \""); strings.HasPrefix(line, "  ") && i > 0 {
			n, err := strconv.Unquote(line[i+2:])
			require.NoError(t, err)
			names = append(names, n)
		}
	}
	return names
}

func near(a, b geom.Rect, tol float64) bool {
	d := func(x, y float64) bool { return x-y <= tol && y-x <= tol }
	return d(a.X0, b.X0) && d(a.Y0, b.Y0) && d(a.X1, b.X1) && d(a.Y1, b.Y1)
}
