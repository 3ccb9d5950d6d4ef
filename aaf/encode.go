package aaf

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// encodeFlushSize is the amount of buffered output after which an Encoder
// writes to its writer.
const encodeFlushSize = 64 << 10

// errNonFinite is returned when a model holds NaN or an infinity, which
// JSON cannot represent.
var errNonFinite = errors.New("aaf: number is NaN or infinite")

// Encoder writes assets as NDJSON (one compact object per line) or as one
// JSON array (one element per line), streaming: memory does not grow with
// the number of assets. Output is buffered; call Close (or Flush) at the
// end. An Encoder is not safe for concurrent use.
type Encoder struct {
	w      io.Writer
	f      Format
	n      int
	buf    []byte
	keys   []string
	err    error
	closed bool
}

// NewEncoder returns an Encoder writing format f to w.
func NewEncoder(w io.Writer, f Format) *Encoder {
	return &Encoder{w: w, f: f, buf: make([]byte, 0, encodeFlushSize+4096)}
}

// Encode writes one asset. Keys the model does not know (the Extra maps)
// are written back, so decoding then encoding an asset gives the same JSON
// value. It returns an error for NaN or infinite numbers in the model and
// for write errors; after a write error every call returns it.
func (e *Encoder) Encode(a *Asset) error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return errors.New("aaf: encode after Close")
	}
	if a == nil {
		return errors.New("aaf: encode nil asset")
	}
	n0, start := e.n, len(e.buf)
	e.sep()
	s := encState{buf: e.buf, keys: e.keys}
	s.asset(a)
	e.keys = s.keys
	if s.err != nil {
		e.buf, e.n = e.buf[:start], n0
		return fmt.Errorf("encode asset %q: %w", a.ExternalID, s.err)
	}
	e.buf = s.buf
	return e.end()
}

// EncodeRaw writes one asset given as JSON (e.g. bytes kept with
// [WithRaw]). The value must be a JSON object; it is compacted onto one
// line.
func (e *Encoder) EncodeRaw(raw json.RawMessage) error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return errors.New("aaf: encode after Close")
	}
	if err := validJSON(raw); err != nil {
		return fmt.Errorf("encode raw asset: %w", err)
	}
	i := skipSpaceAt(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return errors.New("encode raw asset: not a JSON object")
	}
	e.sep()
	e.buf = appendCompact(e.buf, raw)
	return e.end()
}

// sep writes what comes before an asset.
func (e *Encoder) sep() {
	if e.f == FormatJSON {
		if e.n == 0 {
			e.buf = append(e.buf, "[\n"...)
		} else {
			e.buf = append(e.buf, ",\n"...)
		}
	}
	e.n++
}

// end finishes an asset and flushes when enough output is buffered.
func (e *Encoder) end() error {
	if e.f == FormatNDJSON {
		e.buf = append(e.buf, '\n')
	}
	if len(e.buf) >= encodeFlushSize {
		return e.Flush()
	}
	return nil
}

// Flush writes the buffered output to the writer.
func (e *Encoder) Flush() error {
	if e.err != nil {
		return e.err
	}
	if len(e.buf) == 0 {
		return nil
	}
	_, err := e.w.Write(e.buf)
	e.buf = e.buf[:0]
	if err != nil {
		e.err = fmt.Errorf("write aaf output: %w", err)
	}
	return e.err
}

// Close finishes the output (the closing "]" of a JSON array, or "[]" when
// no asset was written) and flushes it. It does not close the writer. A
// second Close writes nothing and returns what the first one returned.
func (e *Encoder) Close() error {
	if e.closed {
		return e.err
	}
	e.closed = true
	if e.f == FormatJSON && e.err == nil {
		if e.n == 0 {
			e.buf = append(e.buf, "[]\n"...)
		} else {
			e.buf = append(e.buf, "\n]\n"...)
		}
	}
	return e.Flush()
}

