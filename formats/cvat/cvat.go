// Package cvat converts AAF exports to "CVAT for images 1.1" XML
// (annotations.xml), which CVAT imports into a task or project.
//
// The file starts with <version>1.1</version> and a <meta> block listing
// the labels with their attributes, then one <image id name width height>
// per image (per annotated frame for videos, named <stem>_<frame>.jpg).
// Labels are only known at the end of a streamed export, so the images are
// spooled to a temporary file and copied in after the meta block.
//
// Shapes (coordinates in absolute pixels, origin top-left, clamped to the
// image, 2 decimals): bounding-box -> <box xtl ytl xbr ybr>;
// rotated-bounding-box -> <box> of the unrotated box with rotation="deg"
// (clockwise, around the centre, as CVAT defines it); polygon ->
// <polygon points="x,y;...">; polyline -> <polyline>; point -> <points>;
// segmentation -> one <polygon> per zone, holes filled (reported). ner,
// pdf and spline are not expressible (counted). Nested classifications
// become <attribute name="Title/Sub">value</attribute>, list answers joined
// by ", "; they are declared as text attributes of their label in meta.
// Image width and height come from the asset's metadata (an asset without
// them is skipped and reported). Task classifications have no place in
// this format and are not written.
package cvat

import (
	"bufio"
	"context"
	"encoding/xml"
	"fmt"
	"iter"
	"math"
	"strconv"
	"strings"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/convert"
	"github.com/exporthub/exporthub/formats/geom"
)

// Name is the format's name in Config JSON.
const Name = "cvat"

// FileName is the name of the XML file inside the zip.
const FileName = "annotations.xml"

// Options are the CVAT options: only the common ones. The zero value means
// all defaults.
type Options struct {
	convert.Common
}

// Describe documents the format.
func Describe() convert.Description {
	return convert.Description{
		Name:    Name,
		Summary: "CVAT for images 1.1 XML (annotations.xml)",
	}
}

// Converter writes CVAT XML. It is safe for concurrent use: each Convert
// call keeps its own state.
type Converter struct {
	o Options
}

// New returns a CVAT converter, or an error naming the bad option.
func New(o Options) (*Converter, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("cvat: %w", err)
	}
	return &Converter{o: o}, nil
}

// Name returns "cvat".
func (c *Converter) Name() string { return Name }

// Image is one <image> element.
type Image struct {
	XMLName xml.Name `xml:"image"`
	ID      int      `xml:"id,attr"`
	Name    string   `xml:"name,attr"`
	Width   int      `xml:"width,attr"`
	Height  int      `xml:"height,attr"`
	Shapes  []Shape  `xml:",any"`
}

// Shape is a <box>, <polygon>, <polyline> or <points> element.
type Shape struct {
	XMLName    xml.Name
	Label      string      `xml:"label,attr"`
	Source     string      `xml:"source,attr"`
	Occluded   int         `xml:"occluded,attr"`
	XTL        string      `xml:"xtl,attr,omitempty"`
	YTL        string      `xml:"ytl,attr,omitempty"`
	XBR        string      `xml:"xbr,attr,omitempty"`
	YBR        string      `xml:"ybr,attr,omitempty"`
	Rotation   string      `xml:"rotation,attr,omitempty"`
	Points     string      `xml:"points,attr,omitempty"`
	ZOrder     int         `xml:"z_order,attr"`
	Attributes []Attribute `xml:"attribute"`
}

// Attribute is one <attribute name="...">value</attribute>.
type Attribute struct {
	Name  string `xml:"name,attr"`
	Value string `xml:",chardata"`
}

type labelMeta struct {
	XMLName    xml.Name   `xml:"label"`
	Name       string     `xml:"name"`
	Color      string     `xml:"color"`
	Type       string     `xml:"type"`
	Attributes []attrMeta `xml:"attributes>attribute"`
}

