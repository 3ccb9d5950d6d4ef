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

// genAssets returns n assets with ids, a mix of stages ("s0", "s1",
// none), batches ("b1", "b2", both, none), every other one pre-labeled,
// and raw JSON whose key order and spacing a store must keep.
func genAssets(n int) []*store.Asset {
	out := make([]*store.Asset, n)
	for i := range n {
		a := &store.Asset{
			ID:         fmt.Sprintf("a%023x", i),
			TaskID:     fmt.Sprintf("t%023x", i),
			ExternalID: fmt.Sprintf("asset-%05d", i),
			PreLabeled: i%2 == 0,
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
	if len(p.StageIDs) > 0 && !slices.Contains(p.StageIDs, a.StageID) ||
		len(p.IDs) > 0 && !slices.Contains(p.IDs, a.ID) ||
		len(p.TaskIDs) > 0 && !slices.Contains(p.TaskIDs, a.TaskID) ||
		len(p.ExternalIDs) > 0 && !slices.Contains(p.ExternalIDs, a.ExternalID) ||
		p.PreLabeled != nil && *p.PreLabeled != a.PreLabeled {
		return false
	}
	for _, b := range p.AllBatches {
		if !slices.Contains(a.Batches, b) {
			return false
		}
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

		// No ids: the replaced asset keeps its own.
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
		wantChanged := stored(p.ID, changed)
		wantChanged.ID, wantChanged.TaskID = in[1].ID, in[1].TaskID
		require.Equal(t, []*store.Asset{stored(p.ID, in[0]), wantChanged, stored(p.ID, in[2])}, withoutSeq(got))

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
		first := &store.Asset{ID: "a1", TaskID: "t1", ExternalID: "x", Batches: []string{"b1"}, UpdatedAt: at(1), Data: json.RawMessage(`{"v":1}`)}
		second := &store.Asset{ID: "a2", TaskID: "t2", ExternalID: "x", Batches: []string{"b2"}, UpdatedAt: at(2), Data: json.RawMessage(`{"v":2}`)}
		other := &store.Asset{ID: "a3", TaskID: "t3", ExternalID: "y", UpdatedAt: at(3), Data: json.RawMessage(`{"v":3}`)}
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
		yes, no := true, false
		more := []struct {
			name   string
			params store.AssetListParams
		}{
			{"IDs", store.AssetListParams{IDs: []string{in[3].ID, in[7].ID, "nope"}}},
			{"TaskIDs", store.AssetListParams{TaskIDs: []string{in[4].TaskID, in[9].TaskID}}},
			{"ExternalIDs", store.AssetListParams{ExternalIDs: []string{in[1].ExternalID, in[39].ExternalID}}},
			{"AllBatches", store.AssetListParams{AllBatches: []string{"b1", "b2"}}},
			{"AllBatchesOne", store.AssetListParams{AllBatches: []string{"b2"}}},
			{"AllBatchesUnknown", store.AssetListParams{AllBatches: []string{"b1", "nope"}}},
			{"PreLabeled", store.AssetListParams{PreLabeled: &yes}},
			{"NotPreLabeledInStage", store.AssetListParams{PreLabeled: &no, StageIDs: []string{"s1"}}},
			{"UnknownTaskID", store.AssetListParams{TaskIDs: []string{"nope"}}},
		}
		for _, f := range more {
			params := f.params
			params.ProjectID, params.Limit = p.ID, 3
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

	t.Run("ImportIDs", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		for _, mode := range []store.ImportMode{store.ImportAppend, store.ImportUpsert} {
			given := &store.Asset{ID: "aaf-asset-" + string(mode), TaskID: "aaf-task-" + string(mode), ExternalID: "given-" + string(mode),
				PreLabeled: true, Data: json.RawMessage(`{}`)}
			none1 := &store.Asset{ExternalID: "none1-" + string(mode), Data: json.RawMessage(`{}`)}
			none2 := &store.Asset{ExternalID: "none2-" + string(mode), Data: json.RawMessage(`{}`)}
			_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Mode: mode,
				Rows: assetRows([]*store.Asset{given, none1, none2})})
			require.NoError(t, err)
			got := listAll(t, b, store.AssetListParams{ProjectID: p.ID, ExternalIDs: []string{given.ExternalID, none1.ExternalID, none2.ExternalID}})
			require.Len(t, got, 3)
			require.Equal(t, given.ID, got[0].ID, "mode %s: the given asset id is kept", mode)
			require.Equal(t, given.TaskID, got[0].TaskID, "mode %s: the given task id is kept", mode)
			require.True(t, got[0].PreLabeled)
			require.False(t, got[1].PreLabeled)
			seen := map[string]bool{}
			for _, a := range got[1:] {
				for _, id := range []string{a.ID, a.TaskID} {
					require.Regexp(t, `^[0-9a-f]{24}$`, id, "mode %s: a missing id is a new NewID", mode)
					require.False(t, seen[id], "mode %s: new ids are distinct", mode)
					seen[id] = true
				}
			}
		}
	})

	t.Run("ImportUpsertIDs", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: assetRows([]*store.Asset{
			{ExternalID: "x", Data: json.RawMessage(`{}`)}, {ExternalID: "y", Data: json.RawMessage(`{}`)}})})
		require.NoError(t, err)
		before := listAll(t, b, store.AssetListParams{ProjectID: p.ID})
		_, err = b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Mode: store.ImportUpsert, Rows: assetRows([]*store.Asset{
			{ExternalID: "x", Data: json.RawMessage(`{"v":2}`)}, {ExternalID: "y", TaskID: "aaf-task-y", Data: json.RawMessage(`{"v":2}`)}})})
		require.NoError(t, err)
		after := listAll(t, b, store.AssetListParams{ProjectID: p.ID})
		require.Equal(t, before[0].ID, after[0].ID, "an upsert without ids keeps the asset id")
		require.Equal(t, before[0].TaskID, after[0].TaskID, "an upsert without ids keeps the task id")
		require.Equal(t, before[1].ID, after[1].ID, "an upsert without an asset id keeps it")
		require.Equal(t, "aaf-task-y", after[1].TaskID, "an upsert with a task id sets it")
	})

	t.Run("ImportDuplicateIDsConflict", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: assetRows([]*store.Asset{
			{ExternalID: "x", ID: "a-x", TaskID: "t-x", Data: json.RawMessage(`{}`)}})})
		require.NoError(t, err)
		for _, mode := range []store.ImportMode{store.ImportAppend, store.ImportUpsert} {
			for _, tc := range []struct {
				name, key, value string
				rows             []*store.Asset
			}{
				{"TaskInProject", "taskId", "t-x", []*store.Asset{{ExternalID: "y", TaskID: "t-x", Data: json.RawMessage(`{}`)}}},
				{"TaskInInput", "taskId", "t-z", []*store.Asset{{ExternalID: "y", TaskID: "t-z", Data: json.RawMessage(`{}`)},
					{ExternalID: "z", TaskID: "t-z", Data: json.RawMessage(`{}`)}}},
				{"AssetInProject", "assetId", "a-x", []*store.Asset{{ExternalID: "y", ID: "a-x", Data: json.RawMessage(`{}`)}}},
			} {
				_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Mode: mode, Rows: assetRows(tc.rows)})
				require.ErrorIs(t, err, store.ErrConflict, "mode %s, %s", mode, tc.name)
				require.ErrorContains(t, err, tc.key, "mode %s, %s: the error names the key", mode, tc.name)
				require.ErrorContains(t, err, tc.value, "mode %s, %s: the error names the value", mode, tc.name)
				n, err := b.s.AssetCount(b.ctx, &store.AssetListParams{ProjectID: p.ID})
				require.NoError(t, err)
				require.Equal(t, int64(1), n, "mode %s, %s: nothing is written", mode, tc.name)
			}
		}
		other := b.project(o.ID)
		_, err = b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: other.ID, Rows: assetRows([]*store.Asset{
			{ExternalID: "x", ID: "a-x", TaskID: "t-x", Data: json.RawMessage(`{}`)}})})
		require.NoError(t, err, "ids are unique per project, not across projects")
	})

	t.Run("ListPagesByNumberAndOrder", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		in := genAssets(7)
		_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: assetRows(in)})
		require.NoError(t, err)
		externalIDs := func(a *store.Asset) string { return a.ExternalID }
		page := func(offset int, order ...store.AssetOrder) []string {
			got, err := b.s.AssetListPage(b.ctx, &store.AssetListParams{ProjectID: p.ID, Offset: offset, Limit: 3, OrderBy: order})
			require.NoError(t, err)
			return ids(got, externalIDs)
		}
		all := ids(in, externalIDs)
		require.Equal(t, all[3:6], page(3), "Offset skips matching assets in Seq order")
		require.Equal(t, all[6:], page(6))
		require.Empty(t, page(9))
		desc := slices.Clone(all)
		slices.Reverse(desc)
		require.Equal(t, desc[:3], page(0, store.AssetOrder{Field: store.AssetOrderExternalID, Desc: true}))
		require.Equal(t, desc[3:6], page(3, store.AssetOrder{Field: store.AssetOrderExternalID, Desc: true}))
		// Stage s0, s1, none by index: ordered by stage, ties by Seq.
		require.Equal(t, []string{all[2], all[5], all[0]}, page(0, store.AssetOrder{Field: store.AssetOrderStageID}))
		_, err = b.s.AssetListPage(b.ctx, &store.AssetListParams{ProjectID: p.ID, OrderBy: []store.AssetOrder{{Field: "data"}}})
		require.ErrorContains(t, err, `"data"`, "an unknown order field is an error")
	})

	t.Run("ListByTask", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o, other := b.org(), b.org()
		p1, p2, p3 := b.project(o.ID), b.project(o.ID), b.project(other.ID)
		for _, p := range []*store.Project{p2, p1, p3} {
			_, err := b.s.AssetImport(b.ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: assetRows([]*store.Asset{
				{ExternalID: "x-" + p.ID, TaskID: "shared", Data: json.RawMessage(`{}`)},
				{ExternalID: "y", Data: json.RawMessage(`{}`)}})})
			require.NoError(t, err)
		}
		got, err := b.s.AssetListByTask(b.ctx, o.ID, "shared")
		require.NoError(t, err)
		require.Equal(t, []string{"x-" + p1.ID, "x-" + p2.ID}, ids(got, func(a *store.Asset) string { return a.ExternalID }),
			"the task in each project of the organization, oldest project first; none of another organization")
		require.Equal(t, p1.ID, got[0].ProjectID)
		require.Equal(t, "shared", got[0].TaskID)
		none, err := b.s.AssetListByTask(b.ctx, o.ID, "nope")
		require.NoError(t, err)
		require.Empty(t, none)
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