// appendCompact appends the valid JSON src without insignificant space.
func appendCompact(dst, src []byte) []byte {
	inStr := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inStr {
			dst = append(dst, c)
			if c == '\\' && i+1 < len(src) {
				i++
				dst = append(dst, src[i])
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			inStr = true
		}
		dst = append(dst, c)
	}
	return dst
}

// encState builds the JSON of one value.
type encState struct {
	buf  []byte
	keys []string
	err  error
}

// obj writes the members of one object.
type obj struct {
	s       *encState
	n       int
	written [24]string
	nw      int
}

func (s *encState) open() obj {
	s.buf = append(s.buf, '{')
	return obj{s: s}
}

// key writes a member name known to need no escaping (the model's own
// keys).
func (o *obj) key(k string) {
	if o.n > 0 {
		o.s.buf = append(o.s.buf, ',')
	}
	o.n++
	if o.nw < len(o.written) {
		o.written[o.nw] = k
		o.nw++
	}
	o.s.buf = append(o.s.buf, '"')
	o.s.buf = append(o.s.buf, k...)
	o.s.buf = append(o.s.buf, '"', ':')
}

func (o *obj) str(k, v string) {
	o.key(k)
	o.s.buf = appendString(o.s.buf, v)
}

// strIf writes a string member when it was read or is not empty.
func (o *obj) strIf(k, v string, has bool) {
	if has || v != "" {
		o.str(k, v)
	}
}

func (o *obj) num(k string, f float64) {
	o.key(k)
	o.s.float(f)
}

func (o *obj) numPtr(k string, f *float64) {
	if f != nil {
		o.num(k, *f)
	}
}

func (o *obj) boolIf(k string, v, has bool) {
	if has || v {
		o.key(k)
		o.s.buf = strconv.AppendBool(o.s.buf, v)
	}
}

func (o *obj) intPtr(k string, p *int) {
	if p != nil {
		o.key(k)
		o.s.buf = strconv.AppendInt(o.s.buf, int64(*p), 10)
	}
}

func (o *obj) raw(k string, r json.RawMessage) {
	o.key(k)
	o.s.raw(r)
}

// close writes the extra members (sorted, skipping names already written)
// and the closing brace.
func (o *obj) close(extra map[string]json.RawMessage) {
	if len(extra) > 0 {
		s := o.s
		base := len(s.keys)
		for k := range extra {
			s.keys = append(s.keys, k)
		}
		keys := s.keys[base:]
		slices.Sort(keys)
		for _, k := range keys {
			if slices.Contains(o.written[:o.nw], k) {
				continue
			}
			if o.n > 0 {
				s.buf = append(s.buf, ',')
			}
			o.n++
			s.buf = appendString(s.buf, k)
			s.buf = append(s.buf, ':')
			s.raw(extra[k])
		}
		s.keys = s.keys[:base]
	}
	o.s.buf = append(o.s.buf, '}')
}

// raw writes a stored JSON value (already compact, from the decoder or the
// caller).
func (s *encState) raw(r json.RawMessage) {
	if len(r) == 0 {
		s.buf = append(s.buf, "null"...)
		return
	}
	s.buf = appendCompact(s.buf, r)
}

// float writes f the way encoding/json does.
func (s *encState) float(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		if s.err == nil {
			s.err = errNonFinite
		}
		s.buf = append(s.buf, '0')
		return
	}
	s.buf = appendFloat(s.buf, f)
}

