// Package voc converts AAF exports to Pascal VOC detection XML.
//
// The zip holds Annotations/<image stem>.xml per image (per annotated frame
// for videos) and ImageSets/Main/trainval.txt listing the stems. Put the
// images in JPEGImages/.
//
// Coordinates follow the VOC devkit: integer pixel indexes counted from 1,
// xmax/ymax inclusive. An AAF box from x to x+width (continuous pixels,
// origin 0 at the left edge) covers the pixels floor(x) .. ceil(x+width)-1,
// so xmin = floor(x)+1 and xmax = ceil(x+width); likewise for y. Boxes are
// clamped to 1..width and 1..height; a box that had to be cut gets
// <truncated>1</truncated>. The image size comes from the asset's metadata
// (an asset without width/height is skipped and reported); depth is 3.
//
// Boxes are written as is; rotated boxes, polygons and segmentations as
// their enclosing box (reported as conversions); points, polylines, ner,
// pdf and spline are not expressible (counted). Nested classifications are
// written as <attributes><attribute><name/><value/></attribute>, as CVAT
// does; VOC readers ignore them.
package voc

import (
	"bufio"
	"context"
	"encoding/xml"
	"fmt"
	"iter"
	"math"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/convert"
	"github.com/exporthub/exporthub/formats/geom"
)

// Name is the format's name in Config JSON.
const Name = "voc"

// ImageSetFile is the zip path of the list of image stems.
const ImageSetFile = "ImageSets/Main/trainval.txt"

// epsilon absorbs float noise before floor/ceil (419.9999999 is pixel 420).
const epsilon = 1e-6

// Options are the VOC options: only the common ones. The zero value means
// all defaults.
type Options struct {
	convert.Common
}

// Describe documents the format.
func Describe() convert.Description {
	return convert.Description{
		Name:    Name,
		Summary: "Pascal VOC XML, one Annotations/<stem>.xml per image, 1-based pixel boxes",
	}
}

// Converter writes Pascal VOC XML. It is safe for concurrent use: each
// Convert call keeps its own state.
type Converter struct {
	o Options
}

// New returns a VOC converter, or an error naming the bad option.
func New(o Options) (*Converter, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("voc: %w", err)
	}
	return &Converter{o: o}, nil
}

// Name returns "voc".
func (c *Converter) Name() string { return Name }

// Annotation is the root element of a VOC annotation file.
type Annotation struct {
	XMLName   xml.Name `xml:"annotation"`
	Folder    string   `xml:"folder"`
	Filename  string   `xml:"filename"`
	Source    Source   `xml:"source"`
	Size      Size     `xml:"size"`
	Segmented int      `xml:"segmented"`
	Objects   []Object `xml:"object"`
}

// Source names the database the annotation comes from.
type Source struct {
	Database string `xml:"database"`
}

// Size is the image size in pixels.
type Size struct {
	Width  int `xml:"width"`
	Height int `xml:"height"`
	Depth  int `xml:"depth"`
}

// Object is one annotated object.
type Object struct {
	Name       string      `xml:"name"`
	Pose       string      `xml:"pose"`
	Truncated  int         `xml:"truncated"`
	Difficult  int         `xml:"difficult"`
	BndBox     BndBox      `xml:"bndbox"`
	Attributes *Attributes `xml:"attributes,omitempty"`
}

// BndBox is a box in 1-based inclusive pixel indexes.
type BndBox struct {
	XMin int `xml:"xmin"`
	YMin int `xml:"ymin"`
	XMax int `xml:"xmax"`
	YMax int `xml:"ymax"`
}

// Attributes holds an object's flattened classifications.
type Attributes struct {
	Attribute []Attribute `xml:"attribute"`
}

// Attribute is one classification answer.
type Attribute struct {
	Name  string `xml:"name"`
	Value string `xml:"value"`
}

