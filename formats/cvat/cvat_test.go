package cvat_test

import (
	"encoding/xml"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/cvat"
	"github.com/exporthub/exporthub/formats/formatstest"
	"github.com/exporthub/exporthub/formats/geom"
)

// doc is the part of a CVAT for images 1.1 file the tests read back.
type doc struct {
	Version string `xml:"version"`
	Labels  []struct {
		Name       string   `xml:"name"`
		Attributes []string `xml:"attributes>attribute>name"`
	} `xml:"meta>task>labels>label"`
	Images []docImage `xml:"image"`
}

type docImage struct {
	ID     int        `xml:"id,attr"`
	Name   string     `xml:"name,attr"`
	Width  int        `xml:"width,attr"`
	Height int        `xml:"height,attr"`
	Shapes []docShape `xml:",any"`
}

type docShape struct {
	XMLName    xml.Name
	Label      string `xml:"label,attr"`
	XTL        string `xml:"xtl,attr"`
	YTL        string `xml:"ytl,attr"`
	XBR        string `xml:"xbr,attr"`
	YBR        string `xml:"ybr,attr"`
	Points     string `xml:"points,attr"`
	Attributes []struct {
		Name string `xml:"name,attr"`
	} `xml:"attribute"`
}

func TestConverter_Convert(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct{ name, input string }{
		{"image-small", "image_small.json"},
		{"video-small", "video_small.json"},
		{"edge-cases", "edge_cases.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := cvat.New(cvat.Options{})
			require.NoError(t, err)
			res := formatstest.RunInput(t, c, tc.input)
			requireStructure(t, res.Files[cvat.FileName])
			formatstest.Golden(t, filepath.Join("testdata", tc.name), res)
		})
	}

	t.Run("GeneratedGolden", func(t *testing.T) {
		t.Parallel()
		c, err := cvat.New(cvat.Options{})
		require.NoError(t, err)
		assets, schema := formatstest.Generated(formatstest.GeneratedOptions)
		env := formatstest.Env(t)
		env.Schema = schema
		res := formatstest.Run(t, c, assets, env)
		requireStructure(t, res.Files[cvat.FileName])
		formatstest.Golden(t, filepath.Join("testdata", "generated"), res)
	})
	t.Run("RoundTripBoxes", func(t *testing.T) {
		t.Parallel()
		c, err := cvat.New(cvat.Options{})
		require.NoError(t, err)
		res := formatstest.RunInput(t, c, "image_small.json")
		var d doc
		require.NoError(t, xml.Unmarshal(res.Files[cvat.FileName], &d))
		checked := 0
		for a, err := range formatstest.Assets(t, formatstest.InputPath("image_small.json")) {
			require.NoError(t, err)
			for _, tool := range a.Task.Tools {
				if tool.Kind != aaf.KindBoundingBox {
					continue
				}
				want := geom.FromBox(*tool.BoundingBox)
				i := slices.IndexFunc(d.Images, func(im docImage) bool {
					return im.Name == a.ExternalID
				})
				require.GreaterOrEqual(t, i, 0)
				s := d.Images[i].Shapes[0]
				require.Equal(t, "box", s.XMLName.Local)
				require.InDeltaSlice(t, []float64{want.X0, want.Y0, want.X1, want.Y1},
					[]float64{num(t, s.XTL), num(t, s.YTL), num(t, s.XBR), num(t, s.YBR)}, 0.005)
				checked++
			}
		}
		require.Positive(t, checked)
	})

	t.Run("MissingSizeIsReportedPerAsset", func(t *testing.T) {
		t.Parallel()
		c, err := cvat.New(cvat.Options{})
		require.NoError(t, err)
		res := formatstest.RunInput(t, c, "edge_cases.json")
		require.Equal(t, `asset 1 ("no-size.jpg"): CVAT needs metadata.width and metadata.height`, res.Report.Problems[0].String())
	})
}

// requireStructure checks what CVAT's importer relies on: version 1.1,
// unique image ids, sizes, shapes whose label and attributes are declared
// in meta, numeric coordinates.
func requireStructure(t *testing.T, data []byte) {
	t.Helper()
	var d doc
	require.NoError(t, xml.Unmarshal(data, &d))
	require.Equal(t, "1.1", d.Version)
	declared := map[string][]string{}
	for _, l := range d.Labels {
		declared[l.Name] = l.Attributes
	}
	for i, img := range d.Images {
		require.Equal(t, i, img.ID)
		require.Positive(t, img.Width)
		require.Positive(t, img.Height)
		for _, s := range img.Shapes {
			attrs, ok := declared[s.Label]
			require.True(t, ok, "label %q not declared in meta", s.Label)
			for _, a := range s.Attributes {
				require.Contains(t, attrs, a.Name)
			}
			switch s.XMLName.Local {
			case "box":
				require.Less(t, num(t, s.XTL), num(t, s.XBR))
				require.Less(t, num(t, s.YTL), num(t, s.YBR))
			case "polygon", "polyline", "points":
				for _, p := range strings.Split(s.Points, ";") {
					xy := strings.Split(p, ",")
					require.Len(t, xy, 2, "point %q", p)
					num(t, xy[0])
					num(t, xy[1])
				}
			default:
				t.Fatalf("unexpected shape %q", s.XMLName.Local)
			}
		}
	}
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err)
	return v
}
