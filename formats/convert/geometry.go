package convert

import (
	"encoding/json"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/formats/geom"
)

// Geometry returns an object's geometry as a JSON-ready value in AAF's own
// shape (aaf.md 8), with a bounding-box normalised to a non-negative width
// and height: {"x","y","width","height"}; a rotated box with its
// "rotation" and "corners"; [[x, y], ...] for polygons and polylines;
// [x, y] for a point; {"zones": [{"region", "holes"}]}; {"start", "end",
// "selection"} for ner; the exported value for pdf and spline; nil for an
// entry without geometry.
func Geometry(t *aaf.Tool) any {
	switch t.Kind {
	case aaf.KindBoundingBox:
		if b := t.BoundingBox; b != nil {
			n := b.Normalize()
			return box{X: n.X, Y: n.Y, Width: n.Width, Height: n.Height}
		}
	case aaf.KindRotatedBoundingBox:
		if b := t.RotatedBox; b != nil {
			return rotated{X: b.X, Y: b.Y, Width: b.Width, Height: b.Height, Rotation: b.Rotation, Corners: b.Corners}
		}
	case aaf.KindPolygon:
		return t.Polygon
	case aaf.KindPolyline:
		return t.Polyline
	case aaf.KindPoint:
		return t.Point
	case aaf.KindSegmentation:
		if s := t.Segmentation; s != nil {
			out := segmentation{Zones: make([]zone, len(s.Zones))}
			for i, z := range s.Zones {
				out.Zones[i] = zone{Region: z.Region, Holes: z.Holes}
				if out.Zones[i].Holes == nil {
					out.Zones[i].Holes = [][]aaf.Point{}
				}
			}
			return out
		}
	case aaf.KindNER:
		if n := t.NER; n != nil {
			return ner{Start: n.Start, End: n.End, Selection: n.Selection}
		}
	case aaf.KindPDF:
		if p := t.PDF; p != nil && p.Raw != nil {
			return p.Raw
		}
	case aaf.KindSpline:
		if t.Geometry != nil {
			return json.RawMessage(t.Geometry)
		}
	}
	return nil
}

type box struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

type rotated struct {
	X        float64     `json:"x"`
	Y        float64     `json:"y"`
	Width    float64     `json:"width"`
	Height   float64     `json:"height"`
	Rotation float64     `json:"rotation"`
	Corners  []aaf.Point `json:"corners"`
}

type segmentation struct {
	Zones []zone `json:"zones"`
}

type zone struct {
	Region []aaf.Point   `json:"region"`
	Holes  [][]aaf.Point `json:"holes"`
}

type ner struct {
	Start     float64 `json:"start"`
	End       float64 `json:"end"`
	Selection string  `json:"selection"`
}

// PolygonRings returns the rings a polygon-only format writes for a polygon
// (itself) or a segmentation (the region of each zone with at least 3
// points), or nil after recording why there are none. Holes cannot be
// written as polygons: a segmentation with holes is recorded as converted
// with "segmentation holes filled (<format> polygons cannot hold holes)",
// and one with several zones as "segmentation zones written as one polygon
// each".
func PolygonRings(it *Item, t *aaf.Tool, format string) [][]aaf.Point {
	if t.Kind == aaf.KindPolygon {
		if len(t.Polygon) < 3 {
			it.Skip(ReasonShortPolygon)
			return nil
		}
		return [][]aaf.Point{t.Polygon}
	}
	var rings [][]aaf.Point
	holes := false
	if t.Segmentation != nil {
		for _, z := range t.Segmentation.Zones {
			if len(z.Region) >= 3 {
				rings = append(rings, z.Region)
				holes = holes || len(z.Holes) > 0
			}
		}
	}
	if rings == nil {
		it.Skip(ReasonNoZones)
		return nil
	}
	if holes {
		it.Converted("segmentation holes filled (" + format + " polygons cannot hold holes)")
	}
	if len(rings) > 1 {
		it.Converted("segmentation zones written as one polygon each")
	}
	return rings
}

// BoxBounds returns the bounds of an object for a format that writes
// bounding boxes, rotated boxes, polygons and segmentations as their
// enclosing box, or false after recording why it has none: another kind
// is not expressible in format, a polygon needs 3 points, and an object
// without geometry is skipped. Clamping to the image is left to the
// caller.
func BoxBounds(it *Item, t *aaf.Tool, format string) (geom.Rect, bool) {
	switch t.Kind {
	case aaf.KindBoundingBox, aaf.KindRotatedBoundingBox, aaf.KindPolygon, aaf.KindSegmentation:
	default:
		it.Skip(NotExpressible(t.Kind, format))
		return geom.Rect{}, false
	}
	if t.Kind == aaf.KindPolygon && len(t.Polygon) < 3 {
		it.Skip(ReasonShortPolygon)
		return geom.Rect{}, false
	}
	r, ok := geom.ToolBounds(t)
	if !ok {
		it.Skip(NoGeometry(t))
		return geom.Rect{}, false
	}
	return r, true
}
