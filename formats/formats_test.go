package formats_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats"
	"github.com/exporthub/exporthub/formats/coco"
	"github.com/exporthub/exporthub/formats/convert"
	"github.com/exporthub/exporthub/formats/formatstest"
	"github.com/exporthub/exporthub/plugin/plugintest"
)

func TestNew(t *testing.T) {
	t.Parallel()
	valid := strings.Join(formats.Names(), ", ")
	for _, tc := range []struct {
		name, config, want string
	}{
		{"Empty", ``, `formats: invalid config: missing "format" (one of ` + valid + `)`},
		{"NotObject", `["coco"]`, `formats: invalid config: not a JSON object: json: cannot unmarshal array into Go value of type map[string]json.RawMessage`},
		{"Syntax", `{"format": "coco",}`, `formats: invalid config: not a JSON object: invalid character '}' looking for beginning of object key string`},
		{"Trailing", `{"format": "coco"} {}`, `formats: invalid config: unexpected data after the JSON object`},
		{"FormatNotString", `{"format": 3}`, `formats: invalid config: "format" must be a string (one of ` + valid + `), got 3`},
		{"UnknownFormat", `{"format": "tfrecord"}`, `formats: invalid config: unknown format "tfrecord" (one of ` + valid + `)`},
		{"UnknownOption", `{"format": "coco", "catgories": "title"}`, `formats: invalid config: unknown option "catgories" for format "coco" (valid options: categories, classes, includeSkipped, segmentation, strict)`},
		{"OptionOfOtherFormat", `{"format": "voc", "task": "segment"}`, `formats: invalid config: unknown option "task" for format "voc" (valid options: categories, classes, includeSkipped, strict)`},
		{"WrongType", `{"format": "yolo", "strict": "yes"}`, `formats: invalid config: option "strict" of format "yolo" must be a boolean, got "yes"`},
		{"WrongListType", `{"format": "yolo", "classes": "Car"}`, `formats: invalid config: option "classes" of format "yolo" must be an array of strings, got "Car"`},
		{"WrongListItem", `{"format": "yolo", "classes": ["Car", 1]}`, `formats: invalid config: option "classes" of format "yolo" must be an array of strings, got ["Car", 1]`},
		{"BadValue", `{"format": "yolo", "task": "pose"}`, `formats: invalid config: yolo: option "task" must be "detect", "segment" or "obb", got "pose"`},
		{"BadCommonValue", `{"format": "coco", "categories": "name"}`, `formats: invalid config: coco: option "categories" must be "title" or "schemaId", got "name"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := formats.New(tc.config)
			require.ErrorIs(t, err, formats.ErrConfig)
			require.EqualError(t, err, tc.want)
		})
	}

	t.Run("EveryFormatWithDefaults", func(t *testing.T) {
		t.Parallel()
		for _, name := range formats.Names() {
			c, err := formats.New(`{"format": "` + name + `"}`)
			require.NoError(t, err)
			require.Equal(t, name, c.Name())
		}
	})

	t.Run("OptionsReachTheConverter", func(t *testing.T) {
		t.Parallel()
		c, err := formats.New(`{"format": "coco", "categories": "title", "classes": ["Car"], "segmentation": "rle"}`)
		require.NoError(t, err)
		res := formatstest.Run(t, c, formatstest.Assets(t, input), formatstest.Env(t))
		require.Equal(t, 1, res.Report.ObjectsWritten, "only the listed class is written")
	})
}

func TestList(t *testing.T) {
	t.Parallel()
	names := make([]string, 0)
	for _, d := range formats.List() {
		names = append(names, d.Name)
		require.NotEmpty(t, d.Summary, d.Name)
		for _, o := range d.Options {
			require.NotEmpty(t, o.Doc, "%s.%s", d.Name, o.Name)
		}
	}
	require.Equal(t, []string{"coco", "csv", "cvat", "json", "kitti", "labelstudio", "mask", "voc", "yolo"}, names)
	b, err := formats.DescribeJSON()
	require.NoError(t, err)
	require.Contains(t, string(b), `"commonOptions"`)
}

func TestRun(t *testing.T) {
	t.Parallel()

	t.Run("WritesAZip", func(t *testing.T) {
		t.Parallel()
		c, err := formats.New(`{"format": "yolo"}`)
		require.NoError(t, err)
		var buf bytes.Buffer
		rep, err := formats.Run(t.Context(), c, formatstest.Assets(t, input), &buf, formatstest.Env(t))
		require.NoError(t, err)
		require.Equal(t, 3, rep.Assets)
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		require.NoError(t, err)
		require.Len(t, zr.File, 3)
	})

	t.Run("ReadErrorFailsTheRun", func(t *testing.T) {
		t.Parallel()
		c, err := formats.New(`{"format": "csv"}`)
		require.NoError(t, err)
		_, err = formats.Run(t.Context(), c, aaf.NewReader(strings.NewReader(`[{"asset": "a", "externalId": "a.jpg"}]`)).All(), io.Discard, formatstest.Env(t))
		var aerr *aaf.Error
		require.True(t, errors.As(err, &aerr), "got %v", err)
		require.ErrorContains(t, err, `csv: read export: `)
		require.ErrorContains(t, err, `"a.jpg"`)
	})
}

// input is the sample export the registry tests convert.
var input = filepath.Join("testdata", "aaf", "image_small.json")

func TestFileName(t *testing.T) {
	t.Parallel()
	require.Equal(t, "p1-coco.zip", formats.FileName("p1", "coco"))
	require.Equal(t, "export-yolo.zip", formats.FileName("", "yolo"))
	require.Equal(t, "a_b-voc.zip", formats.FileName("a/b", "voc"))
}

// TestGenerated runs every format over generated projects of every asset
// kind (with the schema the generator uses), checks the report balances
// and applies the COCO and YOLO spec validators.
func TestGenerated(t *testing.T) {
	t.Parallel()
	configs := []string{
		`{"format": "coco"}`, `{"format": "coco", "segmentation": "rle"}`,
		`{"format": "yolo"}`, `{"format": "yolo", "task": "segment"}`, `{"format": "yolo", "task": "obb"}`,
		`{"format": "voc"}`, `{"format": "csv"}`, `{"format": "json"}`, `{"format": "cvat"}`,
		`{"format": "labelstudio"}`, `{"format": "kitti"}`, `{"format": "mask", "mask": "semantic"}`,
	}
	for _, kind := range []aaf.AssetKind{aaf.AssetKindImage, aaf.AssetKindVideo, aaf.AssetKindMixed} {
		o := aaf.GenOptions{Assets: 40, Seed: 7, Kind: kind, NoHistory: true, Frames: 60}
		if kind == aaf.AssetKindImage {
			o.Tools = 6
		}
		for _, cfg := range configs {
			t.Run(string(kind)+"/"+cfg, func(t *testing.T) {
				t.Parallel()
				o := o // each subtest adjusts its own copy
				if strings.Contains(cfg, "mask") {
					o.Assets = 3 // full-size PNG encoding is slow under -race
				}
				c, err := formats.New(cfg)
				require.NoError(t, err)
				env := formatstest.Env(t)
				env.Logger = slog.New(slog.DiscardHandler)
				env.Schema = aaf.GenSchema(o)
				res := formatstest.Run(t, c, withErr(aaf.GenerateAssets(o)), env)
				require.Positive(t, res.Report.ObjectsWritten)
				switch c.Name() {
				case coco.Name:
					require.NoError(t, formatstest.ValidateCOCO(res.Files[coco.FileName]))
				case "yolo":
					task := formatstest.YOLODetect
					if strings.Contains(cfg, "segment") {
						task = formatstest.YOLOSegment
					} else if strings.Contains(cfg, "obb") {
						task = formatstest.YOLOOBB
					}
					require.NoError(t, formatstest.ValidateYOLO(res.Files, task))
				}
				if kind != aaf.AssetKindMixed {
					require.Zero(t, res.Report.ProblemCount, "%s", res.Report)
				}
			})
		}
	}
}

func withErr(s func(func(*aaf.Asset) bool)) func(func(*aaf.Asset, error) bool) {
	return func(yield func(*aaf.Asset, error) bool) {
		for a := range s {
			if !yield(a, nil) {
				return
			}
		}
	}
}

var _ convert.Archive = (*zip.Writer)(nil)

func FuzzNew(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `{"format": "coco"}`, `{"format": "yolo", "task": "obb", "classes": ["a", "b"]}`,
		`{"format": "csv", "delimiter": ";"}`, `{"format": 1}`, `[1,2]`, `{"format": "voc", "strict": true, "x": 1}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, config string) {
		c, err := formats.New(config)
		if err != nil {
			require.ErrorIs(t, err, formats.ErrConfig)
			require.Nil(t, c)
			return
		}
		require.Contains(t, formats.Names(), c.Name())
	})
}

