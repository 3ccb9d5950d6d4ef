// Package jsonasset converts AAF exports to one simple JSON file per asset
// (assets/<stem>.json), for pipelines that want plain objects rather than
// a dataset format.
//
// Each file holds one [File]: the asset's names and size, its task
// classifications flattened ("attributes", title paths joined by "/"), its
// frame-specific classifications ("frameAttributes"), its objects with
// class, class index, enclosing box [x, y, width, height] in absolute
// pixels (origin top-left, not clamped) and geometry in AAF's shape, and its
// relations. Video and multi-page objects carry their 0-based "frame".
// Every object kind is written; interpolationStopped entries are counted
// and left out.
package jsonasset

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"iter"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/convert"
	"github.com/exporthub/exporthub/formats/geom"
)

// Name is the format's name in Config JSON.
const Name = "json"

// Options are the JSON options. The zero value means all defaults.
type Options struct {
	convert.Common
	// Indent writes indented JSON. Defaults to false (one line per file).
	Indent bool `json:"indent"`
}

// Describe documents the format and its own options.
func Describe() convert.Description {
	return convert.Description{
		Name:    Name,
		Summary: "one simple JSON file per asset (assets/<stem>.json)",
		Options: []convert.OptionDoc{
			{Name: "indent", Type: "boolean", Default: "false", Doc: "indent the JSON files"},
		},
	}
}

// File is the content of one assets/<stem>.json.
type File struct {
	File            string          `json:"file"`
	ExternalID      string          `json:"externalId"`
	AssetID         string          `json:"assetId,omitempty"`
	Asset           string          `json:"asset"`
	Width           *float64        `json:"width,omitempty"`
	Height          *float64        `json:"height,omitempty"`
	FrameTotal      *float64        `json:"frameTotal,omitempty"`
	Attributes      convert.Attrs   `json:"attributes"`
	FrameAttributes []FrameAttr     `json:"frameAttributes,omitempty"`
	Objects         []Object        `json:"objects"`
	Relations       []Relation      `json:"relations,omitempty"`
	ContextData     json.RawMessage `json:"contextData,omitempty"`
}

// FrameAttr is the answer to a frame-specific question, valid from Frame
// until the next answer to the same question.
type FrameAttr struct {
	Frame      int           `json:"frame"`
	Stopped    bool          `json:"stopped,omitempty"`
	Attributes convert.Attrs `json:"attributes"`
}

// Object is one annotation object.
type Object struct {
	ObjectID   string        `json:"objectId"`
	Class      string        `json:"class"`
	ClassIndex int           `json:"classIndex"`
	SchemaID   string        `json:"schemaId"`
	Type       string        `json:"type"`
	Frame      *int          `json:"frame,omitempty"`
	BBox       *[4]float64   `json:"bbox,omitempty"`
	Geometry   any           `json:"geometry"`
	Attributes convert.Attrs `json:"attributes"`
}

// Relation is one relation between objects.
type Relation struct {
	ObjectID  string   `json:"objectId"`
	Class     string   `json:"class"`
	From      string   `json:"from,omitempty"`
	To        string   `json:"to,omitempty"`
	Direction string   `json:"direction,omitempty"`
	Group     []string `json:"group,omitempty"`
	Frame     *int     `json:"frame,omitempty"`
}

// Converter writes one JSON file per asset. It is safe for concurrent use:
// each Convert call keeps its own state.
type Converter struct {
	o Options
}

// New returns a JSON converter, or an error naming the bad option.
func New(o Options) (*Converter, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	return &Converter{o: o}, nil
}

// Name returns "json".
func (c *Converter) Name() string { return Name }

// Convert writes assets/<stem>.json for every asset into zw.
func (c *Converter) Convert(ctx context.Context, assets iter.Seq2[*aaf.Asset, error], zw convert.Archive, env *convert.Env) (*convert.Report, error) {
	rep := &convert.Report{Format: Name}
	classes := convert.NewClasses(env.Schema, c.o.Common)
	bw := bufio.NewWriterSize(nil, 16<<10)
	err := convert.Walk(ctx, assets, env, c.o.Common, rep, func(it *convert.Item) error {
		a := it.Asset
		out := File{
			File: it.Name, ExternalID: a.ExternalID, AssetID: a.AssetID, Asset: a.Asset,
			Width: a.Metadata.Width, Height: a.Metadata.Height, FrameTotal: a.Metadata.FrameTotal,
			Objects: []Object{}, ContextData: a.ContextData,
		}
		var plain []*aaf.Classification
		for _, cl := range a.Task.Classifications {
			if cl.Page == nil {
				plain = append(plain, cl)
				continue
			}
			out.FrameAttributes = append(out.FrameAttributes, FrameAttr{
				Frame: *cl.Page, Stopped: cl.InterpolationStopped,
				Attributes: convert.Flatten([]*aaf.Classification{cl}),
			})
		}
		out.Attributes = convert.Flatten(plain)
		for _, f := range it.Frames {
			for _, t := range f.Tools {
				cls, ok := classes.Index(t)
				if !ok {
					it.Skip(classes.NotListed(t))
					continue
				}
				obj := Object{
					ObjectID: t.ObjectID, Class: classes.Names()[cls], ClassIndex: cls, SchemaID: t.SchemaID,
					Type: string(t.Kind), Geometry: convert.Geometry(t), Attributes: convert.Flatten(t.Classifications),
				}
				if f.Index >= 0 {
					obj.Frame = &f.Index
				}
				if r, ok := geom.ToolBounds(t); ok {
					obj.BBox = &[4]float64{geom.Round(r.X0), geom.Round(r.Y0), geom.Round(r.W()), geom.Round(r.H())}
				}
				out.Objects = append(out.Objects, obj)
				it.Wrote(1)
			}
			it.Image()
		}
		for _, r := range a.Task.Relations {
			out.Relations = append(out.Relations, Relation{
				ObjectID: r.ObjectID, Class: r.Title, From: r.From, To: r.To,
				Direction: r.Direction, Group: r.Group, Frame: r.Page,
			})
		}
		w, err := zw.Create("assets/" + it.Stem + ".json")
		if err != nil {
			return fmt.Errorf("create asset file: %w", err)
		}
		bw.Reset(w)
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		if c.o.Indent {
			enc.SetIndent("", "  ")
		}
		if err := enc.Encode(out); err != nil {
			return fmt.Errorf("write asset file: %w", err)
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("write asset file: %w", err)
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("json: %w", err)
	}
	rep.Log(ctx, env.Log())
	return rep, nil
}
