package store

import (
	"context"
	"iter"
)

// AssetAll iterates every asset matching p (AfterSeq and Limit give the
// start and the page size), one page at a time, so memory stays bounded by
// the page size. Iteration stops at the first error.
func AssetAll(ctx context.Context, s Store, p AssetListParams) iter.Seq2[*Asset, error] {
	return func(yield func(*Asset, error) bool) {
		for {
			page, err := s.AssetListPage(ctx, &p)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, a := range page {
				if !yield(a, nil) {
					return
				}
				p.AfterSeq = a.Seq
			}
			limit := p.Limit
			if limit <= 0 {
				limit = DefaultAssetPageSize
			}
			if len(page) < limit {
				return
			}
		}
	}
}

// DefaultAssetPageSize is the page size of AssetListPage when Limit is 0.
const DefaultAssetPageSize = 1000
