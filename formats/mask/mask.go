// Package mask renders AAF exports into semantic and instance segmentation
// mask PNGs, from the annotations' polygons and boxes (no image downloads).
//
// Files per image (per annotated frame for videos, <stem>_<frame>):
//
//	semantic/<stem>.png  pixel = class index + 1 (0 = background)
//	instance/<stem>.png  pixel = instance id (0 = background, 1.. in object order)
//	instance/<stem>.json the instances: id, objectId, class, classIndex
//	legend.json          class value -> name and colour (written last)
//
// A mask is an 8-bit paletted PNG (viewable, and the palette index is the
// value) when its values fit in 8 bits, else a 16-bit grayscale PNG.
// Values above 65535 cannot be stored: further instances are skipped and
// counted.
//
// Rendering: a pixel belongs to a shape when its centre is inside under the
// even-odd rule (package raster), so segmentation holes stay background and
// adjacent polygons do not overlap. Objects are painted in export order;
// later ones cover earlier ones. Boxes, rotated boxes (by their corners),
// polygons and segmentation zones with their holes are drawn; points,
// polylines, ner, pdf and spline are not expressible (counted), as are
// objects that cover no pixel centre. The mask size is the asset's
// metadata width and height, rounded (an asset without them is skipped and
// reported; one above MaxPixels too).
package mask

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"iter"
	"math"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/convert"
	"github.com/exporthub/exporthub/formats/geom"
	"github.com/exporthub/exporthub/formats/raster"
)

// Name is the format's name in Config JSON.
const Name = "mask"

// Values of the "mask" option.
const (
	KindSemantic = "semantic"
	KindInstance = "instance"
	KindBoth     = "both"
)

// MaxPixels is the largest mask (width x height) rendered; about 8K x 8K.
const MaxPixels = 1 << 26

// maxValue is the largest value a 16-bit mask holds.
const maxValue = math.MaxUint16

// Options are the mask options. The zero value means all defaults.
type Options struct {
	convert.Common
	// Mask picks the masks to write: KindSemantic, KindInstance or
	// KindBoth. Defaults to KindBoth.
	Mask string `json:"mask"`
}

// Describe documents the format and its own options.
func Describe() convert.Description {
	return convert.Description{
		Name:    Name,
		Summary: "semantic and instance mask PNGs rendered from polygons and boxes, with legend.json",
		Options: []convert.OptionDoc{
			{Name: "mask", Type: "string", Default: `"both"`, Doc: `"semantic" (class index + 1 per pixel), "instance" (instance id per pixel) or "both"`},
		},
	}
}

// Converter renders masks. It is safe for concurrent use: each Convert
// call keeps its own state.
type Converter struct {
	o Options
}

// New returns a mask converter, or an error naming the bad option.
func New(o Options) (*Converter, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("mask: %w", err)
	}
	switch o.Mask {
	case "":
		o.Mask = KindBoth
	case KindSemantic, KindInstance, KindBoth:
	default:
		return nil, fmt.Errorf("mask: option %q must be %q, %q or %q, got %q", "mask", KindSemantic, KindInstance, KindBoth, o.Mask)
	}
	return &Converter{o: o}, nil
}

// Fields returns the parts of an asset the converter reads: tools,
// classifications (for the pages of videos) and metadata.
func (c *Converter) Fields() aaf.Fields {
	return aaf.FieldTools | aaf.FieldClassifications | aaf.FieldMetadata
}

// Name returns "mask".
func (c *Converter) Name() string { return Name }

// Instance describes one instance of an instance mask.
type Instance struct {
	ID         int    `json:"id"`
	ObjectID   string `json:"objectId"`
	Class      string `json:"class"`
	ClassIndex int    `json:"classIndex"`
}

// Legend is the content of legend.json.
type Legend struct {
	Background int           `json:"background"`
	Classes    []LegendClass `json:"classes"`
}

// LegendClass is one class value of the semantic masks.
type LegendClass struct {
	Value int    `json:"value"`
	Name  string `json:"name"`
	Color string `json:"color"`
}

// storedCreator is implemented by archives that can store an entry
// without compressing it again (PNG data is already deflated).
type storedCreator interface {
	CreateStored(name string) (io.Writer, error)
}

