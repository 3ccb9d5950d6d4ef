package formats_test

import (
	"context"
	"io"
	"iter"
	"log/slog"
	"testing"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats"
	"github.com/exporthub/exporthub/formats/convert"
)

// BenchmarkConvert converts generated image assets (held in memory, so
// only conversion and zip writing are measured) with every format and
// reports assets/s. The "baseline" entry re-encodes the same assets as
// NDJSON into the zip: the cost of touching every asset once, against
// which the formats compare.
func BenchmarkConvert(b *testing.B) {
	o := aaf.GenOptions{Assets: 500, Seed: 1, Kind: aaf.AssetKindMixed, NoHistory: true, Frames: 60}
	var assets []*aaf.Asset
	for a := range aaf.GenerateAssets(o) {
		assets = append(assets, a)
	}
	env := &convert.Env{Schema: aaf.GenSchema(o), Logger: slog.New(slog.DiscardHandler), TempDir: b.TempDir()}
	seq := func(yield func(*aaf.Asset, error) bool) {
		for _, a := range assets {
			if !yield(a, nil) {
				return
			}
		}
	}
	configs := []string{
		`{"format": "coco"}`, `{"format": "yolo"}`, `{"format": "yolo", "task": "segment"}`, `{"format": "voc"}`,
		`{"format": "csv"}`, `{"format": "json"}`, `{"format": "cvat"}`, `{"format": "labelstudio"}`,
		`{"format": "kitti"}`, `{"format": "mask", "mask": "semantic"}`,
	}
	run := func(b *testing.B, c formats.Converter) {
		for b.Loop() {
			if _, err := formats.Run(context.Background(), c, seq, io.Discard, env); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(assets)*b.N)/b.Elapsed().Seconds(), "assets/s")
	}
	b.Run("baseline", func(b *testing.B) { run(b, ndjson{}) })
	for _, cfg := range configs {
		c, err := formats.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(cfg, func(b *testing.B) { run(b, c) })
	}
}

// ndjson writes the assets back as NDJSON: the baseline of BenchmarkConvert.
type ndjson struct{}

func (ndjson) Name() string { return "ndjson" }

func (ndjson) Convert(_ context.Context, assets iter.Seq2[*aaf.Asset, error], zw convert.Archive, _ *convert.Env) (*convert.Report, error) {
	w, err := zw.Create("export.ndjson")
	if err != nil {
		return nil, err
	}
	enc := aaf.NewEncoder(w, aaf.FormatNDJSON)
	for a, err := range assets {
		if err != nil {
			return nil, err
		}
		if err := enc.Encode(a); err != nil {
			return nil, err
		}
	}
	return &convert.Report{}, enc.Close()
}
