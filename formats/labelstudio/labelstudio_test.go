package labelstudio_test

import (
	"encoding/json"
	"encoding/xml"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/formats/formatstest"
	"github.com/exporthub/exporthub/formats/labelstudio"
)

func TestConverter_Convert(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name, input string
		opts        labelstudio.Options
	}{
		{"image-small", "image_small.json", labelstudio.Options{}},
		{"video-small", "video_small.json", labelstudio.Options{}},
		{"text-ner-small", "text_ner_small.json", labelstudio.Options{}},
		{"edge-cases-image-root", "edge_cases.json", labelstudio.Options{ImageRoot: "/data/local-files/?d=images/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := labelstudio.New(tc.opts)
			require.NoError(t, err)
			res := formatstest.RunInput(t, c, tc.input)
			requireConsistent(t, res.Files)
			formatstest.Golden(t, filepath.Join("testdata", tc.name), res)
		})
	}

	t.Run("GeneratedGolden", func(t *testing.T) {
		t.Parallel()
		c, err := labelstudio.New(labelstudio.Options{})
		require.NoError(t, err)
		assets, schema := formatstest.Generated(formatstest.GeneratedOptions)
		env := formatstest.Env(t)
		env.Schema = schema
		res := formatstest.Run(t, c, assets, env)
		requireConsistent(t, res.Files)
		formatstest.Golden(t, filepath.Join("testdata", "generated"), res)
	})
	t.Run("VideoTrackEndsWhereInterpolationStopped", func(t *testing.T) {
		t.Parallel()
		c, err := labelstudio.New(labelstudio.Options{})
		require.NoError(t, err)
		res := formatstest.RunInput(t, c, "video_small.json")
		var tasks []labelstudio.Task
		require.NoError(t, json.Unmarshal(res.Files[labelstudio.TasksFile], &tasks))
		require.Len(t, tasks, 1)
		ped := tasks[0].Annotations[0].Result[0]
		require.Equal(t, "vid-obj-ped-1", ped.ID)
		seq := ped.Value["sequence"].([]any)
		require.Len(t, seq, 2, "keyframes 0 and 15; the stop at 30 is not drawn")
		last := seq[1].(map[string]any)
		require.EqualValues(t, 16, last["frame"])
		require.Equal(t, false, last["enabled"], "the track ends after frame 16 (page 15)")
	})

	t.Run("TasksNumberedFromOne", func(t *testing.T) {
		t.Parallel()
		c, err := labelstudio.New(labelstudio.Options{})
		require.NoError(t, err)
		assets, schema := formatstest.Generated(formatstest.GeneratedOptions)
		env := formatstest.Env(t)
		env.Schema = schema
		res := formatstest.Run(t, c, assets, env)
		var tasks []map[string]any
		require.NoError(t, json.Unmarshal(res.Files[labelstudio.TasksFile], &tasks))
		require.NotEmpty(t, tasks)
		for i, task := range tasks {
			require.EqualValues(t, i+1, task["id"], "task %d: Label Studio's converter needs every task's id", i+1)
		}
	})

	t.Run("RectanglesInPercent", func(t *testing.T) {
		t.Parallel()
		c, err := labelstudio.New(labelstudio.Options{})
		require.NoError(t, err)
		res := formatstest.RunInput(t, c, "image_small.json")
		var tasks []labelstudio.Task
		require.NoError(t, json.Unmarshal(res.Files[labelstudio.TasksFile], &tasks))
		car := tasks[0].Annotations[0].Result[0]
		require.Equal(t, "rectanglelabels", car.Type)
		// street-001.jpg is 1280x720; the car box is x 100.5, y 200.25, 320 x 180.
		require.InDelta(t, 100.5/1280*100, car.Value["x"], 1e-6)
		require.InDelta(t, 200.25/720*100, car.Value["y"], 1e-6)
		require.InDelta(t, 25.0, car.Value["width"], 1e-6)
		require.InDelta(t, 25.0, car.Value["height"], 1e-6)
		require.EqualValues(t, 1280, car.OriginalWidth)
	})
}

// requireConsistent checks that every result names a control and an
// object tag declared in labeling_config.xml, and that every label used
// is declared under its control.
func requireConsistent(t *testing.T, files map[string][]byte) {
	t.Helper()
	var tasks []labelstudio.Task
	require.NoError(t, json.Unmarshal(files[labelstudio.TasksFile], &tasks))
	var view struct {
		Tags []struct {
			XMLName xml.Name
			Name    string `xml:"name,attr"`
			ToName  string `xml:"toName,attr"`
			Labels  []struct {
				Value string `xml:"value,attr"`
			} `xml:"Label"`
		} `xml:",any"`
	}
	require.NoError(t, xml.Unmarshal(files[labelstudio.ConfigFile], &view))
	tags := map[string]map[string]bool{}
	labels := map[string]bool{}
	for _, tag := range view.Tags {
		tags[tag.Name] = map[string]bool{}
		for _, l := range tag.Labels {
			tags[tag.Name][l.Value] = true
			labels[l.Value] = true
		}
	}
	for _, task := range tasks {
		require.Len(t, task.Annotations, 1)
		for _, r := range task.Annotations[0].Result {
			if r.Type == "relation" {
				require.NotEmpty(t, r.FromID)
				continue
			}
			require.Contains(t, tags, r.FromName, "control of %s", r.Type)
			require.Contains(t, tags, r.ToName, "object tag of %s", r.Type)
			for _, key := range []string{"rectanglelabels", "polygonlabels", "keypointlabels", "labels"} {
				if v, ok := r.Value[key]; ok {
					for _, l := range v.([]any) {
						require.True(t, labels[l.(string)], "label %q not declared", l)
					}
				}
			}
		}
	}
}