// Convert writes the annotation files and the image set list into zw.
func (c *Converter) Convert(ctx context.Context, assets iter.Seq2[*aaf.Asset, error], zw convert.Archive, env *convert.Env) (*convert.Report, error) {
	rep := &convert.Report{Format: Name}
	classes := convert.NewClasses(env.Schema, c.o.Common)
	list, err := convert.NewSpool(env.TempDir)
	if err != nil {
		return nil, fmt.Errorf("voc: %w", err)
	}
	defer list.Close()
	bw := bufio.NewWriterSize(nil, 16<<10)
	err = convert.Walk(ctx, assets, env, c.o.Common, rep, func(it *convert.Item) error {
		width, height, err := it.Size("VOC")
		if err != nil {
			return err
		}
		for _, f := range it.Frames {
			ann := Annotation{
				Folder: "JPEGImages", Filename: f.Name, Source: Source{Database: "exporthub"},
				Size: Size{Width: int(math.Round(width)), Height: int(math.Round(height)), Depth: 3},
			}
			for _, t := range f.Tools {
				if obj, ok := object(it, t, classes, ann.Size); ok {
					ann.Objects = append(ann.Objects, obj)
					it.Wrote(1)
				}
			}
			w, err := zw.Create("Annotations/" + f.Stem + ".xml")
			if err != nil {
				return fmt.Errorf("create annotation file: %w", err)
			}
			bw.Reset(w)
			bw.WriteString(xml.Header)
			enc := xml.NewEncoder(bw)
			enc.Indent("", "  ")
			if err := enc.Encode(ann); err != nil {
				return fmt.Errorf("write annotation file: %w", err)
			}
			bw.WriteByte('\n')
			if err := bw.Flush(); err != nil {
				return fmt.Errorf("write annotation file: %w", err)
			}
			list.WriteString(f.Stem + "\n")
			it.Image()
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("voc: %w", err)
	}
	w, err := zw.Create(ImageSetFile)
	if err != nil {
		return rep, fmt.Errorf("voc: create %s: %w", ImageSetFile, err)
	}
	if err := list.CopyTo(w); err != nil {
		return rep, fmt.Errorf("voc: %w", err)
	}
	rep.Log(ctx, env.Log())
	return rep, nil
}

// object converts one AAF object, or records why it cannot.
func object(it *convert.Item, t *aaf.Tool, classes *convert.Classes, size Size) (Object, bool) {
	r, ok := convert.BoxBounds(it, t, "VOC")
	if !ok {
		return Object{}, false
	}
	box, truncated, ok := BoxFromRect(r, size.Width, size.Height)
	if !ok {
		it.Skip(convert.ReasonOutside)
		return Object{}, false
	}
	cls, ok := classes.Index(t)
	if !ok {
		it.Skip(classes.NotListed(t))
		return Object{}, false
	}
	if t.Kind != aaf.KindBoundingBox {
		it.Converted(string(t.Kind) + " written as its enclosing box")
	}
	obj := Object{Name: classes.Names()[cls], Pose: "Unspecified", BndBox: box}
	if truncated {
		obj.Truncated = 1
		it.Converted("coordinates clamped to the image")
	}
	if attrs := convert.Flatten(t.Classifications); len(attrs) > 0 {
		obj.Attributes = &Attributes{}
		for _, a := range attrs {
			obj.Attributes.Attribute = append(obj.Attributes.Attribute, Attribute{Name: a.Key, Value: a.Text()})
		}
	}
	return obj, true
}

// BoxFromRect converts an AAF rectangle (continuous pixels, origin 0) to a
// VOC box (1-based inclusive pixel indexes) clamped to the image. It
// reports whether the box had to be cut and false when nothing is left.
func BoxFromRect(r geom.Rect, width, height int) (box BndBox, truncated, ok bool) {
	box = BndBox{
		XMin: int(math.Floor(r.X0+epsilon)) + 1, YMin: int(math.Floor(r.Y0+epsilon)) + 1,
		XMax: int(math.Ceil(r.X1 - epsilon)), YMax: int(math.Ceil(r.Y1 - epsilon)),
	}
	clamped := BndBox{
		XMin: max(box.XMin, 1), YMin: max(box.YMin, 1),
		XMax: min(box.XMax, width), YMax: min(box.YMax, height),
	}
	if clamped.XMax < clamped.XMin || clamped.YMax < clamped.YMin {
		return BndBox{}, false, false
	}
	return clamped, clamped != box, true
}
