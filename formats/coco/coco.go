// Package coco converts AAF exports to COCO object detection and instance
// segmentation JSON (the format of the COCO dataset's instances_*.json).
//
// The output is one file, annotations.json, with "info", "licenses",
// "images", "annotations" and "categories". It is streamed: images are
// written as assets arrive while annotations are spooled to a temporary
// file and copied in after them, so memory does not grow with the export.
//
// Rules:
//   - images: one per image asset, one per annotated frame or page of a
//     video or multi-page asset; width and height come from the asset's
//     metadata (an asset without them is skipped and reported); ids count
//     from 1 in output order.
//   - categories: one per class in [convert.Classes] order; id = index + 1.
//   - annotations: bbox [x, y, width, height] in absolute pixels, origin
//     top-left, clamped to the image; area in square pixels; iscrowd 0;
//     segmentation a list of polygons [x1, y1, x2, y2, ...] (empty for
//     boxes). Nested classifications become "attributes" (title paths
//     joined by "/"), task classifications become the image's "attributes".
//   - bounding-box: bbox. rotated-bounding-box: its 4 corners as polygon and
//     their enclosing bbox. polygon: as is. segmentation: one polygon per
//     zone; COCO polygons cannot hold holes, so holes are filled (reported)
//     unless "segmentation" is "rle", which writes uncompressed RLE.
//   - polyline, point, ner, pdf, spline: not expressible, counted.
package coco

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"math"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/convert"
	"github.com/exporthub/exporthub/formats/geom"
	"github.com/exporthub/exporthub/formats/raster"
)

// Name is the format's name in Config JSON.
const Name = "coco"

// FileName is the name of the JSON file inside the zip.
const FileName = "annotations.json"

// Values of the "segmentation" option.
const (
	// SegmentationPolygon writes segmentations as polygons (holes filled).
	SegmentationPolygon = "polygon"
	// SegmentationRLE writes segmentations as uncompressed RLE masks,
	// which keep holes.
	SegmentationRLE = "rle"
)

// MaxRLEPixels bounds the image size for RLE masks.
const MaxRLEPixels = 1 << 26

// Options are the COCO options. The zero value means all defaults.
type Options struct {
	convert.Common
	// Segmentation is how segmentation objects are written:
	// SegmentationPolygon or SegmentationRLE. Defaults to
	// SegmentationPolygon.
	Segmentation string `json:"segmentation"`
}

// Describe documents the format and its own options.
func Describe() convert.Description {
	return convert.Description{
		Name:    Name,
		Summary: "COCO detection + segmentation JSON (annotations.json)",
		Options: []convert.OptionDoc{
			{Name: "segmentation", Type: "string", Default: `"polygon"`, Doc: `"polygon": one polygon per zone, holes filled; "rle": uncompressed RLE masks that keep holes`},
		},
	}
}

// Converter writes COCO JSON. It is safe for concurrent use: each Convert
// call keeps its own state.
type Converter struct {
	o Options
}

// New returns a COCO converter, or an error naming the bad option.
func New(o Options) (*Converter, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("coco: %w", err)
	}
	switch o.Segmentation {
	case "", SegmentationPolygon, SegmentationRLE:
	default:
		return nil, fmt.Errorf("coco: option %q must be %q or %q, got %q", "segmentation", SegmentationPolygon, SegmentationRLE, o.Segmentation)
	}
	return &Converter{o: o}, nil
}

// Name returns "coco".
func (c *Converter) Name() string { return Name }

type image struct {
	ID         int           `json:"id"`
	FileName   string        `json:"file_name"`
	Width      float64       `json:"width"`
	Height     float64       `json:"height"`
	ExternalID string        `json:"external_id"`
	AssetID    string        `json:"asset_id,omitempty"`
	Frame      *int          `json:"frame,omitempty"`
	Attributes convert.Attrs `json:"attributes,omitempty"`
}

type annotation struct {
	ID           int           `json:"id"`
	ImageID      int           `json:"image_id"`
	CategoryID   int           `json:"category_id"`
	Segmentation any           `json:"segmentation"`
	Area         float64       `json:"area"`
	BBox         [4]float64    `json:"bbox"`
	IsCrowd      int           `json:"iscrowd"`
	ObjectID     string        `json:"object_id,omitempty"`
	Attributes   convert.Attrs `json:"attributes,omitempty"`
}

type category struct {
	ID            int    `json:"id"`
	Name          string `json:"name"`
	Supercategory string `json:"supercategory"`
}

// RLE is an uncompressed COCO run-length mask: counts alternate background
// and object runs over the pixels in column-major order, starting with
// background.
type RLE struct {
	Counts []int  `json:"counts"`
	Size   [2]int `json:"size"` // height, width
}

// run is the state of one Convert call.
type run struct {
	o       Options
	classes *convert.Classes
	images  *jsonArray
	anns    *jsonArray
	imageN  int
	annN    int
	fill    raster.Filler
	mask    []bool
}

