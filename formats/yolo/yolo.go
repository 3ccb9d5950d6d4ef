// Package yolo converts AAF exports to YOLO label files (the Ultralytics
// layout) for detection, instance segmentation and oriented boxes.
//
// The zip holds labels/<image stem>.txt per image (per annotated frame for
// videos: labels/<stem>_<frame 6 digits>.txt) and data.yaml with the class
// names in class index order (see [convert.Classes]). Put the images in
// images/ next to labels/ with the same stems and point the trainer at
// data.yaml. An image without objects gets an empty file (a background
// image).
//
// Every value is normalised by the image size from the asset's metadata
// (an asset without width/height is skipped and reported) and clamped to
// [0, 1]; 6 decimals. Line formats per task:
//
//	detect:  class cx cy w h
//	segment: class x1 y1 x2 y2 ... (at least 3 points)
//	obb:     class x1 y1 x2 y2 x3 y3 x4 y4 (corners in drawing order)
//
// What each task writes:
//   - detect: boxes as is; rotated boxes, polygons and segmentations as
//     their enclosing box (reported as conversions).
//   - segment: polygons as is; boxes and rotated boxes as their 4 corners;
//     one line per segmentation zone, holes filled (reported).
//   - obb: rotated boxes by their corners; boxes by their corners (angle 0);
//     polygons and segmentations as their enclosing axis-aligned box
//     (reported).
//   - points, polylines, ner, pdf, spline: not expressible, counted.
package yolo

import (
	"bufio"
	"context"
	"fmt"
	"iter"
	"strconv"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/convert"
	"github.com/exporthub/exporthub/formats/geom"
)

// Name is the format's name in Config JSON.
const Name = "yolo"

// Values of the "task" option.
const (
	TaskDetect  = "detect"
	TaskSegment = "segment"
	TaskOBB     = "obb"
)

// Options are the YOLO options. The zero value means all defaults.
type Options struct {
	convert.Common
	// Task is the label type: TaskDetect, TaskSegment or TaskOBB.
	// Defaults to TaskDetect.
	Task string `json:"task"`
}

// Describe documents the format and its own options.
func Describe() convert.Description {
	return convert.Description{
		Name:    Name,
		Summary: "YOLO (Ultralytics) labels/*.txt, normalized, with data.yaml",
		Options: []convert.OptionDoc{
			{Name: "task", Type: "string", Default: `"detect"`, Doc: `"detect": class cx cy w h; "segment": class x1 y1 ...; "obb": class x1 y1 ... x4 y4`},
		},
	}
}

// Converter writes YOLO labels. It is safe for concurrent use: each
// Convert call keeps its own state.
type Converter struct {
	o Options
}

// New returns a YOLO converter, or an error naming the bad option.
func New(o Options) (*Converter, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("yolo: %w", err)
	}
	switch o.Task {
	case "":
		o.Task = TaskDetect
	case TaskDetect, TaskSegment, TaskOBB:
	default:
		return nil, fmt.Errorf("yolo: option %q must be %q, %q or %q, got %q", "task", TaskDetect, TaskSegment, TaskOBB, o.Task)
	}
	return &Converter{o: o}, nil
}

// Fields returns the parts of an asset the converter reads: tools,
// classifications (for the pages of videos) and metadata.
func (c *Converter) Fields() aaf.Fields {
	return aaf.FieldTools | aaf.FieldClassifications | aaf.FieldMetadata
}

// Name returns "yolo".
func (c *Converter) Name() string { return Name }

