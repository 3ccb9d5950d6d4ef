// Package geom measures and transforms AAF geometry for the built-in
// converters: axis-aligned bounds, clamping to the image, polygon areas and
// rotated boxes. Coordinates are AAF's: pixels of the original image,
// origin at the top-left corner, x to the right, y downwards.
package geom

import (
	"math"

	"github.com/exporthub/exporthub/aaf"
)

// Rect is an axis-aligned rectangle from (X0, Y0) to (X1, Y1) with
// X0 <= X1 and Y0 <= Y1 once normalised.
type Rect struct {
	X0, Y0, X1, Y1 float64
}

// FromBox returns the rectangle of a bounding-box, normalising a negative
// width or height (a box drawn from its bottom-right corner).
func FromBox(b aaf.BoundingBox) Rect {
	n := b.Normalize()
	return Rect{X0: n.X, Y0: n.Y, X1: n.X + n.Width, Y1: n.Y + n.Height}
}

// Bounds returns the smallest rectangle holding every point of rings, and
// false when they hold no point.
func Bounds(rings ...[]aaf.Point) (Rect, bool) {
	r := Rect{X0: math.Inf(1), Y0: math.Inf(1), X1: math.Inf(-1), Y1: math.Inf(-1)}
	any := false
	for _, ring := range rings {
		for _, p := range ring {
			any = true
			r.X0, r.X1 = min(r.X0, p[0]), max(r.X1, p[0])
			r.Y0, r.Y1 = min(r.Y0, p[1]), max(r.Y1, p[1])
		}
	}
	return r, any
}

// W returns the width of r.
func (r Rect) W() float64 { return r.X1 - r.X0 }

// H returns the height of r.
func (r Rect) H() float64 { return r.Y1 - r.Y0 }

// Area returns the area of r.
func (r Rect) Area() float64 { return r.W() * r.H() }

// Empty reports whether r has no area.
func (r Rect) Empty() bool { return !(r.W() > 0 && r.H() > 0) }

// Clamp returns r limited to [0, width] x [0, height] and whether anything
// was cut off.
func (r Rect) Clamp(width, height float64) (Rect, bool) {
	c := Rect{
		X0: clamp(r.X0, width), Y0: clamp(r.Y0, height),
		X1: clamp(r.X1, width), Y1: clamp(r.Y1, height),
	}
	return c, c != r
}

// Corners returns the four corners of r clockwise from the top-left one.
func (r Rect) Corners() [4]aaf.Point {
	return [4]aaf.Point{{r.X0, r.Y0}, {r.X1, r.Y0}, {r.X1, r.Y1}, {r.X0, r.Y1}}
}

// ClampPoints returns pts with every coordinate limited to [0, width] x
// [0, height] and whether any point moved. pts is not modified.
func ClampPoints(pts []aaf.Point, width, height float64) ([]aaf.Point, bool) {
	out := make([]aaf.Point, len(pts))
	moved := false
	for i, p := range pts {
		out[i] = aaf.Point{clamp(p[0], width), clamp(p[1], height)}
		moved = moved || out[i] != p
	}
	return out, moved
}

// RingArea returns the area enclosed by a ring (shoelace formula, implicit
// closure), whatever its orientation.
func RingArea(ring []aaf.Point) float64 {
	if len(ring) < 3 {
		return 0
	}
	var s float64
	for i, p := range ring {
		q := ring[(i+1)%len(ring)]
		s += p[0]*q[1] - q[0]*p[1]
	}
	return math.Abs(s) / 2
}

// ZoneArea returns the area of a segmentation zone: its region minus its
// holes, never below zero.
func ZoneArea(z aaf.Zone) float64 {
	a := RingArea(z.Region)
	for _, h := range z.Holes {
		a -= RingArea(h)
	}
	return max(a, 0)
}

// Rotated is a rotated box: centre, size and angle. Angle is in degrees,
// positive when the box's top edge turns clockwise on screen (y down), so
// a corner is centre + R(Angle) * offset.
type Rotated struct {
	CX, CY, W, H, Angle float64
}