// appendFloat formats f like encoding/json: the shortest decimal that
// reads back as f, in exponent form only for very small or very large
// magnitudes. Integers and values with at most two decimals (most
// coordinates) take a fast path with the same result.
func appendFloat(dst []byte, f float64) []byte {
	abs := math.Abs(f)
	if abs < 1e13 {
		if f == math.Trunc(f) {
			if f == 0 && math.Signbit(f) {
				return append(dst, '-', '0')
			}
			return strconv.AppendInt(dst, int64(f), 10)
		}
		if n := math.Round(f * 100); n/100 == f {
			// Any other decimal with at most two fraction digits is at
			// least 0.01 away, far more than half an ulp below 1e13, so
			// this is the shortest representation.
			c := int64(n)
			if c < 0 {
				dst = append(dst, '-')
				c = -c
			}
			dst = strconv.AppendInt(dst, c/100, 10)
			frac := c % 100
			if frac%10 == 0 {
				return append(dst, '.', byte('0'+frac/10))
			}
			return append(dst, '.', byte('0'+frac/10), byte('0'+frac%10))
		}
	}
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// safeByte[c] is true for bytes written inside a JSON string as they are.
var safeByte = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	return t
}()

// appendString appends s as a JSON string.
func appendString[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if safeByte[c] {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func (s *encState) asset(a *Asset) {
	o := s.open()
	o.strIf("asset", a.Asset, a.has&hasAsset != 0)
	o.strIf("assetId", a.AssetID, a.has&hasAssetID != 0)
	o.strIf("externalId", a.ExternalID, a.has&hasExternalID != 0)
	if a.Dataset != nil {
		o.key("dataset")
		s.strings(a.Dataset)
	}
	m := &a.Metadata
	if a.has&hasMetadata != 0 || m.Width != nil || m.Height != nil || m.FrameTotal != nil || m.FrameRate != nil || len(m.Extra) > 0 {
		o.key("metadata")
		s.metadata(m)
	}
	switch {
	case a.rawBatches != nil && batchesMatch(a.rawBatches, a.Batches):
		o.raw("batches", a.rawBatches)
	case a.Batches != nil:
		o.key("batches")
		s.strings(a.Batches)
	}
	if a.ContextData != nil {
		o.raw("contextData", a.ContextData)
	}
	if a.Generation == GenerationLegacy {
		tasks := a.Tasks
		if tasks == nil && a.Task != nil {
			tasks = []*Task{a.Task}
		}
		if tasks != nil {
			o.key("tasks")
			s.buf = append(s.buf, '[')
			for i, t := range tasks {
				if i > 0 {
					s.buf = append(s.buf, ',')
				}
				s.task(t)
			}
			s.buf = append(s.buf, ']')
		}
	} else if a.Task != nil {
		o.key("task")
		s.task(a.Task)
	}
	o.close(a.Extra)
}

// batchesMatch reports whether the non-null strings of raw equal b.
func batchesMatch(raw json.RawMessage, b []string) bool {
	var list []*string
	if json.Unmarshal(raw, &list) != nil {
		return false
	}
	i := 0
	for _, p := range list {
		if p == nil {
			continue
		}
		if i >= len(b) || b[i] != *p {
			return false
		}
		i++
	}
	return i == len(b)
}

func (s *encState) strings(list []string) {
	s.buf = append(s.buf, '[')
	for i, v := range list {
		if i > 0 {
			s.buf = append(s.buf, ',')
		}
		s.buf = appendString(s.buf, v)
	}
	s.buf = append(s.buf, ']')
}

func (s *encState) metadata(m *Metadata) {
	o := s.open()
	o.numPtr("width", m.Width)
	o.numPtr("height", m.Height)
	o.numPtr("frameTotal", m.FrameTotal)
	o.numPtr("frameRate", m.FrameRate)
	o.close(m.Extra)
}

func (s *encState) task(t *Task) {
	if t == nil {
		s.buf = append(s.buf, "null"...)
		return
	}
	o := s.open()
	o.strIf("taskId", t.TaskID, t.has&hasTaskID != 0)
	o.strIf("stage", t.Stage, t.has&hasStage != 0)
	o.strIf("stageId", t.StageID, t.has&hasStageID != 0)
	o.strIf("updatedAt", t.UpdatedAt, t.has&hasUpdatedAt != 0)
	o.strIf("updatedBy", t.UpdatedBy, t.has&hasUpdatedBy != 0)
	o.boolIf("isSkipped", t.IsSkipped, t.has&hasIsSkipped != 0)
	o.strIf("brushDataUrl", t.BrushDataURL, t.has&hasBrushDataURL != 0)
	o.strIf("medicalBrushDataUrl", t.MedicalBrushDataURL, t.has&hasMedicalBrushDataURL != 0)
	if t.Review != nil {
		o.key("review")
		r := s.open()
		r.strIf("status", t.Review.Status, t.Review.has&hasStatus != 0)
		r.close(t.Review.Extra)
	}
	toolsKey := "tools"
	if t.Legacy {
		toolsKey = "objects"
	}
	s.annotations(&o, toolsKey, t.Tools, t.Classifications, t.Relations)
	if t.StageHistory != nil {
		o.key("stageHistory")
		s.buf = append(s.buf, '[')
		for i, h := range t.StageHistory {
			if i > 0 {
				s.buf = append(s.buf, ',')
			}
			s.snapshot(h)
		}
		s.buf = append(s.buf, ']')
	}
	o.close(t.Extra)
}

// annotations writes the tools, classifications and relations members.
func (s *encState) annotations(o *obj, toolsKey string, tools []*Tool, cls []*Classification, rels []*Relation) {
	if tools != nil {
		o.key(toolsKey)
		s.buf = append(s.buf, '[')
		for i, t := range tools {
			if i > 0 {
				s.buf = append(s.buf, ',')
			}
			s.tool(t)
		}
		s.buf = append(s.buf, ']')
	}
	if cls != nil {
		o.key("classifications")
		s.classifications(cls)
	}
	if rels != nil {
		o.key("relations")
		s.buf = append(s.buf, '[')
		for i, r := range rels {
			if i > 0 {
				s.buf = append(s.buf, ',')
			}
			s.relation(r)
		}
		s.buf = append(s.buf, ']')
	}
}

func (s *encState) snapshot(h *StageSnapshot) {
	if h == nil {
		s.buf = append(s.buf, "null"...)
		return
	}
	o := s.open()
	o.strIf("stage", h.Stage, h.has&hasStage != 0)
	o.strIf("stageId", h.StageID, h.has&hasStageID != 0)
	o.strIf("completedAt", h.CompletedAt, h.has&hasCompletedAt != 0)
	o.strIf("completedBy", h.CompletedBy, h.has&hasCompletedBy != 0)
	o.strIf("reviewStatus", h.ReviewStatus, h.has&hasReviewStatus != 0)
	o.strIf("brushDataUrl", h.BrushDataURL, h.has&hasBrushDataURL != 0)
	s.annotations(&o, "tools", h.Tools, h.Classifications, h.Relations)
	o.close(h.Extra)
}

// kindOf returns the geometry kind of t: Kind, or the kind of the one
// geometry field that is set.
func kindOf(t *Tool) ToolKind {
	switch {
	case t.Kind != "":
		return t.Kind
	case t.BoundingBox != nil:
		return KindBoundingBox
	case t.RotatedBox != nil:
		return KindRotatedBoundingBox
	case t.Polygon != nil:
		return KindPolygon
	case t.Polyline != nil:
		return KindPolyline
	case t.Point != nil:
		return KindPoint
	case t.Segmentation != nil:
		return KindSegmentation
	case t.NER != nil:
		return KindNER
	case t.PDF != nil:
		return KindPDF
	case t.Geometry != nil:
		return KindSpline
	}
	return ""
}

func (s *encState) tool(t *Tool) {
	if t == nil {
		s.buf = append(s.buf, "null"...)
		return
	}
	o := s.open()
	o.strIf("objectId", t.ObjectID, t.has&hasObjectID != 0)
	o.strIf("schemaId", t.SchemaID, t.has&hasSchemaID != 0)
	o.strIf("title", t.Title, t.has&hasTitle != 0)
	if kind := kindOf(t); kind != "" {
		o.key(string(kind))
		s.geometry(t, kind)
	}
	o.intPtr("page", t.Page)
	o.boolIf("interpolationStopped", t.InterpolationStopped, t.has&hasInterpolationStopped != 0)
	if t.Classifications != nil {
		o.key("classifications")
		s.classifications(t.Classifications)
	}
	o.close(t.Extra)
}

func (s *encState) geometry(t *Tool, kind ToolKind) {
	switch kind {
	case KindBoundingBox:
		if t.BoundingBox == nil {
			s.buf = append(s.buf, "null"...)
			return
		}
		b := t.BoundingBox
		o := s.open()
		o.num("x", b.X)
		o.num("y", b.Y)
		o.num("width", b.Width)
		o.num("height", b.Height)
		o.close(t.geomExtra)
	case KindRotatedBoundingBox:
		s.rotatedBox(t.RotatedBox)
	case KindPolygon:
		s.points(t.Polygon)
	case KindPolyline:
		s.points(t.Polyline)
	case KindPoint:
		if t.Point == nil {
			s.buf = append(s.buf, "null"...)
			return
		}
		s.point(*t.Point)
	case KindSegmentation:
		s.segmentation(t.Segmentation)
	case KindNER:
		s.ner(t.NER)
	case KindPDF:
		s.pdf(t.PDF)
	default:
		s.raw(t.Geometry)
	}
}

func (s *encState) point(p Point) {
	s.buf = append(s.buf, '[')
	s.float(p[0])
	s.buf = append(s.buf, ',')
	s.float(p[1])
	s.buf = append(s.buf, ']')
}

func (s *encState) points(ps []Point) {
	s.buf = append(s.buf, '[')
	for i, p := range ps {
		if i > 0 {
			s.buf = append(s.buf, ',')
		}
		s.point(p)
	}
	s.buf = append(s.buf, ']')
}

func (s *encState) rotatedBox(b *RotatedBox) {
	if b == nil {
		s.buf = append(s.buf, "null"...)
		return
	}
	o := s.open()
	o.num("x", b.X)
	o.num("y", b.Y)
	o.num("width", b.Width)
	o.num("height", b.Height)
	o.num("rotation", b.Rotation)
	if b.Corners != nil {
		o.key("corners")
		s.points(b.Corners)
	}
	o.close(b.Extra)
}

func (s *encState) segmentation(g *Segmentation) {
	if g == nil {
		s.buf = append(s.buf, "null"...)
		return
	}
	o := s.open()
	if g.has&hasZones != 0 || g.Zones != nil {
		o.key("zones")
		s.buf = append(s.buf, '[')
		for i := range g.Zones {
			if i > 0 {
				s.buf = append(s.buf, ',')
			}
			s.zone(&g.Zones[i])
		}
		s.buf = append(s.buf, ']')
	}
	o.close(g.Extra)
}

func (s *encState) zone(z *Zone) {
	o := s.open()
	if z.has&hasRegion != 0 || z.Region != nil {
		o.key("region")
		s.points(z.Region)
	}
	if z.flatHoles && len(z.Holes) == 1 {
		o.key("holes")
		s.points(z.Holes[0])
	} else if z.has&hasHoles != 0 || z.Holes != nil {
		o.key("holes")
		s.buf = append(s.buf, '[')
		for i, h := range z.Holes {
			if i > 0 {
				s.buf = append(s.buf, ',')
			}
			s.points(h)
		}
		s.buf = append(s.buf, ']')
	}
	o.close(z.Extra)
}

func (s *encState) ner(n *NER) {
	if n == nil {
		s.buf = append(s.buf, "null"...)
		return
	}
	o := s.open()
	o.num("start", n.Start)
	o.num("end", n.End)
	o.strIf("selection", n.Selection, n.has&hasSelection != 0)
	o.close(n.Extra)
}

// pdfUnchanged reports whether the fields of p still equal what was read
// from p.Raw.
func pdfUnchanged(p *PDF) bool {
	if p.Raw == nil || p.orig == nil {
		return p.Raw != nil && p.orig == nil && p.BoundingRect == (PDFRect{}) && p.Rects == nil &&
			p.PageNumber == 0 && p.Text == "" && p.Image == ""
	}
	o := p.orig
	return p.BoundingRect == o.BoundingRect && slices.Equal(p.Rects, o.Rects) &&
		p.PageNumber == o.PageNumber && p.Text == o.Text && p.Image == o.Image
}

func (s *encState) pdf(p *PDF) {
	if p == nil {
		s.buf = append(s.buf, "null"...)
		return
	}
	if pdfUnchanged(p) {
		s.raw(p.Raw)
		return
	}
	o := s.open()
	o.key("position")
	pos := s.open()
	pos.key("boundingRect")
	s.pdfRect(p.BoundingRect)
	pos.key("rects")
	s.buf = append(s.buf, '[')
	for i, r := range p.Rects {
		if i > 0 {
			s.buf = append(s.buf, ',')
		}
		s.pdfRect(r)
	}
	s.buf = append(s.buf, ']')
	pos.key("pageNumber")
	s.buf = strconv.AppendInt(s.buf, int64(p.PageNumber), 10)
	pos.close(nil)
	o.key("content")
	c := s.open()
	if p.Image != "" {
		c.str("image", p.Image)
	}
	if p.Text != "" || p.Image == "" {
		c.str("text", p.Text)
	}
	c.close(nil)
	o.close(nil)
}

func (s *encState) pdfRect(r PDFRect) {
	o := s.open()
	o.num("x1", r.X1)
	o.num("y1", r.Y1)
	o.num("x2", r.X2)
	o.num("y2", r.Y2)
	o.num("width", r.Width)
	o.num("height", r.Height)
	o.close(nil)
}

func (s *encState) classifications(cs []*Classification) {
	s.buf = append(s.buf, '[')
	for i, c := range cs {
		if i > 0 {
			s.buf = append(s.buf, ',')
		}
		s.classification(c)
	}
	s.buf = append(s.buf, ']')
}

func (s *encState) classification(c *Classification) {
	if c == nil {
		s.buf = append(s.buf, "null"...)
		return
	}
	o := s.open()
	o.strIf("objectId", c.ObjectID, c.has&hasObjectID != 0)
	o.strIf("schemaId", c.SchemaID, c.has&hasSchemaID != 0)
	o.strIf("tool", c.Tool, c.has&hasTool != 0)
	o.strIf("title", c.Title, c.has&hasTitle != 0)
	if a := c.Answer; a.Present || a.Values != nil || a.Raw != nil {
		o.key("answer")
		s.answer(a)
	}
	o.intPtr("page", c.Page)
	o.boolIf("interpolationStopped", c.InterpolationStopped, c.has&hasInterpolationStopped != 0)
	if c.Classifications != nil {
		o.key("classifications")
		s.classifications(c.Classifications)
	}
	o.close(c.Extra)
}

func (s *encState) answer(a Answer) {
	switch {
	case a.Raw != nil:
		s.raw(a.Raw)
	case a.List || len(a.Values) > 1:
		s.strings(a.Values)
	case len(a.Values) == 1:
		s.buf = appendString(s.buf, a.Values[0])
	default:
		s.buf = append(s.buf, `""`...)
	}
}

func (s *encState) relation(r *Relation) {
	if r == nil {
		s.buf = append(s.buf, "null"...)
		return
	}
	o := s.open()
	o.strIf("objectId", r.ObjectID, r.has&hasObjectID != 0)
	o.strIf("schemaId", r.SchemaID, r.has&hasSchemaID != 0)
	o.strIf("title", r.Title, r.has&hasTitle != 0)
	o.strIf("from", r.From, r.has&hasFrom != 0)
	o.strIf("to", r.To, r.has&hasTo != 0)
	o.strIf("direction", r.Direction, r.has&hasDirection != 0)
	if r.Group != nil {
		o.key("group")
		s.strings(r.Group)
	}
	o.intPtr("page", r.Page)
	o.close(r.Extra)
}
