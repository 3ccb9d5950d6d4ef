// Package raster fills polygons into pixel grids with a scanline even-odd
// fill, for mask images and run-length encodings. It needs nothing but the
// standard library.
//
// A pixel (x, y) covers [x, x+1) x [y, y+1) in AAF coordinates (origin at
// the top-left corner of the image). It is inside a shape when its centre
// (x+0.5, y+0.5) is inside under the even-odd rule, so two polygons that
// share an edge never both paint a pixel and a hole ring cuts its area out
// of the region ring that holds it.
package raster

import (
	"math"
	"slices"

	"github.com/exporthub/exporthub/aaf"
)

// SpanFunc receives one horizontal run of inside pixels: row y, columns
// x0 (inclusive) to x1 (exclusive).
type SpanFunc func(y, x0, x1 int)

// Filler fills shapes into a width x height grid. It reuses its buffers
// between calls; a Filler is not safe for concurrent use.
type Filler struct {
	edges []edge
	xs    []float64
}

type edge struct {
	x0, y0, x1, y1 float64
}

// Fill calls span for every run of pixels inside the shape made of rings
// (each implicitly closed) under the even-odd rule, clipped to the grid.
// Rings with fewer than 3 points add nothing.
func (f *Filler) Fill(width, height int, span SpanFunc, rings ...[]aaf.Point) {
	f.edges = f.edges[:0]
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, ring := range rings {
		if len(ring) < 3 {
			continue
		}
		for i, p := range ring {
			q := ring[(i+1)%len(ring)]
			if p[1] == q[1] {
				continue // horizontal edges never cross a scanline
			}
			f.edges = append(f.edges, edge{p[0], p[1], q[0], q[1]})
			ymin, ymax = min(ymin, p[1], q[1]), max(ymax, p[1], q[1])
		}
	}
	if len(f.edges) == 0 {
		return
	}
	// Rows whose centre lies in [ymin, ymax).
	rowLo := max(0, int(math.Ceil(ymin-0.5)))
	rowHi := min(height, int(math.Ceil(ymax-0.5)))
	for y := rowLo; y < rowHi; y++ {
		cy := float64(y) + 0.5
		f.xs = f.xs[:0]
		for _, e := range f.edges {
			if (e.y0 <= cy && cy < e.y1) || (e.y1 <= cy && cy < e.y0) {
				f.xs = append(f.xs, e.x0+(cy-e.y0)*(e.x1-e.x0)/(e.y1-e.y0))
			}
		}
		slices.Sort(f.xs)
		for i := 0; i+1 < len(f.xs); i += 2 {
			x0 := max(0, int(math.Ceil(f.xs[i]-0.5)))
			x1 := min(width, int(math.Ceil(f.xs[i+1]-0.5)))
			if x0 < x1 {
				span(y, x0, x1)
			}
		}
	}
}