// Convert writes annotations.json for the assets into zw.
func (c *Converter) Convert(ctx context.Context, assets iter.Seq2[*aaf.Asset, error], zw convert.Archive, env *convert.Env) (*convert.Report, error) {
	rep := &convert.Report{Format: Name}
	spool, err := convert.NewSpool(env.TempDir)
	if err != nil {
		return nil, fmt.Errorf("coco: %w", err)
	}
	defer spool.Close()
	w, err := zw.Create(FileName)
	if err != nil {
		return nil, fmt.Errorf("coco: create %s: %w", FileName, err)
	}
	out := bufio.NewWriterSize(w, 64<<10)
	r := &run{o: c.o, classes: convert.NewClasses(env.Schema, c.o.Common), images: newJSONArray(out), anns: newJSONArray(spool)}
	description := "COCO export by exporthub"
	if env.ProjectID != "" {
		description += " of project " + env.ProjectID
	}
	info, err := json.Marshal(map[string]string{
		"description": description,
		"version":     "1.0",
		"contributor": "exporthub",
	})
	if err != nil {
		return nil, fmt.Errorf("coco: %w", err)
	}
	fmt.Fprintf(out, "{\"info\":%s,\"licenses\":[],\"images\":[\n", info)
	if err := convert.Walk(ctx, assets, env, c.o.Common, rep, r.asset); err != nil {
		return rep, fmt.Errorf("coco: %w", err)
	}
	out.WriteString("],\"annotations\":[\n")
	if err := spool.CopyTo(out); err != nil {
		return rep, fmt.Errorf("coco: %w", err)
	}
	out.WriteString("],\"categories\":[\n")
	cats := newJSONArray(out)
	for i, name := range r.classes.Names() {
		if err := cats.add(category{ID: i + 1, Name: name}); err != nil {
			return rep, fmt.Errorf("coco: write categories: %w", err)
		}
	}
	out.WriteString("]}\n")
	if err := out.Flush(); err != nil {
		return rep, fmt.Errorf("coco: write %s: %w", FileName, err)
	}
	rep.Log(ctx, env.Log())
	return rep, nil
}

// jsonArray writes the elements of a JSON array one per line.
type jsonArray struct {
	w   io.Writer
	enc *json.Encoder
	n   int
}

func newJSONArray(w io.Writer) *jsonArray {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonArray{w: w, enc: enc}
}

// add writes v, preceded by a comma unless it is the first element.
func (a *jsonArray) add(v any) error {
	if a.n > 0 {
		if _, err := io.WriteString(a.w, ","); err != nil {
			return err
		}
	}
	a.n++
	return a.enc.Encode(v)
}

// asset writes the images of one asset and spools their annotations.
func (r *run) asset(it *convert.Item) error {
	width, height, err := it.Size("COCO")
	if err != nil {
		return err
	}
	for _, f := range it.Frames {
		r.imageN++
		img := image{ID: r.imageN, FileName: f.Name, Width: width, Height: height,
			ExternalID: it.Asset.ExternalID, AssetID: it.Asset.AssetID, Attributes: convert.Flatten(f.Classifications)}
		if f.Index >= 0 {
			img.Frame = &f.Index
		}
		if err := r.images.add(img); err != nil {
			return fmt.Errorf("write image: %w", err)
		}
		it.Image()
		for _, t := range f.Tools {
			if err := r.tool(it, t, width, height); err != nil {
				return err
			}
		}
	}
	return nil
}

// tool spools the annotation of one object, or records why it has none.
func (r *run) tool(it *convert.Item, t *aaf.Tool, width, height float64) error {
	var (
		seg   any = [][]float64{}
		box   geom.Rect
		area  float64
		moved bool
	)
	switch t.Kind {
	case aaf.KindBoundingBox:
		if t.BoundingBox == nil {
			it.Skip(convert.NoGeometry(t))
			return nil
		}
		box, moved = geom.FromBox(*t.BoundingBox).Clamp(width, height)
		area = box.Area()
	case aaf.KindRotatedBoundingBox:
		if t.RotatedBox == nil {
			it.Skip(convert.NoGeometry(t))
			return nil
		}
		c := geom.RotatedCorners(t.RotatedBox)
		var pts []aaf.Point
		pts, moved = geom.ClampPoints(c[:], width, height)
		box, _ = geom.Bounds(pts)
		seg, area = [][]float64{flat(pts)}, geom.RingArea(pts)
		it.Converted("rotated-bounding-box written as a 4-point polygon with its enclosing bbox")
	case aaf.KindPolygon:
		if len(t.Polygon) < 3 {
			it.Skip(convert.ReasonShortPolygon)
			return nil
		}
		var pts []aaf.Point
		pts, moved = geom.ClampPoints(t.Polygon, width, height)
		box, _ = geom.Bounds(pts)
		seg, area = [][]float64{flat(pts)}, geom.RingArea(pts)
	case aaf.KindSegmentation:
		var ok bool
		seg, box, area, moved, ok = r.segmentation(it, t, width, height)
		if !ok {
			return nil
		}
	default:
		it.Skip(convert.NotExpressible(t.Kind, "COCO"))
		return nil
	}
	if box.Empty() {
		it.Skip(convert.ReasonOutside)
		return nil
	}
	cls, ok := r.classes.Index(t)
	if !ok {
		it.Skip(r.classes.NotListed(t))
		return nil
	}
	if moved {
		it.Converted("coordinates clamped to the image")
	}
	r.annN++
	ann := annotation{
		ID: r.annN, ImageID: r.imageN, CategoryID: cls + 1, Segmentation: seg, Area: geom.Round(area),
		BBox:     [4]float64{geom.Round(box.X0), geom.Round(box.Y0), geom.Round(box.W()), geom.Round(box.H())},
		ObjectID: t.ObjectID, Attributes: convert.Flatten(t.Classifications),
	}
	if err := r.anns.add(ann); err != nil {
		return fmt.Errorf("spool annotation: %w", err)
	}
	it.Wrote(1)
	return nil
}

