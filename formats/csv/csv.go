// Package csv converts AAF exports to one CSV table with one row per
// object (annotations.csv).
//
// Columns, in order (see [Columns]):
//
//	image            unique image file name (frames: <stem>_<frame>.jpg)
//	external_id      the asset's externalId
//	asset_id         the asset's assetId
//	frame            0-based frame or page; empty for a plain image
//	object_id        the object's objectId
//	class            class name (see the "categories" option)
//	class_index      0-based class index (schema order, then first seen)
//	schema_id        the object's schemaId
//	type             geometry kind: bounding-box, polygon, point, ...
//	x_min y_min x_max y_max
//	                 enclosing box in absolute pixels, origin top-left, not
//	                 clamped; empty for ner, pdf and entries without geometry
//	geometry         the geometry as JSON in AAF's shape (boxes normalised
//	                 to a non-negative width and height)
//	image_width image_height
//	                 from the asset's metadata; empty when unknown
//	attributes       the object's nested classifications flattened to a JSON
//	                 object: {"Occluded": "Partially", "Occluded/Occluded
//	                 by": ["Pole"]} (title paths joined by "/", lists for
//	                 multi-choice answers)
//	image_attributes the image's classifications, flattened the same way
//
// An image with no objects still gets one row with the object columns
// empty, so classification-only projects export their answers. Every
// object kind is written: nothing is skipped.
package csv

import (
	"context"
	stdcsv "encoding/csv"
	"fmt"
	"iter"
	"strconv"
	"unicode/utf8"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/convert"
	"github.com/exporthub/exporthub/formats/geom"
)

// Name is the format's name in Config JSON.
const Name = "csv"

// FileName is the name of the CSV file inside the zip.
const FileName = "annotations.csv"

// Columns is the header row.
var Columns = []string{
	"image", "external_id", "asset_id", "frame", "object_id", "class", "class_index", "schema_id", "type",
	"x_min", "y_min", "x_max", "y_max", "geometry", "image_width", "image_height", "attributes", "image_attributes",
}

// Options are the CSV options. The zero value means all defaults.
type Options struct {
	convert.Common
	// Delimiter is the field separator, one character. Defaults to ",".
	Delimiter string `json:"delimiter"`
}

// Describe documents the format and its own options.
func Describe() convert.Description {
	return convert.Description{
		Name:    Name,
		Summary: "CSV, one row per object (annotations.csv), classifications flattened to JSON",
		Options: []convert.OptionDoc{
			{Name: "delimiter", Type: "string", Default: `","`, Doc: `field separator, one character (e.g. ";" for spreadsheets in locales with decimal commas)`},
		},
	}
}

// Converter writes the CSV table. It is safe for concurrent use: each
// Convert call keeps its own state.
type Converter struct {
	o     Options
	comma rune
}

// New returns a CSV converter, or an error naming the bad option.
func New(o Options) (*Converter, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	comma := ','
	if o.Delimiter != "" {
		r, n := utf8.DecodeRuneInString(o.Delimiter)
		if n != len(o.Delimiter) || r == '"' || r == '\r' || r == '\n' || r == utf8.RuneError {
			return nil, fmt.Errorf("csv: option %q must be one character other than a quote or line break, got %q", "delimiter", o.Delimiter)
		}
		comma = r
	}
	return &Converter{o: o, comma: comma}, nil
}

// Name returns "csv".
func (c *Converter) Name() string { return Name }

// Convert writes annotations.csv into zw.
func (c *Converter) Convert(ctx context.Context, assets iter.Seq2[*aaf.Asset, error], zw convert.Archive, env *convert.Env) (*convert.Report, error) {
	rep := &convert.Report{Format: Name}
	classes := convert.NewClasses(env.Schema, c.o.Common)
	w, err := zw.Create(FileName)
	if err != nil {
		return nil, fmt.Errorf("csv: create %s: %w", FileName, err)
	}
	cw := stdcsv.NewWriter(w)
	cw.Comma = c.comma
	if err := cw.Write(Columns); err != nil {
		return nil, fmt.Errorf("csv: write header: %w", err)
	}
	row := make([]string, len(Columns))
	err = convert.Walk(ctx, assets, env, c.o.Common, rep, func(it *convert.Item) error {
		a := it.Asset
		width, height := "", ""
		if a.Metadata.Width != nil {
			width = num(*a.Metadata.Width)
		}
		if a.Metadata.Height != nil {
			height = num(*a.Metadata.Height)
		}
		for _, f := range it.Frames {
			imageAttrs, err := attrsJSON(convert.Flatten(f.Classifications))
			if err != nil {
				return err
			}
			frame := ""
			if f.Index >= 0 {
				frame = strconv.Itoa(f.Index)
			}
			clear(row)
			row[0], row[1], row[2], row[3] = f.Name, a.ExternalID, a.AssetID, frame
			row[14], row[15], row[17] = width, height, imageAttrs
			if len(f.Tools) == 0 {
				if err := cw.Write(row); err != nil {
					return fmt.Errorf("write row: %w", err)
				}
			}
			for _, t := range f.Tools {
				cls, ok := classes.Index(t)
				if !ok {
					it.Skip(classes.NotListed(t))
					continue
				}
				row[4], row[5], row[6], row[7], row[8] = t.ObjectID, classes.Names()[cls], strconv.Itoa(cls), t.SchemaID, string(t.Kind)
				row[9], row[10], row[11], row[12] = "", "", "", ""
				if r, ok := geom.ToolBounds(t); ok {
					row[9], row[10], row[11], row[12] = num(r.X0), num(r.Y0), num(r.X1), num(r.Y1)
				}
				g, err := convert.MarshalJSON(convert.Geometry(t))
				if err != nil {
					return fmt.Errorf("encode geometry of %q: %w", t.ObjectID, err)
				}
				row[13] = string(g)
				if row[16], err = attrsJSON(convert.Flatten(t.Classifications)); err != nil {
					return err
				}
				if err := cw.Write(row); err != nil {
					return fmt.Errorf("write row: %w", err)
				}
				it.Wrote(1)
			}
			it.Image()
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("csv: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return rep, fmt.Errorf("csv: write %s: %w", FileName, err)
	}
	rep.Log(ctx, env.Log())
	return rep, nil
}

func attrsJSON(a convert.Attrs) (string, error) {
	if len(a) == 0 {
		return "", nil
	}
	b, err := convert.MarshalJSON(a)
	if err != nil {
		return "", fmt.Errorf("encode classifications: %w", err)
	}
	return string(b), nil
}

func num(v float64) string { return strconv.FormatFloat(geom.Round(v), 'f', -1, 64) }