// Convert writes the label files and data.yaml into zw.
func (c *Converter) Convert(ctx context.Context, assets iter.Seq2[*aaf.Asset, error], zw convert.Archive, env *convert.Env) (*convert.Report, error) {
	rep := &convert.Report{Format: Name}
	classes := convert.NewClasses(env.Schema, c.o.Common)
	var line []byte
	bw := bufio.NewWriterSize(nil, 16<<10)
	err := convert.Walk(ctx, assets, env, c.o.Common, rep, func(it *convert.Item) error {
		width, height, err := it.Size("YOLO")
		if err != nil {
			return err
		}
		for _, f := range it.Frames {
			w, err := zw.Create("labels/" + f.Stem + ".txt")
			if err != nil {
				return fmt.Errorf("create label file: %w", err)
			}
			bw.Reset(w)
			for _, t := range f.Tools {
				line = line[:0]
				var lines [][]float64
				switch c.o.Task {
				case TaskSegment:
					lines = segmentLines(it, t, width, height)
				case TaskOBB:
					lines = obbLines(it, t, width, height)
				default:
					lines = detectLines(it, t, width, height)
				}
				if lines == nil {
					continue
				}
				cls, ok := classes.Index(t)
				if !ok {
					it.Skip(classes.NotListed(t))
					continue
				}
				for _, vals := range lines {
					line = strconv.AppendInt(line, int64(cls), 10)
					for _, v := range vals {
						line = append(line, ' ')
						line = strconv.AppendFloat(line, v, 'f', 6, 64)
					}
					line = append(line, '\n')
				}
				bw.Write(line)
				it.Wrote(1)
			}
			if err := bw.Flush(); err != nil {
				return fmt.Errorf("write label file: %w", err)
			}
			it.Image()
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("yolo: %w", err)
	}
	if err := writeDataYAML(zw, c.o.Task, classes.Names()); err != nil {
		return rep, fmt.Errorf("yolo: %w", err)
	}
	rep.Log(ctx, env.Log())
	return rep, nil
}

// detectLines returns the "cx cy w h" values of an object, or nil after
// recording why it has none.
func detectLines(it *convert.Item, t *aaf.Tool, width, height float64) [][]float64 {
	r, ok := convert.BoxBounds(it, t, "YOLO detection")
	if !ok {
		return nil
	}
	r, moved := r.Clamp(width, height)
	if r.Empty() {
		it.Skip(convert.ReasonOutside)
		return nil
	}
	if moved {
		it.Converted("coordinates clamped to the image")
	}
	if t.Kind != aaf.KindBoundingBox {
		it.Converted(string(t.Kind) + " written as its enclosing box")
	}
	return [][]float64{{(r.X0 + r.X1) / 2 / width, (r.Y0 + r.Y1) / 2 / height, r.W() / width, r.H() / height}}
}

// segmentLines returns one "x1 y1 x2 y2 ..." polygon per line of an
// object, or nil after recording why it has none.
func segmentLines(it *convert.Item, t *aaf.Tool, width, height float64) [][]float64 {
	var rings [][]aaf.Point
	switch t.Kind {
	case aaf.KindBoundingBox:
		if t.BoundingBox == nil {
			it.Skip(convert.NoGeometry(t))
			return nil
		}
		c := geom.FromBox(*t.BoundingBox).Corners()
		rings = [][]aaf.Point{c[:]}
	case aaf.KindRotatedBoundingBox:
		if t.RotatedBox == nil {
			it.Skip(convert.NoGeometry(t))
			return nil
		}
		c := geom.RotatedCorners(t.RotatedBox)
		rings = [][]aaf.Point{c[:]}
	case aaf.KindPolygon, aaf.KindSegmentation:
		if rings = convert.PolygonRings(it, t, "YOLO"); rings == nil {
			return nil
		}
	default:
		it.Skip(convert.NotExpressible(t.Kind, "YOLO segmentation"))
		return nil
	}
	var out [][]float64
	moved := false
	for _, ring := range rings {
		pts, m := geom.ClampPoints(ring, width, height)
		if r, _ := geom.Bounds(pts); r.Empty() {
			continue
		}
		moved = moved || m
		out = append(out, normalize(pts, width, height))
	}
	if out == nil {
		it.Skip(convert.ReasonOutside)
		return nil
	}
	if moved {
		it.Converted("coordinates clamped to the image")
	}
	return out
}

// obbLines returns the 4 corners of an object's oriented box, or nil after
// recording why it has none.
func obbLines(it *convert.Item, t *aaf.Tool, width, height float64) [][]float64 {
	var corners [4]aaf.Point
	switch t.Kind {
	case aaf.KindRotatedBoundingBox:
		if t.RotatedBox == nil {
			it.Skip(convert.NoGeometry(t))
			return nil
		}
		corners = geom.RotatedCorners(t.RotatedBox)
	case aaf.KindBoundingBox, aaf.KindPolygon, aaf.KindSegmentation:
		if t.Kind == aaf.KindPolygon && len(t.Polygon) < 3 {
			it.Skip(convert.ReasonShortPolygon)
			return nil
		}
		r, ok := geom.ToolBounds(t)
		if !ok {
			it.Skip(convert.NoGeometry(t))
			return nil
		}
		if t.Kind != aaf.KindBoundingBox {
			it.Converted(string(t.Kind) + " written as its enclosing axis-aligned box")
		}
		corners = r.Corners()
	default:
		it.Skip(convert.NotExpressible(t.Kind, "YOLO OBB"))
		return nil
	}
	pts, moved := geom.ClampPoints(corners[:], width, height)
	if r, _ := geom.Bounds(pts); r.Empty() {
		it.Skip(convert.ReasonOutside)
		return nil
	}
	if moved {
		it.Converted("coordinates clamped to the image")
	}
	return [][]float64{normalize(pts, width, height)}
}

func normalize(pts []aaf.Point, width, height float64) []float64 {
	out := make([]float64, 0, 2*len(pts))
	for _, p := range pts {
		out = append(out, p[0]/width, p[1]/height)
	}
	return out
}

// writeDataYAML writes data.yaml: the dataset root, the image folders and
// the class names by index. Names are JSON strings, which YAML reads as
// double-quoted scalars.
func writeDataYAML(zw convert.Archive, task string, names []string) error {
	w, err := zw.Create("data.yaml")
	if err != nil {
		return fmt.Errorf("create data.yaml: %w", err)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# YOLO %s dataset written by exporthub.\n", task)
	fmt.Fprintf(bw, "# Put the images in images/ with the same stems as labels/*.txt.\n")
	fmt.Fprintf(bw, "path: .\ntrain: images\nval: images\nnc: %d\nnames:", len(names))
	if len(names) == 0 {
		bw.WriteString(" {}")
	}
	bw.WriteString("\n")
	for i, name := range names {
		q, err := convert.MarshalJSON(name)
		if err != nil {
			return fmt.Errorf("quote class name: %w", err)
		}
		fmt.Fprintf(bw, "  %d: %s\n", i, q)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write data.yaml: %w", err)
	}
	return nil
}
