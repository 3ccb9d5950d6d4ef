package raster_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/raster"
)

// render fills rings into a w x h grid and draws it as text rows.
func render(w, h int, rings ...[]aaf.Point) string {
	grid := make([][]byte, h)
	for y := range grid {
		grid[y] = []byte(strings.Repeat(".", w))
	}
	var f raster.Filler
	f.Fill(w, h, func(y, x0, x1 int) {
		for x := x0; x < x1; x++ {
			grid[y][x] = '#'
		}
	}, rings...)
	rows := make([]string, h)
	for y := range grid {
		rows[y] = string(grid[y])
	}
	return strings.Join(rows, "\n")
}

func TestFiller_Fill(t *testing.T) {
	t.Parallel()
	square := []aaf.Point{{1, 1}, {5, 1}, {5, 5}, {1, 5}}
	hole := []aaf.Point{{2, 2}, {4, 2}, {4, 4}, {2, 4}}
	for _, tc := range []struct {
		name  string
		rings [][]aaf.Point
		want  string
	}{
		{"Square", [][]aaf.Point{square}, "......\n.####.\n.####.\n.####.\n.####.\n......"},
		{"SquareWithHole", [][]aaf.Point{square, hole}, "......\n.####.\n.#..#.\n.#..#.\n.####.\n......"},
		{"ClippedToGrid", [][]aaf.Point{{{-3, -3}, {3, -3}, {3, 2}, {-3, 2}}}, "###...\n###...\n......\n......\n......\n......"},
		{"Triangle", [][]aaf.Point{{{0, 0}, {6, 0}, {0, 6}}}, "#####.\n####..\n###...\n##....\n#.....\n......"},
		{"TooFewPoints", [][]aaf.Point{{{0, 0}, {6, 6}}}, "......\n......\n......\n......\n......\n......"},
		{"OverlapIsEvenOdd", [][]aaf.Point{{{0, 0}, {4, 0}, {4, 2}, {0, 2}}, {{2, 0}, {6, 0}, {6, 2}, {2, 2}}}, "##..##\n##..##\n......\n......\n......\n......"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, render(6, 6, tc.rings...))
		})
	}

	t.Run("SharedEdgePaintsOnce", func(t *testing.T) {
		t.Parallel()
		left := []aaf.Point{{0, 0}, {2.5, 0}, {2.5, 3}, {0, 3}}
		right := []aaf.Point{{2.5, 0}, {6, 0}, {6, 3}, {2.5, 3}}
		count := make([]int, 6*3)
		var f raster.Filler
		for _, r := range [][]aaf.Point{left, right} {
			f.Fill(6, 3, func(y, x0, x1 int) {
				for x := x0; x < x1; x++ {
					count[y*6+x]++
				}
			}, r)
		}
		for i, c := range count {
			require.Equal(t, 1, c, "pixel %d painted %d times", i, c)
		}
	})
}

func FuzzFiller_Fill(f *testing.F) {
	f.Add(1.0, 1.0, 5.0, 1.0, 5.0, 5.0, 1.5, 4.5, 16, 9)
	f.Add(-100.0, 3.0, 1e9, -7.0, 2.0, 1e-9, 0.0, 0.0, 1, 1)
	f.Fuzz(func(t *testing.T, x0, y0, x1, y1, x2, y2, x3, y3 float64, w, h int) {
		if w <= 0 || h <= 0 || w > 64 || h > 64 {
			return
		}
		var f raster.Filler
		f.Fill(w, h, func(y, a, b int) {
			if y < 0 || y >= h || a < 0 || b > w || a >= b {
				t.Fatalf("span y=%d [%d,%d) outside %dx%d", y, a, b, w, h)
			}
		}, []aaf.Point{{x0, y0}, {x1, y1}, {x2, y2}, {x3, y3}})
	})
}
