// Package kitti converts AAF exports to KITTI object detection labels, the
// 2D form used by detection toolkits that read KITTI (e.g. TAO/DIGITS).
//
// The zip holds label_2/<image stem>.txt per image (per annotated frame
// for videos) with one line per object and 15 space-separated fields, as
// in the KITTI object devkit:
//
//		type truncated occluded alpha left top right bottom height width length x y z rotation_y
//
//	  - type: the class name with spaces replaced by "_" (the format splits
//	    on spaces).
//	  - truncated: the fraction of the box outside the image (0 when the
//	    image size is unknown), 2 decimals.
//	  - occluded: 0 (fully visible), as AAF has no such state.
//	  - alpha, the 3D dimensions, location and rotation_y: 0, the convention
//	    of 2D-only KITTI labels.
//	  - left top right bottom: the box in absolute pixels, 0-based, origin
//	    top-left, 2 decimals, clamped to the image when its size is known.
//
// Boxes are written as is; rotated boxes, polygons and segmentations as
// their enclosing box (reported as conversions); points, polylines, ner,
// pdf and spline are not expressible (counted). The image size is optional.
package kitti

import (
	"bufio"
	"context"
	"fmt"
	"iter"
	"strconv"
	"strings"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/convert"
)

// Name is the format's name in Config JSON.
const Name = "kitti"

// Options are the KITTI options: only the common ones. The zero value means
// all defaults.
type Options struct {
	convert.Common
}

// Describe documents the format.
func Describe() convert.Description {
	return convert.Description{
		Name:    Name,
		Summary: "KITTI object labels (2D), label_2/<stem>.txt",
	}
}

// Converter writes KITTI labels. It is safe for concurrent use: each
// Convert call keeps its own state.
type Converter struct {
	o Options
}

// New returns a KITTI converter, or an error naming the bad option.
func New(o Options) (*Converter, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("kitti: %w", err)
	}
	return &Converter{o: o}, nil
}

// Fields returns the parts of an asset the converter reads: tools,
// classifications (for the pages of videos) and metadata.
func (c *Converter) Fields() aaf.Fields {
	return aaf.FieldTools | aaf.FieldClassifications | aaf.FieldMetadata
}

// Name returns "kitti".
func (c *Converter) Name() string { return Name }

// TypeName returns a class name as a KITTI type: spaces and other white
// space become "_".
func TypeName(name string) string {
	return strings.Join(strings.Fields(name), "_")
}

// Convert writes the label files into zw.
func (c *Converter) Convert(ctx context.Context, assets iter.Seq2[*aaf.Asset, error], zw convert.Archive, env *convert.Env) (*convert.Report, error) {
	rep := &convert.Report{Format: Name}
	classes := convert.NewClasses(env.Schema, c.o.Common)
	bw := bufio.NewWriterSize(nil, 16<<10)
	var line []byte
	err := convert.Walk(ctx, assets, env, c.o.Common, rep, func(it *convert.Item) error {
		width, height, sized := it.Asset.Metadata.Size()
		for _, f := range it.Frames {
			w, err := zw.Create("label_2/" + f.Stem + ".txt")
			if err != nil {
				return fmt.Errorf("create label file: %w", err)
			}
			bw.Reset(w)
			for _, t := range f.Tools {
				r, ok := convert.BoxBounds(it, t, "KITTI")
				if !ok {
					continue
				}
				truncated := 0.0
				if sized {
					clamped, moved := r.Clamp(width, height)
					if moved && r.Area() > 0 {
						truncated = 1 - clamped.Area()/r.Area()
						it.Converted("coordinates clamped to the image")
					}
					r = clamped
				}
				if r.Empty() {
					it.Skip(convert.ReasonOutside)
					continue
				}
				cls, ok := classes.Index(t)
				if !ok {
					it.Skip(classes.NotListed(t))
					continue
				}
				if t.Kind != aaf.KindBoundingBox {
					it.Converted(string(t.Kind) + " written as its enclosing box")
				}
				line = append(line[:0], TypeName(classes.Names()[cls])...)
				line = append(line, ' ')
				line = strconv.AppendFloat(line, truncated, 'f', 2, 64)
				line = append(line, " 0 0.00 "...)
				for _, v := range []float64{r.X0, r.Y0, r.X1, r.Y1} {
					line = strconv.AppendFloat(line, v, 'f', 2, 64)
					line = append(line, ' ')
				}
				line = append(line, "0.00 0.00 0.00 0.00 0.00 0.00 0.00\n"...)
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
		return rep, fmt.Errorf("kitti: %w", err)
	}
	rep.Log(ctx, env.Log())
	return rep, nil
}
