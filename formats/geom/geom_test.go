package geom_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/geom"
)

func TestFromBox(t *testing.T) {
	t.Parallel()
	require.Equal(t, geom.Rect{X0: 180, Y0: 170, X1: 300, Y1: 260}, geom.FromBox(aaf.BoundingBox{X: 300, Y: 260, Width: -120, Height: -90}))
}

func TestRect_Clamp(t *testing.T) {
	t.Parallel()
	r, moved := geom.Rect{X0: -5, Y0: 2, X1: 12, Y1: 4}.Clamp(10, 10)
	require.True(t, moved)
	require.Equal(t, geom.Rect{X0: 0, Y0: 2, X1: 10, Y1: 4}, r)
	r, moved = geom.Rect{X0: 20, Y0: 2, X1: 30, Y1: 4}.Clamp(10, 10)
	require.True(t, moved)
	require.True(t, r.Empty())
	_, moved = geom.Rect{X0: 1, Y0: 1, X1: 2, Y1: 2}.Clamp(10, 10)
	require.False(t, moved)
}

func TestRingArea(t *testing.T) {
	t.Parallel()
	sq := []aaf.Point{{0, 0}, {4, 0}, {4, 3}, {0, 3}}
	require.Equal(t, 12.0, geom.RingArea(sq))
	require.Equal(t, 12.0, geom.RingArea([]aaf.Point{{0, 3}, {4, 3}, {4, 0}, {0, 0}}), "orientation does not matter")
	require.Zero(t, geom.RingArea(sq[:2]))
	require.Equal(t, 8.0, geom.ZoneArea(aaf.Zone{Region: sq, Holes: [][]aaf.Point{{{1, 1}, {3, 1}, {3, 3}, {1, 3}}}}))
}

func TestFromRotatedBox(t *testing.T) {
	t.Parallel()
	// The rotated box of testdata image_small.json: x 700, y 150, 200 x 80,
	// rotation 30, with its exported corners.
	b := &aaf.RotatedBox{X: 700, Y: 150, Width: 200, Height: 80, Rotation: 30,
		Corners: []aaf.Point{{733.3975, 105.359}, {906.6025, 205.359}, {866.6025, 274.641}, {693.3975, 174.641}}}
	fromCorners := geom.FromRotatedBox(b)
	require.InDelta(t, 800, fromCorners.CX, 1e-3)
	require.InDelta(t, 190, fromCorners.CY, 1e-3)
	require.InDelta(t, 200, fromCorners.W, 1e-3)
	require.InDelta(t, 80, fromCorners.H, 1e-3)
	require.InDelta(t, 30, fromCorners.Angle, 1e-3)

	b.Corners = nil
	computed := geom.FromRotatedBox(b).Corners()
	want := []aaf.Point{{733.3975, 105.359}, {906.6025, 205.359}, {866.6025, 274.641}, {693.3975, 174.641}}
	for i := range want {
		require.InDeltaSlice(t, want[i][:], computed[i][:], 1e-3, "corner %d from x, y, size and rotation", i)
	}
	require.InDelta(t, 330, geom.Rotated{Angle: -30}.Angle360(), 1e-9)
}

func TestToolBounds(t *testing.T) {
	t.Parallel()
	seg := &aaf.Tool{Kind: aaf.KindSegmentation, Segmentation: &aaf.Segmentation{Zones: []aaf.Zone{
		{Region: []aaf.Point{{1, 1}, {5, 1}, {5, 5}}}, {Region: []aaf.Point{{10, 2}, {12, 2}, {12, 8}}},
	}}}
	r, ok := geom.ToolBounds(seg)
	require.True(t, ok)
	require.Equal(t, geom.Rect{X0: 1, Y0: 1, X1: 12, Y1: 8}, r)
	_, ok = geom.ToolBounds(&aaf.Tool{Kind: aaf.KindSegmentation, Segmentation: &aaf.Segmentation{}})
	require.False(t, ok)
	_, ok = geom.ToolBounds(&aaf.Tool{Kind: aaf.KindNER, NER: &aaf.NER{}})
	require.False(t, ok)
}