// TestFields checks that every format writes the same files from assets
// read with aaf.WithFields(formats.Fields(c)), as the formats plugin reads
// them, as from fully decoded assets.
func TestFields(t *testing.T) {
	t.Parallel()
	var data bytes.Buffer
	o := aaf.GenOptions{Assets: 60, Seed: 11, Kind: aaf.AssetKindMixed, Frames: 12, Tools: 5}
	require.NoError(t, aaf.Generate(&data, aaf.FormatNDJSON, o))
	configs := []string{
		`{"format": "coco"}`, `{"format": "yolo"}`, `{"format": "yolo", "task": "segment"}`, `{"format": "voc"}`,
		`{"format": "csv"}`, `{"format": "json"}`, `{"format": "cvat"}`, `{"format": "labelstudio"}`,
		`{"format": "kitti"}`, `{"format": "mask"}`,
	}
	for _, cfg := range configs {
		t.Run(cfg, func(t *testing.T) {
			t.Parallel()
			c, err := formats.New(cfg)
			require.NoError(t, err)
			run := func(opts ...aaf.ReaderOption) map[string][]byte {
				env := formatstest.Env(t)
				env.Schema = aaf.GenSchema(o)
				var buf bytes.Buffer
				_, err := formats.Run(t.Context(), c, aaf.NewReader(bytes.NewReader(data.Bytes()), opts...).All(), &buf, env)
				require.NoError(t, err)
				return plugintest.ZipEntries(t, buf.Bytes())
			}
			want := run()
			got := run(aaf.WithoutValidation(), aaf.WithFields(formats.Fields(c)))
			require.Equal(t, len(want), len(got))
			for name, w := range want {
				require.True(t, bytes.Equal(w, got[name]), "%s differs when only formats.Fields are decoded", name)
			}
		})
	}
}