// segmentation returns the COCO segmentation of a segmentation object: its
// zones as polygons, or an RLE mask with the "rle" option.
func (r *run) segmentation(it *convert.Item, t *aaf.Tool, width, height float64) (seg any, box geom.Rect, area float64, moved, ok bool) {
	var zones []aaf.Zone
	if t.Segmentation != nil {
		for _, z := range t.Segmentation.Zones {
			if len(z.Region) >= 3 {
				zones = append(zones, z)
			}
		}
	}
	if len(zones) == 0 {
		it.Skip(convert.ReasonNoZones)
		return nil, box, 0, false, false
	}
	holes := false
	for _, z := range zones {
		holes = holes || len(z.Holes) > 0
	}
	if r.o.Segmentation == SegmentationRLE {
		rle, box, area, ok := r.rle(zones, width, height)
		if !ok {
			it.Skip(fmt.Sprintf("segmentation on an image larger than %d pixels (RLE)", MaxRLEPixels))
			return nil, box, 0, false, false
		}
		return rle, box, area, false, true
	}
	polys := make([][]float64, 0, len(zones))
	regions := make([][]aaf.Point, 0, len(zones))
	for _, z := range zones {
		pts, m := geom.ClampPoints(z.Region, width, height)
		moved = moved || m
		polys = append(polys, flat(pts))
		regions = append(regions, pts)
		area += geom.RingArea(pts)
	}
	box, _ = geom.Bounds(regions...)
	if holes {
		it.Converted(`segmentation holes filled (COCO polygons cannot hold holes; option "segmentation": "rle" keeps them)`)
	}
	return polys, box, area, moved, true
}

// rle renders zones (with holes, even-odd) into a mask of the image and
// returns its column-major uncompressed RLE, the mask's bounding box and
// its area in pixels. Work outside the painted box is done in bulk, so the
// cost follows the object's size plus the image width, not the image area.
func (r *run) rle(zones []aaf.Zone, width, height float64) (*RLE, geom.Rect, float64, bool) {
	w, h := int(math.Round(width)), int(math.Round(height))
	if w*h > MaxRLEPixels {
		return nil, geom.Rect{}, 0, false
	}
	if len(r.mask) < w*h {
		r.mask = make([]bool, w*h)
	}
	mask := r.mask[:w*h]
	x0, y0, x1, y1 := w, h, 0, 0 // painted box, half-open
	for _, z := range zones {
		rings := append([][]aaf.Point{z.Region}, z.Holes...)
		r.fill.Fill(w, h, func(y, a, b int) {
			row := mask[y*w : (y+1)*w]
			for x := a; x < b; x++ {
				row[x] = true
			}
			x0, x1, y0, y1 = min(x0, a), max(x1, b), min(y0, y), max(y1, y+1)
		}, rings...)
	}
	if x0 >= x1 {
		return &RLE{Counts: []int{w * h}, Size: [2]int{h, w}}, geom.Rect{}, 0, true
	}
	counts := make([]int, 0, 2*(x1-x0)+2)
	area, run, cur := 0, 0, false
	add := func(v bool, n int) {
		if n == 0 {
			return
		}
		if v != cur {
			counts = append(counts, run)
			run, cur = 0, v
		}
		run += n
	}
	add(false, x0*h) // whole columns left of the box
	for x := x0; x < x1; x++ {
		add(false, y0) // above the box
		for y := y0; y < y1; y++ {
			i := y*w + x
			v := mask[i]
			add(v, 1)
			if v {
				area++
				mask[i] = false // leave the buffer clean for the next object
			}
		}
		add(false, h-y1) // below the box
	}
	add(false, (w-x1)*h) // whole columns right of the box
	counts = append(counts, run)
	box := geom.Rect{X0: float64(x0), Y0: float64(y0), X1: float64(x1), Y1: float64(y1)}
	return &RLE{Counts: counts, Size: [2]int{h, w}}, box, float64(area), true
}

// flat returns points as [x1, y1, x2, y2, ...].
func flat(pts []aaf.Point) []float64 {
	out := make([]float64, 0, 2*len(pts))
	for _, p := range pts {
		out = append(out, geom.Round(p[0]), geom.Round(p[1]))
	}
	return out
}