// FromRotatedBox returns the rotated box of a rotated-bounding-box. The
// four corners are authoritative when present (aaf.md 8.2), in the order
// top-left, top-right, bottom-right, bottom-left of the unrotated box;
// otherwise x, y (unrotated top-left), width, height and rotation are used.
func FromRotatedBox(b *aaf.RotatedBox) Rotated {
	if len(b.Corners) == 4 {
		c := b.Corners
		return Rotated{
			CX:    (c[0][0] + c[1][0] + c[2][0] + c[3][0]) / 4,
			CY:    (c[0][1] + c[1][1] + c[2][1] + c[3][1]) / 4,
			W:     math.Hypot(c[1][0]-c[0][0], c[1][1]-c[0][1]),
			H:     math.Hypot(c[2][0]-c[1][0], c[2][1]-c[1][1]),
			Angle: math.Atan2(c[1][1]-c[0][1], c[1][0]-c[0][0]) * 180 / math.Pi,
		}
	}
	n := aaf.BoundingBox{X: b.X, Y: b.Y, Width: b.Width, Height: b.Height}.Normalize()
	return Rotated{CX: n.X + n.Width/2, CY: n.Y + n.Height/2, W: n.Width, H: n.Height, Angle: b.Rotation}
}

// RotatedCorners returns the corners of a rotated-bounding-box: its
// "corners" as exported when there are four, else the ones computed from
// x, y, width, height and rotation (see [FromRotatedBox]).
func RotatedCorners(b *aaf.RotatedBox) [4]aaf.Point {
	if len(b.Corners) == 4 {
		return [4]aaf.Point(b.Corners)
	}
	return FromRotatedBox(b).Corners()
}

// Round returns v rounded to 6 decimals, which drops the float noise of
// computed coordinates (1e-6 pixel is far below any annotation's precision).
func Round(v float64) float64 {
	r := math.Round(v*1e6) / 1e6
	if r == 0 {
		return 0 // no "-0"
	}
	return r
}

// Corners returns the four corners in the order top-left, top-right,
// bottom-right, bottom-left of the unrotated box.
func (r Rotated) Corners() [4]aaf.Point {
	sin, cos := math.Sincos(r.Angle * math.Pi / 180)
	var out [4]aaf.Point
	for i, o := range [4][2]float64{{-r.W / 2, -r.H / 2}, {r.W / 2, -r.H / 2}, {r.W / 2, r.H / 2}, {-r.W / 2, r.H / 2}} {
		out[i] = aaf.Point{r.CX + o[0]*cos - o[1]*sin, r.CY + o[0]*sin + o[1]*cos}
	}
	return out
}

// Angle360 returns the angle in [0, 360).
func (r Rotated) Angle360() float64 {
	a := math.Mod(r.Angle, 360)
	if a < 0 {
		a += 360
	}
	return a
}

// ToolBounds returns the axis-aligned bounds of a drawn object: box,
// rotated box, polygon, polyline, point or segmentation. It returns false
// for other kinds and for objects without coordinates.
func ToolBounds(t *aaf.Tool) (Rect, bool) {
	switch t.Kind {
	case aaf.KindBoundingBox:
		if t.BoundingBox == nil {
			return Rect{}, false
		}
		return FromBox(*t.BoundingBox), true
	case aaf.KindRotatedBoundingBox:
		if t.RotatedBox == nil {
			return Rect{}, false
		}
		c := RotatedCorners(t.RotatedBox)
		return Bounds(c[:])
	case aaf.KindPolygon:
		return Bounds(t.Polygon)
	case aaf.KindPolyline:
		return Bounds(t.Polyline)
	case aaf.KindPoint:
		if t.Point == nil {
			return Rect{}, false
		}
		return Bounds([]aaf.Point{*t.Point})
	case aaf.KindSegmentation:
		if t.Segmentation == nil {
			return Rect{}, false
		}
		rings := make([][]aaf.Point, 0, len(t.Segmentation.Zones))
		for _, z := range t.Segmentation.Zones {
			rings = append(rings, z.Region)
		}
		return Bounds(rings...)
	}
	return Rect{}, false
}

func clamp(v, hi float64) float64 { return min(max(v, 0), hi) }
