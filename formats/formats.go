// Package formats is the registry of exporthub's built-in export formats:
// it maps a Config JSON such as {"format": "coco", "categories": "title"}
// to a [Converter], lists the formats with their options, and runs a
// converter into a zip ([Run]).
//
// The converters live in one package per format (formats/coco,
// formats/yolo, formats/voc, formats/csv, formats/jsonasset, formats/cvat,
// formats/labelstudio, formats/kitti, formats/mask); the pieces they share
// are in formats/convert, formats/geom and formats/raster, and the zip is
// written by internal/zipstream. Every converter streams the AAF iterator
// and writes the zip as it goes, so memory does not grow with the export.
package formats

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/coco"
	"github.com/exporthub/exporthub/formats/convert"
	"github.com/exporthub/exporthub/formats/csv"
	"github.com/exporthub/exporthub/formats/cvat"
	"github.com/exporthub/exporthub/formats/jsonasset"
	"github.com/exporthub/exporthub/formats/kitti"
	"github.com/exporthub/exporthub/formats/labelstudio"
	"github.com/exporthub/exporthub/formats/mask"
	"github.com/exporthub/exporthub/formats/voc"
	"github.com/exporthub/exporthub/formats/yolo"
	"github.com/exporthub/exporthub/internal/deflate"
	"github.com/exporthub/exporthub/internal/zipstream"
)

// Converter converts a stream of assets into files of one format, written
// to an archive one entry at a time. Implementations keep no state between
// calls and are safe for concurrent use.
type Converter interface {
	// Name returns the format's name ("coco", "yolo", ...).
	Name() string
	// Convert reads every asset and writes the format's files into zw. It
	// returns the report of what was written, skipped and converted (also
	// logged to env's logger). An error (bad input, ctx cancelled, a
	// per-asset problem in strict mode, a write failure) means the output
	// is incomplete and must be discarded.
	Convert(ctx context.Context, assets iter.Seq2[*aaf.Asset, error], zw convert.Archive, env *convert.Env) (*convert.Report, error)
}

// DefaultFields are the parts of each asset a converter reads unless it
// says otherwise (see [Fields]): tools with their classifications, task
// classifications and relations, metadata and contextData. No converter
// reads the stage history, legacy reviews, batches or unknown keys.
const DefaultFields = aaf.FieldTools | aaf.FieldToolClassifications | aaf.FieldClassifications |
	aaf.FieldRelations | aaf.FieldMetadata | aaf.FieldContextData

// Fields returns the parts of each asset c reads: what its Fields method
// returns when it has one, else DefaultFields. A reader of the export given
// aaf.WithFields(Fields(c)) (with aaf.WithoutValidation) gives c what it
// needs, skipping the rest; the output is the same as with every part.
func Fields(c Converter) aaf.Fields {
	if f, ok := c.(interface{ Fields() aaf.Fields }); ok {
		return f.Fields()
	}
	return DefaultFields
}

// ErrConfig is wrapped by every error of [New] about the Config JSON.
var ErrConfig = errors.New("formats: invalid config")

// format is one registry entry.
type format struct {
	describe func() convert.Description
	build    func(data []byte) (Converter, error)
}

// entry builds a registry entry from a format's Describe and New.
func entry[O any, C Converter](describe func() convert.Description, newFn func(O) (C, error)) format {
	return format{describe: describe, build: func(data []byte) (Converter, error) {
		var o O
		if err := json.Unmarshal(data, &o); err != nil {
			return nil, err
		}
		return newFn(o)
	}}
}

var registry = map[string]format{
	coco.Name:        entry(coco.Describe, coco.New),
	yolo.Name:        entry(yolo.Describe, yolo.New),
	voc.Name:         entry(voc.Describe, voc.New),
	csv.Name:         entry(csv.Describe, csv.New),
	jsonasset.Name:   entry(jsonasset.Describe, jsonasset.New),
	cvat.Name:        entry(cvat.Describe, cvat.New),
	labelstudio.Name: entry(labelstudio.Describe, labelstudio.New),
	kitti.Name:       entry(kitti.Describe, kitti.New),
	mask.Name:        entry(mask.Describe, mask.New),
}

// Names returns the names of the formats, sorted.
func Names() []string { return slices.Sorted(maps.Keys(registry)) }

