package aaf

import "encoding/json"

// ToolKind names the geometry key of an annotation object.
type ToolKind string

// The geometry keys of annotation objects, named after the JSON keys.
const (
	// KindBoundingBox is an axis-aligned box ([BoundingBox]).
	KindBoundingBox ToolKind = "bounding-box"
	// KindRotatedBoundingBox is a rotated box ([RotatedBox]).
	KindRotatedBoundingBox ToolKind = "rotated-bounding-box"
	// KindPolygon is a closed ring of vertices.
	KindPolygon ToolKind = "polygon"
	// KindPolyline is an open line of points.
	KindPolyline ToolKind = "polyline"
	// KindPoint is one [Point].
	KindPoint ToolKind = "point"
	// KindSegmentation is a set of zones with holes ([Segmentation]).
	KindSegmentation ToolKind = "segmentation"
	// KindNER is a text or audio span ([NER]).
	KindNER ToolKind = "ner"
	// KindPDF is a PDF highlight or box ([PDF]).
	KindPDF ToolKind = "pdf"
	// KindSpline is a spline, kept raw in Tool.Geometry.
	KindSpline ToolKind = "spline"
)

// Point is an [x, y] pair in pixels of the original image, origin top-left.
type Point [2]float64

// X returns the first coordinate.
func (p Point) X() float64 { return p[0] }

// Y returns the second coordinate.
func (p Point) Y() float64 { return p[1] }

// Tool is one annotation object: an entry of "tools" (v3) or "objects"
// (legacy). At most one geometry field is set, the one named by Kind. A
// "spline" keeps its value in Geometry. An entry with no known geometry key
// (a medical brush entry, or a tool this package does not know) has Kind ""
// and keeps all its unknown keys in Extra.
type Tool struct {
	// ObjectID is the annotation's id, key "objectId".
	ObjectID string
	// SchemaID is the id of its class in the category schema, key "schemaId".
	SchemaID string
	// Title is the class name, key "title".
	Title string
	// Kind is the geometry key present on the object.
	Kind ToolKind

	// BoundingBox is set for KindBoundingBox.
	BoundingBox *BoundingBox
	// RotatedBox is set for KindRotatedBoundingBox.
	RotatedBox *RotatedBox
	// Polygon is set for KindPolygon: vertices in drawing order, implicitly closed.
	Polygon []Point
	// Polyline is set for KindPolyline: points in the order placed.
	Polyline []Point
	// Point is set for KindPoint.
	Point *Point
	// Segmentation is set for KindSegmentation.
	Segmentation *Segmentation
	// NER is set for KindNER.
	NER *NER
	// PDF is set for KindPDF.
	PDF *PDF
	// Geometry holds the raw value of a geometry this package does not model
	// (KindSpline).
	Geometry json.RawMessage

	// Classifications holds the nested classifications of the object.
	Classifications []*Classification
	// Page is the 0-based page or frame index, key "page"; nil when absent.
	Page *int
	// InterpolationStopped marks the frame from which a video object is gone.
	InterpolationStopped bool
	// Extra holds every other key (metadata, masks, medical-brush, lock, ...).
	Extra map[string]json.RawMessage

	// has records which known keys were present in the source.
	has fieldSet
	// geomExtra holds unknown keys inside a bounding-box object.
	geomExtra map[string]json.RawMessage
}

// PageOr returns the object's page, or def when it has none.
func (t *Tool) PageOr(def int) int {
	if t.Page == nil {
		return def
	}
	return *t.Page
}

// BoundingBox is the "bounding-box" geometry. Width and Height may be
// negative when the box was drawn from its bottom-right corner; use
// [BoundingBox.Normalize].
type BoundingBox struct {
	// X and Y are the corner the box was drawn from; Width and Height its
	// extent in pixels (negative when drawn towards the top or left).
	X, Y, Width, Height float64
}

// Normalize returns the box with its origin at the top-left corner and a
// non-negative width and height.
func (b BoundingBox) Normalize() BoundingBox {
	if b.Width < 0 {
		b.X, b.Width = b.X+b.Width, -b.Width
	}
	if b.Height < 0 {
		b.Y, b.Height = b.Y+b.Height, -b.Height
	}
	return b
}

// RotatedBox is the "rotated-bounding-box" geometry. Corners is the
// authoritative shape; Rotation is in degrees.
type RotatedBox struct {
	// X, Y, Width and Height are the box before rotation; Rotation is in
	// degrees (-180..180).
	X, Y, Width, Height, Rotation float64
	// Corners holds the four corners of the rotated box.
	Corners []Point
	// Extra holds every other key.
	Extra map[string]json.RawMessage

	// has records which known keys were present in the source.
	has fieldSet
}

// Segmentation is the "segmentation" geometry: one or more zones.
type Segmentation struct {
	// Zones holds the zones; empty when points were not exported.
	Zones []Zone
	// Extra holds every other key.
	Extra map[string]json.RawMessage

	// has records which known keys were present in the source.
	has fieldSet
}

// Zone is one zone of a segmentation: an outer ring and its holes.
type Zone struct {
	// Region is the outer ring.
	Region []Point
	// Holes holds the inner rings.
	Holes [][]Point
	// Extra holds every other key.
	Extra map[string]json.RawMessage

	// has records which known keys were present in the source.
	has fieldSet
	// flatHoles is set when the source wrote Holes as one flat list of
	// pairs (a legacy variant); the encoder writes them back that way.
	flatHoles bool
}

// NER is the "ner" geometry: a span of a text (character offsets, End
// exclusive) or of an audio file (seconds).
type NER struct {
	// Start and End are the span: character offsets for text (End
	// exclusive), seconds for audio.
	Start, End float64
	// Selection is the selected text, as exported (may carry stray spaces).
	Selection string
	// Extra holds every other key.
	Extra map[string]json.RawMessage

	// has records which known keys were present in the source.
	has fieldSet
}

// PDF is the "pdf" geometry.
type PDF struct {
	// BoundingRect encloses the whole annotation (position.boundingRect).
	BoundingRect PDFRect
	// Rects holds one rectangle per highlighted token (position.rects).
	Rects []PDFRect
	// PageNumber is position.pageNumber (1-based in every known sample).
	PageNumber int
	// Text is content.text, the highlighted or OCR text.
	Text string
	// Image is content.image, a data URL of the area when exported.
	Image string
	// Raw is the complete source value of the "pdf" key, written back by
	// the encoder when the fields above are unchanged.
	Raw json.RawMessage

	// orig is a copy of the fields above as decoded from Raw.
	orig *PDF
}

// PDFRect is a rectangle of the PDF tool; Width and Height are the size of
// the rendered page the coordinates refer to.
type PDFRect struct {
	// X1, Y1, X2 and Y2 are the corners; Width and Height the page size.
	X1, Y1, X2, Y2, Width, Height float64
}