// run is the state of one Convert call.
type run struct {
	o       Options
	classes *convert.Classes
	zw      convert.Archive
	fill    raster.Filler
	png     pngWriter
	sem     canvas
	inst    canvas
	enc     png.Encoder
	buf     *bufio.Writer
	jsonBuf bytes.Buffer
	semOn   bool
	instOn  bool
	semPal  color.Palette
	instPal color.Palette
	// semKnown is 1 + the number of classes whose colours semPal holds.
	semKnown int
}

// Convert writes the masks and legend.json into zw.
func (c *Converter) Convert(ctx context.Context, assets iter.Seq2[*aaf.Asset, error], zw convert.Archive, env *convert.Env) (*convert.Report, error) {
	rep := &convert.Report{Format: Name}
	r := &run{
		o: c.o, classes: convert.NewClasses(env.Schema, c.o.Common), zw: zw,
		enc:   png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &bufferPool{}},
		buf:   bufio.NewWriterSize(nil, 64<<10),
		semOn: c.o.Mask != KindInstance, instOn: c.o.Mask != KindSemantic,
	}
	if err := convert.Walk(ctx, assets, env, c.o.Common, rep, r.asset); err != nil {
		return rep, fmt.Errorf("mask: %w", err)
	}
	legend := Legend{Classes: make([]LegendClass, 0, r.classes.Len())}
	for i, name := range r.classes.Names() {
		legend.Classes = append(legend.Classes, LegendClass{Value: i + 1, Name: name, Color: r.classes.Color(i)})
	}
	if err := r.writeJSON("legend.json", legend); err != nil {
		return rep, fmt.Errorf("mask: %w", err)
	}
	rep.Log(ctx, env.Log())
	return rep, nil
}

// asset renders the masks of every image of one asset.
func (r *run) asset(it *convert.Item) error {
	fw, fh, err := it.Size("mask")
	if err != nil {
		return err
	}
	w, h := int(math.Round(fw)), int(math.Round(fh))
	if w*h > MaxPixels || w <= 0 || h <= 0 {
		return convert.Problemf("image of %dx%d pixels is outside the mask limit of %d pixels", w, h, MaxPixels)
	}
	for _, f := range it.Frames {
		r.sem.reset(w, h)
		r.inst.reset(w, h)
		var instances []Instance
		for _, t := range f.Tools {
			rings, ok := shape(it, t)
			if !ok {
				continue
			}
			cls, ok := r.classes.Index(t)
			if !ok {
				it.Skip(r.classes.NotListed(t))
				continue
			}
			if cls+1 > maxValue || len(instances)+1 > maxValue {
				it.Skip(fmt.Sprintf("more than %d classes or instances in one image", maxValue))
				continue
			}
			id := uint16(len(instances) + 1)
			value := uint16(cls + 1)
			painted := 0
			for _, zone := range rings {
				r.fill.Fill(w, h, func(y, x0, x1 int) {
					if r.semOn {
						r.sem.span(y, x0, x1, value)
					}
					if r.instOn {
						r.inst.span(y, x0, x1, id)
					}
					painted += x1 - x0
				}, zone...)
			}
			if painted == 0 {
				it.Skip("object outside the image or covering no pixel centre")
				continue
			}
			instances = append(instances, Instance{ID: int(id), ObjectID: t.ObjectID, Class: r.classes.Names()[cls], ClassIndex: cls})
			it.Wrote(1)
		}
		if r.semOn {
			if err := r.writePNG("semantic/"+f.Stem+".png", &r.sem, r.sem.image(r.semanticPalette)); err != nil {
				return err
			}
		}
		if r.instOn {
			if err := r.writePNG("instance/"+f.Stem+".png", &r.inst, r.inst.image(r.instancePalette)); err != nil {
				return err
			}
			if instances == nil {
				instances = []Instance{}
			}
			if err := r.writeJSON("instance/"+f.Stem+".json", instances); err != nil {
				return err
			}
		}
		it.Image()
	}
	return nil
}

