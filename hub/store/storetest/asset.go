package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

// genAssets returns n assets with a mix of stages ("s0", "s1", none),
// batches ("b1", "b2", both, none) and raw JSON whose key order and spacing
// a store must keep.
func genAssets(n int) []*store.Asset {
	out := make([]*store.Asset, n)
	for i := range n {
		a := &store.Asset{
			ExternalID: fmt.Sprintf("asset-%05d", i),
			UpdatedAt:  at(i),
			Data: json.RawMessage(fmt.Sprintf(`{"externalId": "asset-%05d",  "z":%d, "a":{"y":[1, 2],"b":null}}`,
				i, i)),
		}
		if i%3 != 2 {
			a.StageID = fmt.Sprintf("s%d", i%3)
		}
		switch i % 4 {
		case 0:
			a.Batches = []string{"b1"}
		case 1:
			a.Batches = []string{"b2"}
		case 2:
			a.Batches = []string{"b1", "b2"}
		}
		out[i] = a
	}
	return out
}

// assetRows yields assets one by one.
func assetRows(assets []*store.Asset) iter.Seq2[*store.Asset, error] {
	return func(yield func(*store.Asset, error) bool) {
		for _, a := range assets {
			if !yield(a, nil) {
				return
			}
		}
	}
}

// stored is what a store gives back for asset a of project projectID
// (Seq aside).
func stored(projectID string, a *store.Asset) *store.Asset {
	out := *a
	out.ProjectID = projectID
	out.UpdatedAt = norm(a.UpdatedAt)
	out.Seq = 0
	return &out
}

// withoutSeq copies assets with the fields the store sets (Seq,
// CreatedAt) cleared.
func withoutSeq(assets []*store.Asset) []*store.Asset {
	out := make([]*store.Asset, len(assets))
	for i, a := range assets {
		c := *a
		c.Seq = 0
		c.CreatedAt = time.Time{}
		out[i] = &c
	}
	return out
}

// matches reports whether a passes the filter of p.
func matches(a *store.Asset, p *store.AssetListParams) bool {
	if len(p.StageIDs) > 0 && !slices.Contains(p.StageIDs, a.StageID) {
		return false
	}
	if !p.UpdatedAfter.IsZero() && !a.UpdatedAt.After(p.UpdatedAfter) ||
		!p.UpdatedBefore.IsZero() && !a.UpdatedAt.Before(p.UpdatedBefore) {
		return false
	}
	if len(p.Batches) == 0 {
		return true
	}
	for _, b := range a.Batches {
		if slices.Contains(p.Batches, b) {
			return true
		}
	}
	return false
}

// listAll pages through AssetListPage with page size limit and checks
// that Seq increases.
func listAll(t *testing.T, b *bundle, p store.AssetListParams) []*store.Asset {
	t.Helper()
	var out []*store.Asset
	for a, err := range store.AssetAll(b.ctx, b.s, p) {
		require.NoError(t, err)
		if len(out) > 0 {
			require.Greater(t, a.Seq, out[len(out)-1].Seq, "Seq increases")
		}
		out = append(out, a)
	}
	return out
}

var errBoom = errors.New("boom: the reader failed")