type attrMeta struct {
	Name      string `xml:"name"`
	Mutable   string `xml:"mutable"`
	InputType string `xml:"input_type"`
	Default   string `xml:"default_value"`
	Values    string `xml:"values"`
}

// run is the state of one Convert call.
type run struct {
	classes *convert.Classes
	attrs   []map[string]bool // per class: attribute names seen
	order   [][]string        // per class: attribute names in first-seen order
	images  int
}

// Convert writes annotations.xml into zw.
func (c *Converter) Convert(ctx context.Context, assets iter.Seq2[*aaf.Asset, error], zw convert.Archive, env *convert.Env) (*convert.Report, error) {
	rep := &convert.Report{Format: Name}
	r := &run{classes: convert.NewClasses(env.Schema, c.o.Common)}
	spool, err := convert.NewSpool(env.TempDir)
	if err != nil {
		return nil, fmt.Errorf("cvat: %w", err)
	}
	defer spool.Close()
	enc := xml.NewEncoder(spool)
	enc.Indent("  ", "  ")
	err = convert.Walk(ctx, assets, env, c.o.Common, rep, func(it *convert.Item) error {
		width, height, err := it.Size("CVAT")
		if err != nil {
			return err
		}
		for _, f := range it.Frames {
			img := Image{ID: r.images, Name: f.Name, Width: int(math.Round(width)), Height: int(math.Round(height))}
			for _, t := range f.Tools {
				if shapes := r.shapes(it, t, width, height); shapes != nil {
					img.Shapes = append(img.Shapes, shapes...)
					it.Wrote(1)
				}
			}
			if err := enc.Encode(img); err != nil {
				return fmt.Errorf("write image: %w", err)
			}
			r.images++
			it.Image()
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("cvat: %w", err)
	}
	if err := enc.Flush(); err != nil {
		return rep, fmt.Errorf("cvat: %w", err)
	}
	w, err := zw.Create(FileName)
	if err != nil {
		return rep, fmt.Errorf("cvat: create %s: %w", FileName, err)
	}
	out := bufio.NewWriterSize(w, 64<<10)
	if err := r.writeHead(out, env.ProjectID); err != nil {
		return rep, fmt.Errorf("cvat: %w", err)
	}
	if err := spool.CopyTo(out); err != nil {
		return rep, fmt.Errorf("cvat: %w", err)
	}
	out.WriteString("\n</annotations>\n")
	if err := out.Flush(); err != nil {
		return rep, fmt.Errorf("cvat: write %s: %w", FileName, err)
	}
	rep.Log(ctx, env.Log())
	return rep, nil
}

// writeHead writes the XML header, version and meta block.
func (r *run) writeHead(w *bufio.Writer, project string) error {
	w.WriteString(xml.Header)
	w.WriteString("<annotations>\n  <version>1.1</version>\n  <meta>\n    <task>\n")
	name := "exporthub export"
	if project != "" {
		name += " of project " + project
	}
	w.WriteString("      <name>")
	if err := xml.EscapeText(w, []byte(name)); err != nil {
		return fmt.Errorf("write task name: %w", err)
	}
	w.WriteString("</name>\n")
	fmt.Fprintf(w, "      <size>%d</size>\n      <mode>annotation</mode>\n      <labels>\n", r.images)
	enc := xml.NewEncoder(w)
	enc.Indent("        ", "  ")
	for i, name := range r.classes.Names() {
		l := labelMeta{Name: name, Color: r.classes.Color(i), Type: "any"}
		if i < len(r.order) {
			for _, a := range r.order[i] {
				l.Attributes = append(l.Attributes, attrMeta{Name: a, Mutable: "False", InputType: "text"})
			}
		}
		if err := enc.Encode(l); err != nil {
			return fmt.Errorf("write labels: %w", err)
		}
	}
	if err := enc.Flush(); err != nil {
		return fmt.Errorf("write labels: %w", err)
	}
	w.WriteString("\n      </labels>\n    </task>\n  </meta>\n")
	return nil
}

// shapes converts one object (one shape, or one polygon per segmentation
// zone), or returns nil after recording why it cannot.
func (r *run) shapes(it *convert.Item, t *aaf.Tool, width, height float64) []Shape {
	s := Shape{Source: "manual"}
	var zones []string
	moved := false
	switch t.Kind {
	case aaf.KindBoundingBox:
		if t.BoundingBox == nil {
			it.Skip(convert.NoGeometry(t))
			return nil
		}
		var b geom.Rect
		b, moved = geom.FromBox(*t.BoundingBox).Clamp(width, height)
		if b.Empty() {
			it.Skip(convert.ReasonOutside)
			return nil
		}
		s.XMLName.Local = "box"
		s.XTL, s.YTL, s.XBR, s.YBR = num(b.X0), num(b.Y0), num(b.X1), num(b.Y1)
	case aaf.KindRotatedBoundingBox:
		if t.RotatedBox == nil {
			it.Skip(convert.NoGeometry(t))
			return nil
		}
		rb := geom.FromRotatedBox(t.RotatedBox)
		if !(rb.W > 0 && rb.H > 0) {
			it.Skip(convert.ReasonOutside)
			return nil
		}
		s.XMLName.Local = "box"
		s.XTL, s.YTL = num(rb.CX-rb.W/2), num(rb.CY-rb.H/2)
		s.XBR, s.YBR = num(rb.CX+rb.W/2), num(rb.CY+rb.H/2)
		s.Rotation = num(rb.Angle360())
	case aaf.KindPolygon, aaf.KindSegmentation:
		rings := convert.PolygonRings(it, t, "CVAT")
		if rings == nil {
			return nil
		}
		var parts []string
		for _, ring := range rings {
			pts, m := geom.ClampPoints(ring, width, height)
			if b, _ := geom.Bounds(pts); b.Empty() {
				continue
			}
			moved = moved || m
			parts = append(parts, points(pts))
		}
		if parts == nil {
			it.Skip(convert.ReasonOutside)
			return nil
		}
		s.XMLName.Local = "polygon"
		zones = parts
	case aaf.KindPolyline:
		if len(t.Polyline) < 2 {
			it.Skip("polyline with fewer than 2 points")
			return nil
		}
		var pts []aaf.Point
		pts, moved = geom.ClampPoints(t.Polyline, width, height)
		s.XMLName.Local, s.Points = "polyline", points(pts)
	case aaf.KindPoint:
		if t.Point == nil {
			it.Skip(convert.NoGeometry(t))
			return nil
		}
		var pts []aaf.Point
		pts, moved = geom.ClampPoints([]aaf.Point{*t.Point}, width, height)
		s.XMLName.Local, s.Points = "points", points(pts)
	default:
		it.Skip(convert.NotExpressible(t.Kind, "CVAT"))
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
	s.Label = r.classes.Names()[cls]
	for _, a := range convert.Flatten(t.Classifications) {
		s.Attributes = append(s.Attributes, Attribute{Name: a.Key, Value: a.Text()})
		r.declare(cls, a.Key)
	}
	if zones == nil {
		return []Shape{s}
	}
	out := make([]Shape, len(zones))
	for i, p := range zones {
		out[i] = s
		out[i].Points = p
	}
	return out
}

// declare remembers that class cls has attribute name, for the meta block.
func (r *run) declare(cls int, name string) {
	for len(r.attrs) <= cls {
		r.attrs = append(r.attrs, map[string]bool{})
		r.order = append(r.order, nil)
	}
	if !r.attrs[cls][name] {
		r.attrs[cls][name] = true
		r.order[cls] = append(r.order[cls], name)
	}
}

func points(pts []aaf.Point) string {
	var b strings.Builder
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(num(p[0]))
		b.WriteByte(',')
		b.WriteString(num(p[1]))
	}
	return b.String()
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
