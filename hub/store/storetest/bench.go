package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

// benchSizes are the import sizes the benchmarks measure.
var benchSizes = []int{1_000, 100_000}

// benchRows yields n synthetic assets of about 2 KB of AAF-shaped JSON:
// four stages, batches "b0".."b9" (one or two per asset). It builds the
// JSON with appends, not fmt, so that it costs little next to a store.
func benchRows(n int) iter.Seq2[*store.Asset, error] {
	return func(yield func(*store.Asset, error) bool) {
		for i := range n {
			id := "asset-" + strconv.Itoa(i)
			stage := "s" + strconv.Itoa(i%4)
			buf := make([]byte, 0, 2304)
			buf = append(buf, `{"externalId":"`...)
			buf = append(buf, id...)
			buf = append(buf, `","asset":"https://cdn.example.com/images/`...)
			buf = strconv.AppendInt(buf, int64(i), 10)
			buf = append(buf, `.jpg","dataset":[],"metadata":{"width":1920,"height":1080},"task":{"taskId":"t`...)
			buf = strconv.AppendInt(buf, int64(i), 10)
			buf = append(buf, `","stageId":"`...)
			buf = append(buf, stage...)
			buf = append(buf, `","updatedAt":"2025-03-10T12:30:45.123Z","tools":[`...)
			for j := range 12 {
				if j > 0 {
					buf = append(buf, ',')
				}
				buf = append(buf, `{"objectId":"o`...)
				buf = strconv.AppendInt(buf, int64(i), 10)
				buf = append(buf, '-')
				buf = strconv.AppendInt(buf, int64(j), 10)
				buf = append(buf, `","schemaId":"car","title":"Car","bounding-box":{"x":`...)
				buf = strconv.AppendInt(buf, int64(i%1900), 10)
				buf = append(buf, `.5,"y":`...)
				buf = strconv.AppendInt(buf, int64(j*80), 10)
				buf = append(buf, `.25,"width":`...)
				buf = strconv.AppendInt(buf, int64(40+j), 10)
				buf = append(buf, `,"height":`...)
				buf = strconv.AppendInt(buf, int64(30+j), 10)
				buf = append(buf, `},"classifications":[]}`...)
			}
			buf = append(buf, `],"classifications":[],"relations":[]}}`...)
			a := &store.Asset{
				ExternalID: id,
				StageID:    stage,
				Batches:    []string{"b" + strconv.Itoa(i%10)},
				UpdatedAt:  base.Add(time.Duration(i) * time.Second),
				Data:       json.RawMessage(buf),
			}
			if i%3 == 0 {
				a.Batches = append(a.Batches, "b"+strconv.Itoa((i+5)%10))
			}
			if !yield(a, nil) {
				return
			}
		}
	}
}

// benchProject creates an organization and a project in s.
func benchProject(b *testing.B, ctx context.Context, s store.Store) *store.Project {
	b.Helper()
	o := &store.Org{ID: store.NewID(), Name: "bench"}
	require.NoError(b, s.OrgInsert(ctx, o))
	p := &store.Project{ID: store.NewID(), OrgID: o.ID, Name: "bench"}
	require.NoError(b, s.ProjectInsert(ctx, p))
	return p
}

// BenchAssetImport measures AssetImport: appending n assets to an empty
// project and upserting the same n again (every row replaced). The
// Generate case is the baseline: producing the rows without a store. Each
// case reports assets/s.
func BenchAssetImport(b *testing.B, newStore func(b *testing.B) store.Store) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("Generate/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				for a, err := range benchRows(n) {
					if err != nil || a == nil {
						b.Fatal("no row")
					}
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "assets/s")
		})
		b.Run(fmt.Sprintf("Append/n=%d", n), func(b *testing.B) {
			ctx := b.Context()
			s := newStore(b)
			b.SetBytes(int64(benchRowBytes(n)))
			for b.Loop() {
				b.StopTimer()
				p := benchProject(b, ctx, s)
				b.StartTimer()
				res, err := s.AssetImport(ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: benchRows(n)})
				require.NoError(b, err)
				require.Equal(b, n, res.Inserted)
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "assets/s")
		})
		b.Run(fmt.Sprintf("Upsert/n=%d", n), func(b *testing.B) {
			ctx := b.Context()
			s := newStore(b)
			p := benchProject(b, ctx, s)
			_, err := s.AssetImport(ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: benchRows(n)})
			require.NoError(b, err)
			b.ResetTimer()
			for b.Loop() {
				res, err := s.AssetImport(ctx, &store.AssetImportParams{ProjectID: p.ID, Mode: store.ImportUpsert, Rows: benchRows(n)})
				require.NoError(b, err)
				require.Equal(b, n, res.Updated)
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "assets/s")
		})
	}
}

// benchRowBytes is the total size of the Data of benchRows(n).
func benchRowBytes(n int) int {
	total := 0
	for a := range benchRows(n) {
		total += len(a.Data)
	}
	return total
}

// BenchAssetListPage measures reading a project of n assets page by page
// (page size 1000) through store.AssetAll: all assets, one stage (a
// quarter), one batch (about 13%). Each case reports assets/s of the
// assets read.
func BenchAssetListPage(b *testing.B, newStore func(b *testing.B) store.Store) {
	const n = 100_000
	ctx := b.Context()
	s := newStore(b)
	p := benchProject(b, ctx, s)
	_, err := s.AssetImport(ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: benchRows(n)})
	require.NoError(b, err)

	cases := []struct {
		name   string
		params store.AssetListParams
	}{
		{"All", store.AssetListParams{ProjectID: p.ID}},
		{"Stage", store.AssetListParams{ProjectID: p.ID, StageIDs: []string{"s1"}}},
		{"Batch", store.AssetListParams{ProjectID: p.ID, Batches: []string{"b3"}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			read := 0
			for b.Loop() {
				for a, err := range store.AssetAll(ctx, s, c.params) {
					if err != nil {
						b.Fatal(err)
					}
					_ = a
					read++
				}
			}
			b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "assets/s")
		})
	}
}