// shape returns the fills of an object: one list of rings per even-odd
// fill (a segmentation zone with its holes), or false after recording why
// it has none.
func shape(it *convert.Item, t *aaf.Tool) ([][][]aaf.Point, bool) {
	switch t.Kind {
	case aaf.KindBoundingBox:
		if t.BoundingBox != nil {
			c := geom.FromBox(*t.BoundingBox).Corners()
			return [][][]aaf.Point{{c[:]}}, true
		}
	case aaf.KindRotatedBoundingBox:
		if t.RotatedBox != nil {
			c := geom.RotatedCorners(t.RotatedBox)
			return [][][]aaf.Point{{c[:]}}, true
		}
	case aaf.KindPolygon:
		if len(t.Polygon) >= 3 {
			return [][][]aaf.Point{{t.Polygon}}, true
		}
		it.Skip(convert.ReasonShortPolygon)
		return nil, false
	case aaf.KindSegmentation:
		var fills [][][]aaf.Point
		if t.Segmentation != nil {
			for _, z := range t.Segmentation.Zones {
				if len(z.Region) >= 3 {
					fills = append(fills, append([][]aaf.Point{z.Region}, z.Holes...))
				}
			}
		}
		if fills != nil {
			return fills, true
		}
		it.Skip(convert.ReasonNoZones)
		return nil, false
	default:
		it.Skip(convert.NotExpressible(t.Kind, "masks"))
		return nil, false
	}
	it.Skip(convert.NoGeometry(t))
	return nil, false
}

// writePNG encodes img into the zip entry name: 8-bit masks with the
// mask's own PNG writer (png.go), 16-bit ones with image/png.
func (r *run) writePNG(name string, c *canvas, img image.Image) error {
	out, err := r.create(name)
	if err != nil {
		return err
	}
	if p, ok := img.(*image.Paletted); ok {
		b := p.Rect.Size()
		y0, y1 := c.painted()
		if err := r.png.encode(out, p.Pix, p.Stride, b.X, b.Y, y0, y1, p.Palette); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		return nil
	}
	r.buf.Reset(out)
	if err := r.enc.Encode(r.buf, img); err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	if err := r.buf.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func (r *run) create(name string) (io.Writer, error) {
	var (
		w   io.Writer
		err error
	)
	if s, ok := r.zw.(storedCreator); ok {
		w, err = s.CreateStored(name)
	} else {
		w, err = r.zw.Create(name)
	}
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	return w, nil
}

func (r *run) writeJSON(name string, v any) error {
	r.jsonBuf.Reset()
	enc := json.NewEncoder(&r.jsonBuf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	w, err := r.zw.Create(name)
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	if _, err := w.Write(r.jsonBuf.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// paletteSize is the length of every palette: with more than 16 entries
// image/png writes 8 bits per pixel straight from the buffer, the fast path
// (smaller palettes are packed to 1, 2 or 4 bits pixel by pixel).
const paletteSize = 256

// semanticPalette returns the palette of semantic masks: black background,
// then the class colours (classes never change colour, so it is built once
// and extended as classes appear), then filler colours up to paletteSize.
func (r *run) semanticPalette(int) color.Palette {
	if r.semPal == nil || r.semKnown != r.classes.Len()+1 {
		r.semPal = make(color.Palette, paletteSize)
		r.semPal[0] = color.RGBA{A: 255}
		for v := 1; v < paletteSize; v++ {
			rgb := [3]uint8{}
			if v <= r.classes.Len() {
				if _, err := fmt.Sscanf(r.classes.Color(v-1), "#%02x%02x%02x", &rgb[0], &rgb[1], &rgb[2]); err != nil {
					rgb[0], rgb[1], rgb[2] = convert.PaletteColor(v - 1)
				}
			} else {
				rgb[0], rgb[1], rgb[2] = convert.PaletteColor(v - 1)
			}
			r.semPal[v] = color.RGBA{R: rgb[0], G: rgb[1], B: rgb[2], A: 255}
		}
		r.semKnown = r.classes.Len() + 1
	}
	return r.semPal
}

// instancePalette returns the palette of instance masks: black background,
// then distinct colours.
func (r *run) instancePalette(int) color.Palette {
	if r.instPal == nil {
		r.instPal = make(color.Palette, paletteSize)
		r.instPal[0] = color.RGBA{A: 255}
		for v := 1; v < paletteSize; v++ {
			red, green, blue := convert.PaletteColor(v - 1)
			r.instPal[v] = color.RGBA{R: red, G: green, B: blue, A: 255}
		}
	}
	return r.instPal
}

// bufferPool keeps the PNG encoder's buffers between images.
type bufferPool struct{ b *png.EncoderBuffer }

func (p *bufferPool) Get() *png.EncoderBuffer  { return p.b }
func (p *bufferPool) Put(b *png.EncoderBuffer) { p.b = b }