func testAsset(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("ImportAndList", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		in := genAssets(4)
		res, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Mode: store.ImportAppend, Rows: assetRows(in)})
		require.NoError(t, err)
		require.Equal(t, &store.AssetImportResult{Inserted: 4}, res)

		got, err := b.s.AssetListPage(b.ctx, &store.AssetListParams{ProjectID: p.ID})
		require.NoError(t, err)
		require.Len(t, got, 4)
		for i, a := range got {
			if i > 0 {
				require.Greater(t, a.Seq, got[i-1].Seq, "Seq follows insertion order")
			}
			require.Equal(t, string(in[i].Data), string(a.Data), "Data is kept byte for byte")
		}
		want := make([]*store.Asset, len(in))
		for i, a := range in {
			want[i] = stored(p.ID, a)
		}
		require.Equal(t, want, withoutSeq(got))
	})

	t.Run("ImportSetsUpdatedAt", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		a := &store.Asset{ExternalID: "x", Data: json.RawMessage(`{}`)}
		_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: assetRows([]*store.Asset{a})})
		require.NoError(t, err)
		got, err := b.s.AssetListPage(b.ctx, &store.AssetListParams{ProjectID: p.ID})
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.False(t, got[0].UpdatedAt.IsZero(), "a zero UpdatedAt becomes the import time")
		require.False(t, got[0].CreatedAt.IsZero(), "CreatedAt is the import time")
		require.Nil(t, got[0].Batches)
		require.Empty(t, got[0].StageID)
	})

	t.Run("ImportAppendExistingConflict", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		in := genAssets(3)
		_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: assetRows(in[:2])})
		require.NoError(t, err)

		_, err = b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Mode: store.ImportAppend,
			Rows: assetRows([]*store.Asset{in[2], in[0]})})
		require.ErrorIs(t, err, store.ErrConflict)
		require.ErrorContains(t, err, in[0].ExternalID, "the error names the externalId")
		n, err := b.s.AssetCount(b.ctx, &store.AssetListParams{ProjectID: p.ID})
		require.NoError(t, err)
		require.Equal(t, int64(2), n, "nothing of the failed import is written")
	})

	t.Run("ImportAppendTwiceInInputConflict", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		in := genAssets(3)
		_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID,
			Rows: assetRows([]*store.Asset{in[0], in[1], in[2], in[1]})})
		require.ErrorIs(t, err, store.ErrConflict)
		require.ErrorContains(t, err, in[1].ExternalID)
		n, err := b.s.AssetCount(b.ctx, &store.AssetListParams{ProjectID: p.ID})
		require.NoError(t, err)
		require.Zero(t, n)
	})

	t.Run("ImportSameExternalIDInTwoProjects", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p1, p2 := b.project(o.ID), b.project(o.ID)
		in := genAssets(2)
		for _, p := range []*store.Project{p1, p2} {
			_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: assetRows(in)})
			require.NoError(t, err)
		}
	})

	t.Run("ImportRowsErrorRollsBack", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: assetRows(genAssets(3))})
		require.NoError(t, err)

		for _, mode := range []store.ImportMode{store.ImportAppend, store.ImportUpsert} {
			all := genAssets(600)
			read := 0
			rows := func(yield func(*store.Asset, error) bool) {
				for _, a := range all[100:] {
					read++
					if !yield(a, nil) {
						return
					}
				}
				yield(nil, errBoom)
			}
			_, err = b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Mode: mode, Rows: rows})
			require.ErrorIs(t, err, errBoom, "mode %s: the reader's error is returned", mode)
			require.Equal(t, 500, read)

			got := listAll(t, b, store.AssetListParams{ProjectID: p.ID})
			require.Len(t, got, 3, "mode %s: no row of the failed import is written", mode)
			want := genAssets(3)
			for i, a := range got {
				require.Equal(t, string(want[i].Data), string(a.Data), "mode %s: existing rows are untouched", mode)
			}
			counts, err := b.s.AssetCounts(b.ctx, p.ID)
			require.NoError(t, err)
			require.Equal(t, int64(3), counts.Total)
		}
	})

	t.Run("ImportCancelledRollsBack", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		ctx, cancel := context.WithCancel(b.ctx)
		defer cancel()
		all := genAssets(1000)
		rows := func(yield func(*store.Asset, error) bool) {
			for i, a := range all {
				if i == 300 {
					cancel()
				}
				if !yield(a, nil) {
					return
				}
			}
		}
		_, err := b.s.AssetImport(ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: rows})
		require.ErrorIs(t, err, context.Canceled)
		n, err := b.s.AssetCount(b.ctx, &store.AssetListParams{ProjectID: p.ID})
		require.NoError(t, err)
		require.Zero(t, n, "a cancelled import writes nothing")
	})

	t.Run("ImportInvalidRowRollsBack", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		in := genAssets(5)
		in[3] = &store.Asset{Data: json.RawMessage(`{}`)}
		_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: assetRows(in)})
		require.ErrorContains(t, err, "asset 4")
		require.ErrorContains(t, err, "externalId")
		n, err := b.s.AssetCount(b.ctx, &store.AssetListParams{ProjectID: p.ID})
		require.NoError(t, err)
		require.Zero(t, n)
	})

	t.Run("ImportUpsertReplaces", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		in := genAssets(3)
		_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: assetRows(in[:2])})
		require.NoError(t, err)
		before := listAll(t, b, store.AssetListParams{ProjectID: p.ID})

		changed := &store.Asset{ExternalID: in[1].ExternalID, StageID: "s9", Batches: []string{"b9"},
			UpdatedAt: at(100), Data: json.RawMessage(`{"externalId":"changed"}`)}
		res, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Mode: store.ImportUpsert,
			Rows: assetRows([]*store.Asset{changed, in[2]})})
		require.NoError(t, err)
		require.Equal(t, &store.AssetImportResult{Inserted: 1, Updated: 1}, res)

		got := listAll(t, b, store.AssetListParams{ProjectID: p.ID})
		require.Len(t, got, 3)
		require.Equal(t, before[1].Seq, got[1].Seq, "a replaced asset keeps its Seq")
		require.Equal(t, before[1].CreatedAt, got[1].CreatedAt, "a replaced asset keeps its CreatedAt")
		require.Equal(t, []*store.Asset{stored(p.ID, in[0]), stored(p.ID, changed), stored(p.ID, in[2])}, withoutSeq(got))

		counts, err := b.s.AssetCounts(b.ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, map[string]int64{"b1": 2, "b2": 1, "b9": 1}, counts.ByBatch,
			"the old batches of a replaced asset are gone")
		inB2 := listAll(t, b, store.AssetListParams{ProjectID: p.ID, Batches: []string{"b2"}})
		require.Equal(t, []string{in[2].ExternalID}, ids(inB2, func(a *store.Asset) string { return a.ExternalID }),
			"the replaced asset left batch b2")
	})

	t.Run("ImportUpsertTwiceInInput", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		first := &store.Asset{ExternalID: "x", Batches: []string{"b1"}, UpdatedAt: at(1), Data: json.RawMessage(`{"v":1}`)}
		second := &store.Asset{ExternalID: "x", Batches: []string{"b2"}, UpdatedAt: at(2), Data: json.RawMessage(`{"v":2}`)}
		other := &store.Asset{ExternalID: "y", UpdatedAt: at(3), Data: json.RawMessage(`{"v":3}`)}
		res, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Mode: store.ImportUpsert,
			Rows: assetRows([]*store.Asset{first, other, second})})
		require.NoError(t, err)
		require.Equal(t, &store.AssetImportResult{Inserted: 2, Updated: 1}, res)
		got := listAll(t, b, store.AssetListParams{ProjectID: p.ID})
		require.Equal(t, []*store.Asset{stored(p.ID, second), stored(p.ID, other)}, withoutSeq(got),
			"the later row wins and keeps the first one's place")
	})

	t.Run("ImportMissingProjectNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: store.NewID(), Rows: assetRows(genAssets(1))})
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: store.NewID(), Rows: assetRows(nil)})
		require.ErrorIs(t, err, store.ErrNotFound, "even with no rows")
	})

	t.Run("ImportUnknownMode", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Mode: "merge", Rows: assetRows(genAssets(1))})
		require.ErrorContains(t, err, `"merge"`)
	})

	t.Run("ListPagesWithKeyset", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p, other := b.project(o.ID), b.project(o.ID)
		in := genAssets(25)
		_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: assetRows(in[:10])})
		require.NoError(t, err)
		_, err = b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: other.ID, Rows: assetRows(genAssets(7))})
		require.NoError(t, err)
		_, err = b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: assetRows(in[10:])})
		require.NoError(t, err)

		var (
			pages [][]*store.Asset
			after int64
		)
		for {
			page, err := b.s.AssetListPage(b.ctx, &store.AssetListParams{ProjectID: p.ID, AfterSeq: after, Limit: 10})
			require.NoError(t, err)
			if len(page) == 0 {
				break
			}
			pages = append(pages, page)
			after = page[len(page)-1].Seq
		}
		require.Equal(t, []int{10, 10, 5}, []int{len(pages[0]), len(pages[1]), len(pages[2])})
		var got []string
		for _, page := range pages {
			got = append(got, ids(page, func(a *store.Asset) string { return a.ExternalID })...)
		}
		require.Equal(t, ids(in, func(a *store.Asset) string { return a.ExternalID }), got,
			"pages follow insertion order and skip other projects")
	})

	t.Run("ListFilters", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p, other := b.project(o.ID), b.project(o.ID)
		in := genAssets(40)
		_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: assetRows(in)})
		require.NoError(t, err)
		_, err = b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: other.ID, Rows: assetRows(genAssets(12))})
		require.NoError(t, err)

		filters := []struct {
			name    string
			stages  []string
			batches []string
			// after and before bound UpdatedAt (exclusive) when >= 0.
			after, before int
		}{
			{"None", nil, nil, -1, -1},
			{"Stage", []string{"s1"}, nil, -1, -1},
			{"TwoStages", []string{"s1", "s0"}, nil, -1, -1},
			{"OneBatch", nil, []string{"b1"}, -1, -1},
			{"TwoBatches", nil, []string{"b1", "b2"}, -1, -1},
			{"StageAndBatch", []string{"s0"}, []string{"b2"}, -1, -1},
			{"UnknownBatch", nil, []string{"nope"}, -1, -1},
			{"UnknownStage", []string{"nope"}, nil, -1, -1},
			{"UpdatedAfter", nil, nil, 30, -1},
			{"UpdatedBefore", nil, nil, -1, 5},
			{"UpdatedBetweenAndStage", []string{"s1"}, nil, 3, 20},
		}
		for _, f := range filters {
			params := store.AssetListParams{ProjectID: p.ID, StageIDs: f.stages, Batches: f.batches, Limit: 4}
			if f.after >= 0 {
				params.UpdatedAfter = at(f.after)
			}
			if f.before >= 0 {
				params.UpdatedBefore = at(f.before)
			}
			want := []string{}
			for _, a := range in {
				if matches(a, &params) {
					want = append(want, a.ExternalID)
				}
			}
			got := listAll(t, b, params)
			require.Equal(t, want, ids(got, func(a *store.Asset) string { return a.ExternalID }), "filter %s", f.name)
			n, err := b.s.AssetCount(b.ctx, &params)
			require.NoError(t, err)
			require.Equal(t, int64(len(want)), n, "count with filter %s", f.name)
		}
	})

	t.Run("ListCreatedRange", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		in := genAssets(4)
		_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: assetRows(in[:2])})
		require.NoError(t, err)
		first := listAll(t, b, store.AssetListParams{ProjectID: p.ID})
		created := first[0].CreatedAt
		require.Equal(t, created, first[1].CreatedAt, "one import, one CreatedAt")
		for !time.Now().After(created.Add(time.Microsecond)) {
			// The next import must get a later time at the stores' precision.
		}
		_, err = b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: assetRows(in[2:])})
		require.NoError(t, err)
		externalIDs := func(a *store.Asset) string { return a.ExternalID }
		later := listAll(t, b, store.AssetListParams{ProjectID: p.ID, CreatedAfter: created})
		require.Equal(t, []string{in[2].ExternalID, in[3].ExternalID}, ids(later, externalIDs))
		earlier := listAll(t, b, store.AssetListParams{ProjectID: p.ID, CreatedBefore: later[0].CreatedAt})
		require.Equal(t, []string{in[0].ExternalID, in[1].ExternalID}, ids(earlier, externalIDs))
		n, err := b.s.AssetCount(b.ctx, &store.AssetListParams{ProjectID: p.ID, CreatedAfter: created, CreatedBefore: later[0].CreatedAt})
		require.NoError(t, err)
		require.Zero(t, n)
	})

	t.Run("ListDefaultLimit", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		rows := func(yield func(*store.Asset, error) bool) {
			for i := range store.DefaultAssetPageSize + 5 {
				if !yield(&store.Asset{ExternalID: fmt.Sprint(i), Data: json.RawMessage(`{}`)}, nil) {
					return
				}
			}
		}
		_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: rows})
		require.NoError(t, err)
		page, err := b.s.AssetListPage(b.ctx, &store.AssetListParams{ProjectID: p.ID})
		require.NoError(t, err)
		require.Len(t, page, store.DefaultAssetPageSize)
	})

	t.Run("ListMissingProjectEmpty", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		page, err := b.s.AssetListPage(b.ctx, &store.AssetListParams{ProjectID: store.NewID()})
		require.NoError(t, err)
		require.Empty(t, page)
	})

	t.Run("Counts", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p, other := b.project(o.ID), b.project(o.ID)
		in := genAssets(12)
		_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: assetRows(in)})
		require.NoError(t, err)
		_, err = b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: other.ID, Rows: assetRows(genAssets(5))})
		require.NoError(t, err)

		want := &store.AssetCounts{Total: 12, ByStage: map[string]int64{}, ByBatch: map[string]int64{}}
		for _, a := range in {
			if a.StageID != "" {
				want.ByStage[a.StageID]++
			}
			for _, bt := range a.Batches {
				want.ByBatch[bt]++
			}
		}
		got, err := b.s.AssetCounts(b.ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)

		empty, err := b.s.AssetCounts(b.ctx, b.project(o.ID).ID)
		require.NoError(t, err)
		require.Equal(t, &store.AssetCounts{ByStage: map[string]int64{}, ByBatch: map[string]int64{}}, empty)
	})
}