// List describes every format with its own options, sorted by name. The
// options of [convert.CommonOptions] apply to all of them.
func List() []convert.Description {
	out := make([]convert.Description, 0, len(registry))
	for _, name := range Names() {
		out = append(out, registry[name].describe())
	}
	return out
}

// New parses a Config JSON, {"format": "<name>", ...options}, and returns
// the converter it asks for. Errors wrap [ErrConfig] and say what is wrong:
// a missing or unknown format (listing the valid ones), an unknown option
// (listing the format's options), or an option of the wrong type or value.
func New(configJSON string) (Converter, error) {
	text := strings.TrimSpace(configJSON)
	if text == "" {
		text = "{}"
	}
	var keys map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(text))
	if err := dec.Decode(&keys); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object: %w", ErrConfig, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: unexpected data after the JSON object", ErrConfig)
	}
	raw, ok := keys["format"]
	if !ok {
		return nil, fmt.Errorf("%w: missing \"format\" (one of %s)", ErrConfig, strings.Join(Names(), ", "))
	}
	var name string
	if err := json.Unmarshal(raw, &name); err != nil {
		return nil, fmt.Errorf("%w: \"format\" must be a string (one of %s), got %s", ErrConfig, strings.Join(Names(), ", "), raw)
	}
	f, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("%w: unknown format %q (one of %s)", ErrConfig, name, strings.Join(Names(), ", "))
	}
	valid := optionNames(f.describe())
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if k != "format" && !slices.Contains(valid, k) {
			return nil, fmt.Errorf("%w: unknown option %q for format %q (valid options: %s)", ErrConfig, k, name, strings.Join(valid, ", "))
		}
	}
	delete(keys, "format")
	data, err := json.Marshal(keys)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	c, err := f.build(data)
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		opt := optionOf(te.Field)
		return nil, fmt.Errorf("%w: option %q of format %q must be %s, got %s", ErrConfig, opt, name, typeOf(f.describe(), opt), keys[opt])
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return c, nil
}

// optionNames returns the common and the format's own option names.
func optionNames(d convert.Description) []string {
	var out []string
	for _, o := range convert.CommonOptions() {
		out = append(out, o.Name)
	}
	for _, o := range d.Options {
		out = append(out, o.Name)
	}
	slices.Sort(out)
	return out
}

// optionOf returns the option named by an UnmarshalTypeError's field path,
// which goes through embedded structs ("Common.strict").
func optionOf(field string) string {
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		return field[i+1:]
	}
	return field
}

// typeOf returns the documented JSON type of an option, with an article.
func typeOf(d convert.Description, name string) string {
	docs := append(convert.CommonOptions(), d.Options...)
	for _, o := range docs {
		if o.Name != name {
			continue
		}
		switch o.Type {
		case "boolean":
			return "a boolean"
		case "string":
			return "a string"
		case "array of string":
			return "an array of strings"
		}
		return o.Type
	}
	return "of another type"
}

// Run converts assets with c into a zip written to w. The zip's central
// directory is spooled under env.TempDir, so memory stays flat however many
// files the format writes; entries are deflated by internal/deflate. On error the bytes written to w are not a
// usable archive.
func Run(ctx context.Context, c Converter, assets iter.Seq2[*aaf.Asset, error], w io.Writer, env *convert.Env) (*convert.Report, error) {
	zw := zipstream.NewWriter(w, zipstream.Options{TempDir: env.TempDir, NewCompressor: deflate.NewCompressor})
	rep, err := c.Convert(ctx, assets, zw, env)
	if err != nil {
		_ = zw.Close() // removes the spool; the archive is discarded anyway
		return rep, err
	}
	if err := zw.Close(); err != nil {
		return rep, fmt.Errorf("finish zip: %w", err)
	}
	return rep, nil
}

// FileName returns the name of the zip of a run: "<project>-<format>.zip",
// or "export-<format>.zip" without a project id.
func FileName(projectID, format string) string {
	base := convert.Sanitize(projectID)
	if base == "" {
		base = "export"
	}
	return base + "-" + format + ".zip"
}

// DescribeJSON returns List and the common options as indented JSON, for
// tools that render the format list.
func DescribeJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	err := enc.Encode(struct {
		Common  []convert.OptionDoc   `json:"commonOptions"`
		Formats []convert.Description `json:"formats"`
	}{convert.CommonOptions(), List()})
	return b.Bytes(), err
}
