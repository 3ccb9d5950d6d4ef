package aaf

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/valyala/fastjson"
)

// fieldSet records which known keys of a struct were present in the source,
// so that the encoder writes back empty strings and false flags it read.
type fieldSet uint32

// Known-key bits. Each struct uses its own subset; values may overlap
// between structs.
const (
	// Asset.
	hasAsset fieldSet = 1 << iota
	hasAssetID
	hasExternalID
	hasMetadata
)

const (
	// Task and StageSnapshot.
	hasTaskID fieldSet = 1 << iota
	hasStage
	hasStageID
	hasUpdatedAt
	hasUpdatedBy
	hasBrushDataURL
	hasMedicalBrushDataURL
	hasIsSkipped
	hasCompletedAt
	hasCompletedBy
	hasReviewStatus
)

const (
	// Tool, Classification, Relation, Review, NER and geometry objects.
	hasObjectID fieldSet = 1 << iota
	hasSchemaID
	hasTitle
	hasTool
	hasInterpolationStopped
	hasFrom
	hasTo
	hasDirection
	hasStatus
	hasSelection
	hasZones
	hasHoles
	hasRegion
)

const (
	// Metadata.
	hasWidth fieldSet = 1 << iota
	hasHeight
	hasFrameTotal
	hasFrameRate
)

// maxInterned bounds the string intern table of a decoder so memory does
// not grow with the number of assets.
const maxInterned = 4096

// decoder turns one parsed asset (a fastjson value tree) into the model,
// checking types and collecting the first error and any warnings. A decoder
// is reused for every asset of a Reader; it is not safe for concurrent use.
type decoder struct {
	p        fastjson.Parser
	path     []pathSeg
	obj      string // objectId of the enclosing annotation, for messages
	err      *Error
	warnings []*Error
	warnOn   bool
	strs     map[string]string
	floats   []float64
	ints     []int
}

// fail records the first error at the current path.
func (d *decoder) fail(msg string) {
	if d.err != nil {
		return
	}
	d.err = &Error{Offset: -1, Index: -1, Path: renderPath(d.path), ObjectID: d.obj, Msg: msg, Err: ErrInvalid,
		segs: append([]pathSeg{}, d.path...)}
}

// warn records a tolerated problem at the current path.
func (d *decoder) warn(msg string) {
	if !d.warnOn {
		return
	}
	d.warnings = append(d.warnings, &Error{Offset: -1, Index: -1, Path: renderPath(d.path), ObjectID: d.obj, Msg: msg, Err: ErrInvalid,
		segs: append([]pathSeg{}, d.path...)})
}

func (d *decoder) push(key string) { d.path = append(d.path, pathSeg{key: key}) }
func (d *decoder) pushIdx(i int)   { d.path = append(d.path, pathSeg{idx: i}) }
func (d *decoder) pop()            { d.path = d.path[:len(d.path)-1] }

// reset prepares the decoder for the next asset.
func (d *decoder) reset() {
	d.path = d.path[:0]
	d.obj = ""
	d.err = nil
	d.warnings = d.warnings[:0]
}

// intern returns b as a string, sharing one copy of short values that
// repeat across assets (class ids, titles, answers).
func (d *decoder) intern(b []byte) string {
	if len(b) > 64 {
		return string(b)
	}
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	if d.strs == nil || len(d.strs) >= maxInterned {
		d.strs = make(map[string]string, 256)
	}
	s := string(b)
	d.strs[s] = s
	return s
}

// newFloat returns a pointer to f from a slab, to avoid one allocation per
// optional number.
func (d *decoder) newFloat(f float64) *float64 {
	if len(d.floats) == cap(d.floats) {
		d.floats = make([]float64, 0, 64)
	}
	d.floats = append(d.floats, f)
	return &d.floats[len(d.floats)-1]
}

// newInt is newFloat for ints.
func (d *decoder) newInt(i int) *int {
	if len(d.ints) == cap(d.ints) {
		d.ints = make([]int, 0, 64)
	}
	d.ints = append(d.ints, i)
	return &d.ints[len(d.ints)-1]
}

// describe names the JSON type of v for messages, with the value for
// strings and numbers.
func describe(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeString:
		s := string(v.GetStringBytes())
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return "string " + strconv.Quote(s)
	case fastjson.TypeNumber:
		return "number " + string(v.MarshalTo(nil))
	case fastjson.TypeTrue, fastjson.TypeFalse:
		return "boolean"
	case fastjson.TypeNull:
		return "null"
	case fastjson.TypeArray:
		return "array"
	default:
		return "object"
	}
}

// number decodes a JSON number, failing on other types and on values
// beyond float64 (1e999). what names the value in messages.
func (d *decoder) number(v *fastjson.Value, what string) (float64, bool) {
	if v.Type() != fastjson.TypeNumber {
		d.fail(what + " must be a number, got " + describe(v))
		return 0, false
	}
	f, err := v.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		d.fail("number " + string(v.MarshalTo(nil)) + " out of range (not a finite float64)")
		return 0, false
	}
	return f, true
}

// raw returns v as compact JSON, checking every number in it.
func (d *decoder) raw(v *fastjson.Value) json.RawMessage {
	return d.appendValue(nil, v)
}

// appendValue writes v as compact JSON, failing on numbers beyond float64.
func (d *decoder) appendValue(dst []byte, v *fastjson.Value) []byte {
	switch v.Type() {
	case fastjson.TypeObject:
		o := v.GetObject()
		dst = append(dst, '{')
		first := true
		o.Visit(func(k []byte, vv *fastjson.Value) {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendString(dst, k)
			dst = append(dst, ':')
			d.path = append(d.path, pathSeg{key: string(k)})
			dst = d.appendValue(dst, vv)
			d.pop()
		})
		return append(dst, '}')
	case fastjson.TypeArray:
		dst = append(dst, '[')
		for i, vv := range v.GetArray() {
			if i > 0 {
				dst = append(dst, ',')
			}
			d.pushIdx(i)
			dst = d.appendValue(dst, vv)
			d.pop()
		}
		return append(dst, ']')
	case fastjson.TypeString:
		return appendString(dst, v.GetStringBytes())
	case fastjson.TypeNumber:
		start := len(dst)
		dst = v.MarshalTo(dst)
		if f, err := v.Float64(); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			d.fail("number " + string(dst[start:]) + " out of range (not a finite float64)")
		}
		return dst
	case fastjson.TypeTrue:
		return append(dst, "true"...)
	case fastjson.TypeFalse:
		return append(dst, "false"...)
	default:
		return append(dst, "null"...)
	}
}

// extra stores the value of an unknown key.
func (d *decoder) extra(m *map[string]json.RawMessage, k []byte, v *fastjson.Value) {
	key := d.intern(k)
	d.push(key)
	r := d.raw(v)
	d.pop()
	if *m == nil {
		*m = make(map[string]json.RawMessage, 4)
	}
	(*m)[key] = r
}

// str decodes a known string key that is tolerated with another type: a
// null or non-string value is kept in extra and reported as a warning.
func (d *decoder) str(v *fastjson.Value, k []byte, m *map[string]json.RawMessage, intern bool) (string, bool) {
	if v.Type() == fastjson.TypeString {
		if intern {
			return d.intern(v.GetStringBytes()), true
		}
		return string(v.GetStringBytes()), true
	}
	d.tolerate(v, k, m, "a string")
	return "", false
}

// tolerate keeps a known key whose value has an unexpected type in extra,
// with a warning (nulls and timestamps given as numbers are not reported).
func (d *decoder) tolerate(v *fastjson.Value, k []byte, m *map[string]json.RawMessage, want string) {
	d.push(string(k))
	t := v.Type()
	key := string(k)
	isTime := t == fastjson.TypeNumber && (key == "updatedAt" || key == "completedAt")
	if t != fastjson.TypeNull && !isTime {
		d.warn("expected " + want + ", got " + describe(v) + "; kept as is")
	}
	d.pop()
	d.extra(m, k, v)
}

// strict decodes a string key that must be a string (ids that validation
// relies on).
func (d *decoder) strict(v *fastjson.Value, key string) (string, bool) {
	if v.Type() != fastjson.TypeString {
		d.push(key)
		d.fail(key + " must be a string, got " + describe(v))
		d.pop()
		return "", false
	}
	return string(v.GetStringBytes()), true
}

// boolean decodes a tolerated boolean key.
func (d *decoder) boolean(v *fastjson.Value, k []byte, m *map[string]json.RawMessage) (bool, bool) {
	switch v.Type() {
	case fastjson.TypeTrue:
		return true, true
	case fastjson.TypeFalse:
		return false, true
	}
	d.tolerate(v, k, m, "a boolean")
	return false, false
}

// page decodes a "page" key: a non-negative integer.
func (d *decoder) page(v *fastjson.Value) *int {
	d.push("page")
	defer d.pop()
	if v.Type() != fastjson.TypeNumber {
		d.fail("page must be a non-negative integer, got " + describe(v))
		return nil
	}
	f, ok := d.number(v, "page")
	if !ok {
		return nil
	}
	if f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		d.fail("page must be a non-negative integer, got " + describe(v))
		return nil
	}
	return d.newInt(int(f))
}

// array returns the elements of v, failing when v is not an array; what
// names the list in messages. The caller has pushed the key.
func (d *decoder) array(v *fastjson.Value, what string) ([]*fastjson.Value, bool) {
	if v.Type() != fastjson.TypeArray {
		d.fail(what + " must be an array, got " + describe(v))
		return nil, false
	}
	return v.GetArray(), true
}

// object returns v as an object, failing when it is not one.
func (d *decoder) object(v *fastjson.Value, what string) (*fastjson.Object, bool) {
	if v.Type() != fastjson.TypeObject {
		d.fail(what + " must be an object, got " + describe(v))
		return nil, false
	}
	return v.GetObject(), true
}

// asset decodes one asset object.
func (d *decoder) asset(v *fastjson.Value) *Asset {
	o, ok := d.object(v, "asset")
	if !ok {
		return nil
	}
	a := &Asset{}
	if ev := o.Get("externalId"); ev != nil && ev.Type() == fastjson.TypeString {
		a.ExternalID = string(ev.GetStringBytes())
		a.has |= hasExternalID
	}
	var taskV, tasksV *fastjson.Value
	o.Visit(func(k []byte, v *fastjson.Value) {
		if d.err != nil {
			return
		}
		switch string(k) {
		case "asset":
			if s, ok := d.str(v, k, &a.Extra, false); ok {
				a.Asset, a.has = s, a.has|hasAsset
			}
		case "assetId":
			if s, ok := d.str(v, k, &a.Extra, false); ok {
				a.AssetID, a.has = s, a.has|hasAssetID
			}
		case "externalId":
			if v.Type() != fastjson.TypeString {
				d.tolerate(v, k, &a.Extra, "a string")
			}
		case "dataset":
			d.dataset(a, k, v)
		case "metadata":
			if v.Type() != fastjson.TypeObject {
				d.tolerate(v, k, &a.Extra, "an object")
				return
			}
			d.push("metadata")
			d.metadata(&a.Metadata, v.GetObject())
			d.pop()
			a.has |= hasMetadata
		case "batches":
			d.batches(a, k, v)
		case "contextData":
			d.push("contextData")
			a.ContextData = d.raw(v)
			d.pop()
		case "task":
			taskV = v
		case "tasks":
			tasksV = v
		default:
			d.extra(&a.Extra, k, v)
		}
	})
	if d.err != nil {
		return a
	}
	switch {
	case taskV != nil:
		a.Generation = GenerationV3
		d.push("task")
		if _, ok := d.object(taskV, "task"); ok {
			a.Task = d.task(taskV, false)
		}
		d.pop()
		if tasksV != nil {
			d.extra(&a.Extra, []byte("tasks"), tasksV)
		}
	case tasksV != nil:
		a.Generation = GenerationLegacy
		d.push("tasks")
		arr, ok := d.array(tasksV, "tasks")
		if ok {
			a.Tasks = make([]*Task, len(arr))
			for i, tv := range arr {
				d.pushIdx(i)
				if _, ok := d.object(tv, "task"); ok {
					a.Tasks[i] = d.task(tv, true)
				}
				d.pop()
				if d.err != nil {
					break
				}
			}
			if len(a.Tasks) > 0 {
				a.Task = a.Tasks[0]
			}
		}
		d.pop()
	default:
		d.fail(`missing "task" (and no legacy "tasks")`)
	}
	return a
}

// dataset decodes "dataset": a list of page URLs.
func (d *decoder) dataset(a *Asset, k []byte, v *fastjson.Value) {
	if v.Type() != fastjson.TypeArray {
		d.tolerate(v, k, &a.Extra, "an array of strings")
		return
	}
	arr := v.GetArray()
	out := make([]string, len(arr))
	for i, e := range arr {
		if e.Type() != fastjson.TypeString {
			d.tolerate(v, k, &a.Extra, "an array of strings")
			return
		}
		out[i] = string(e.GetStringBytes())
	}
	a.Dataset = out
}

// batches decodes "batches", dropping null entries but remembering the
// source list so it can be written back unchanged.
func (d *decoder) batches(a *Asset, k []byte, v *fastjson.Value) {
	if v.Type() != fastjson.TypeArray {
		d.tolerate(v, k, &a.Extra, "an array of strings")
		return
	}
	arr := v.GetArray()
	out := make([]string, 0, len(arr))
	odd := false
	for i, e := range arr {
		switch e.Type() {
		case fastjson.TypeString:
			out = append(out, d.intern(e.GetStringBytes()))
		case fastjson.TypeNull:
			odd = true
		default:
			odd = true
			d.push("batches")
			d.pushIdx(i)
			d.warn("expected a batch name (string), got " + describe(e) + "; skipped")
			d.pop()
			d.pop()
		}
	}
	a.Batches = out
	if odd {
		d.push("batches")
		a.rawBatches = d.raw(v)
		d.pop()
	}
}

// metadata decodes an asset's "metadata" object.
func (d *decoder) metadata(m *Metadata, o *fastjson.Object) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		if d.err != nil {
			return
		}
		var dst **float64
		var bit fieldSet
		switch string(k) {
		case "width":
			dst, bit = &m.Width, hasWidth
		case "height":
			dst, bit = &m.Height, hasHeight
		case "frameTotal":
			dst, bit = &m.FrameTotal, hasFrameTotal
		case "frameRate":
			dst, bit = &m.FrameRate, hasFrameRate
		default:
			d.extra(&m.Extra, k, v)
			return
		}
		if v.Type() != fastjson.TypeNumber {
			d.tolerate(v, k, &m.Extra, "a number")
			return
		}
		d.push(string(k))
		f, ok := d.number(v, string(k))
		d.pop()
		if ok {
			*dst = d.newFloat(f)
			m.has |= bit
		}
	})
}

// task decodes a v3 "task" or one legacy "tasks" entry.
func (d *decoder) task(v *fastjson.Value, legacy bool) *Task {
	t := &Task{Legacy: legacy}
	toolsKey := "tools"
	if legacy {
		toolsKey = "objects"
	}
	v.GetObject().Visit(func(k []byte, v *fastjson.Value) {
		if d.err != nil {
			return
		}
		switch string(k) {
		case "taskId":
			if s, ok := d.str(v, k, &t.Extra, false); ok {
				t.TaskID, t.has = s, t.has|hasTaskID
			}
		case "stage":
			if s, ok := d.str(v, k, &t.Extra, true); ok {
				t.Stage, t.has = s, t.has|hasStage
			}
		case "stageId":
			if s, ok := d.str(v, k, &t.Extra, true); ok {
				t.StageID, t.has = s, t.has|hasStageID
			}
		case "updatedAt":
			if s, ok := d.str(v, k, &t.Extra, false); ok {
				t.UpdatedAt, t.has = s, t.has|hasUpdatedAt
			}
		case "updatedBy":
			if s, ok := d.str(v, k, &t.Extra, true); ok {
				t.UpdatedBy, t.has = s, t.has|hasUpdatedBy
			}
		case "brushDataUrl":
			if s, ok := d.str(v, k, &t.Extra, false); ok {
				t.BrushDataURL, t.has = s, t.has|hasBrushDataURL
			}
		case "medicalBrushDataUrl":
			if s, ok := d.str(v, k, &t.Extra, false); ok {
				t.MedicalBrushDataURL, t.has = s, t.has|hasMedicalBrushDataURL
			}
		case "isSkipped":
			if b, ok := d.boolean(v, k, &t.Extra); ok {
				t.IsSkipped, t.has = b, t.has|hasIsSkipped
			}
		case toolsKey:
			d.push(toolsKey)
			t.Tools = d.tools(v, toolsKey)
			d.pop()
		case "classifications":
			d.push("classifications")
			t.Classifications = d.classifications(v)
			d.pop()
		case "relations":
			d.push("relations")
			t.Relations = d.relations(v)
			d.pop()
		case "stageHistory":
			d.push("stageHistory")
			t.StageHistory = d.stageHistory(v)
			d.pop()
		case "review":
			if v.Type() != fastjson.TypeObject {
				d.tolerate(v, k, &t.Extra, "an object")
				return
			}
			d.push("review")
			t.Review = d.review(v.GetObject())
			d.pop()
		default:
			d.extra(&t.Extra, k, v)
		}
	})
	return t
}

// review decodes a legacy "review" object.
func (d *decoder) review(o *fastjson.Object) *Review {
	r := &Review{}
	o.Visit(func(k []byte, v *fastjson.Value) {
		if d.err != nil {
			return
		}
		if string(k) == "status" {
			if s, ok := d.str(v, k, &r.Extra, true); ok {
				r.Status, r.has = s, r.has|hasStatus
			}
			return
		}
		d.extra(&r.Extra, k, v)
	})
	return r
}

// stageHistory decodes "stageHistory".
func (d *decoder) stageHistory(v *fastjson.Value) []*StageSnapshot {
	arr, ok := d.array(v, "stageHistory")
	if !ok {
		return nil
	}
	block := make([]StageSnapshot, len(arr))
	out := make([]*StageSnapshot, len(arr))
	for i, e := range arr {
		d.pushIdx(i)
		if o, ok := d.object(e, "stageHistory entry"); ok {
			d.snapshot(&block[i], o)
		}
		d.pop()
		if d.err != nil {
			return nil
		}
		out[i] = &block[i]
	}
	return out
}

// snapshot decodes one "stageHistory" entry.
func (d *decoder) snapshot(s *StageSnapshot, o *fastjson.Object) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		if d.err != nil {
			return
		}
		switch string(k) {
		case "stage":
			if x, ok := d.str(v, k, &s.Extra, true); ok {
				s.Stage, s.has = x, s.has|hasStage
			}
		case "stageId":
			if x, ok := d.str(v, k, &s.Extra, true); ok {
				s.StageID, s.has = x, s.has|hasStageID
			}
		case "completedAt":
			if x, ok := d.str(v, k, &s.Extra, false); ok {
				s.CompletedAt, s.has = x, s.has|hasCompletedAt
			}
		case "completedBy":
			if x, ok := d.str(v, k, &s.Extra, true); ok {
				s.CompletedBy, s.has = x, s.has|hasCompletedBy
			}
		case "reviewStatus":
			if x, ok := d.str(v, k, &s.Extra, true); ok {
				s.ReviewStatus, s.has = x, s.has|hasReviewStatus
			}
		case "brushDataUrl":
			if x, ok := d.str(v, k, &s.Extra, false); ok {
				s.BrushDataURL, s.has = x, s.has|hasBrushDataURL
			}
		case "tools":
			d.push("tools")
			s.Tools = d.tools(v, "tools")
			d.pop()
		case "classifications":
			d.push("classifications")
			s.Classifications = d.classifications(v)
			d.pop()
		case "relations":
			d.push("relations")
			s.Relations = d.relations(v)
			d.pop()
		default:
			d.extra(&s.Extra, k, v)
		}
	})
}

// tools decodes a "tools" or "objects" list.
func (d *decoder) tools(v *fastjson.Value, key string) []*Tool {
	arr, ok := d.array(v, key)
	if !ok {
		return nil
	}
	block := make([]Tool, len(arr))
	out := make([]*Tool, len(arr))
	for i, e := range arr {
		d.pushIdx(i)
		d.tool(&block[i], e)
		d.pop()
		if d.err != nil {
			return nil
		}
		out[i] = &block[i]
	}
	return out
}

// geometryKind returns the ToolKind for a known geometry key.
func geometryKind(k []byte) ToolKind {
	switch string(k) {
	case "bounding-box":
		return KindBoundingBox
	case "rotated-bounding-box":
		return KindRotatedBoundingBox
	case "polygon":
		return KindPolygon
	case "polyline":
		return KindPolyline
	case "point":
		return KindPoint
	case "segmentation":
		return KindSegmentation
	case "ner":
		return KindNER
	case "pdf":
		return KindPDF
	case "spline":
		return KindSpline
	}
	return ""
}

// tool decodes one annotation object.
func (d *decoder) tool(t *Tool, v *fastjson.Value) {
	o, ok := d.object(v, "tool")
	if !ok {
		return
	}
	outer := d.obj
	d.obj = ""
	if idv := o.Get("objectId"); idv != nil {
		if s, ok := d.strict(idv, "objectId"); ok {
			t.ObjectID, t.has, d.obj = s, t.has|hasObjectID, s
		}
	}
	o.Visit(func(k []byte, v *fastjson.Value) {
		if d.err != nil {
			return
		}
		switch string(k) {
		case "objectId":
		case "schemaId":
			if s, ok := d.str(v, k, &t.Extra, true); ok {
				t.SchemaID, t.has = s, t.has|hasSchemaID
			}
		case "title":
			if s, ok := d.str(v, k, &t.Extra, true); ok {
				t.Title, t.has = s, t.has|hasTitle
			}
		case "classifications":
			d.push("classifications")
			t.Classifications = d.classifications(v)
			d.pop()
		case "page":
			t.Page = d.page(v)
		case "interpolationStopped":
			if b, ok := d.boolean(v, k, &t.Extra); ok {
				t.InterpolationStopped, t.has = b, t.has|hasInterpolationStopped
			}
		default:
			kind := geometryKind(k)
			if kind == "" {
				d.extra(&t.Extra, k, v)
				return
			}
			d.push(string(kind))
			if t.Kind != "" {
				d.fail("second geometry key (the object already has " + strconv.Quote(string(t.Kind)) + "); an object has exactly one")
			} else {
				t.Kind = kind
				d.geometry(t, kind, v)
			}
			d.pop()
		}
	})
	if d.err == nil && t.Kind == "" && d.warnOn && t.Extra["medical-brush"] == nil {
		d.warn("no known geometry key; kept as is")
	}
	d.obj = outer
}

// geometry decodes the value of a geometry key; the key is pushed.
func (d *decoder) geometry(t *Tool, kind ToolKind, v *fastjson.Value) {
	switch kind {
	case KindBoundingBox:
		t.BoundingBox = d.boundingBox(t, v)
	case KindRotatedBoundingBox:
		t.RotatedBox = d.rotatedBox(v)
	case KindPolygon:
		t.Polygon = d.ring(v, "polygon", "vertex")
		if d.err == nil && len(t.Polygon) < 3 {
			d.warn("polygon has " + strconv.Itoa(len(t.Polygon)) + " vertices; a valid polygon needs at least 3")
		}
	case KindPolyline:
		t.Polyline = d.ring(v, "polyline", "vertex")
		if d.err == nil && len(t.Polyline) < 2 {
			d.warn("polyline has " + strconv.Itoa(len(t.Polyline)) + " points; a line needs at least 2")
		}
	case KindPoint:
		if p, ok := d.point(v, "point"); ok {
			t.Point = &p
		}
	case KindSegmentation:
		t.Segmentation = d.segmentation(v)
	case KindNER:
		t.NER = d.ner(v)
	case KindPDF:
		t.PDF = d.pdf(v)
	default:
		t.Geometry = d.raw(v)
	}
}

const bboxShape = "bounding box must be an object with numeric x, y, width, height"

// boundingBox decodes a "bounding-box" object.
func (d *decoder) boundingBox(t *Tool, v *fastjson.Value) *BoundingBox {
	if v.Type() != fastjson.TypeObject {
		d.fail(bboxShape + "; got " + describe(v))
		return nil
	}
	b := &BoundingBox{}
	var seen fieldSet
	v.GetObject().Visit(func(k []byte, v *fastjson.Value) {
		if d.err != nil {
			return
		}
		var dst *float64
		var bit fieldSet
		switch string(k) {
		case "x":
			dst, bit = &b.X, 1
		case "y":
			dst, bit = &b.Y, 2
		case "width":
			dst, bit = &b.Width, 4
		case "height":
			dst, bit = &b.Height, 8
		default:
			d.extra(&t.geomExtra, k, v)
			return
		}
		d.push(string(k))
		*dst, _ = d.number(v, string(k))
		d.pop()
		seen |= bit
	})
	if d.err != nil {
		return nil
	}
	for i, name := range [...]string{"x", "y", "width", "height"} {
		if seen&(1<<i) == 0 {
			d.fail(bboxShape + "; " + strconv.Quote(name) + " is missing")
			return nil
		}
	}
	if b.Width < 0 || b.Height < 0 {
		d.warn("negative width or height (box drawn from another corner); use Normalize")
	}
	return b
}

const rboxShape = "rotated bounding box must be an object with numeric x, y, width, height, rotation"

// rotatedBox decodes a "rotated-bounding-box" object.
func (d *decoder) rotatedBox(v *fastjson.Value) *RotatedBox {
	if v.Type() != fastjson.TypeObject {
		d.fail(rboxShape + "; got " + describe(v))
		return nil
	}
	b := &RotatedBox{}
	var seen fieldSet
	v.GetObject().Visit(func(k []byte, v *fastjson.Value) {
		if d.err != nil {
			return
		}
		var dst *float64
		var bit fieldSet
		switch string(k) {
		case "x":
			dst, bit = &b.X, 1
		case "y":
			dst, bit = &b.Y, 2
		case "width":
			dst, bit = &b.Width, 4
		case "height":
			dst, bit = &b.Height, 8
		case "rotation":
			dst, bit = &b.Rotation, 16
		case "corners":
			d.push("corners")
			b.Corners = d.ring(v, "corners", "corner")
			d.pop()
			return
		default:
			d.extra(&b.Extra, k, v)
			return
		}
		d.push(string(k))
		*dst, _ = d.number(v, string(k))
		d.pop()
		seen |= bit
	})
	if d.err != nil {
		return nil
	}
	for i, name := range [...]string{"x", "y", "width", "height", "rotation"} {
		if seen&(1<<i) == 0 {
			d.fail(rboxShape + "; " + strconv.Quote(name) + " is missing")
			return nil
		}
	}
	return b
}

// point decodes an [x, y] pair; what names it in messages ("vertex").
func (d *decoder) point(v *fastjson.Value, what string) (Point, bool) {
	if v.Type() != fastjson.TypeArray {
		d.fail(what + " must be [x, y] (2 numbers), got " + describe(v))
		return Point{}, false
	}
	a := v.GetArray()
	if len(a) != 2 {
		n := "values"
		if len(a) == 1 {
			n = "value"
		}
		d.fail(what + " must be [x, y] (2 numbers), got " + strconv.Itoa(len(a)) + " " + n)
		return Point{}, false
	}
	var p Point
	for i := range 2 {
		d.pushIdx(i)
		f, ok := d.number(a[i], "coordinate")
		d.pop()
		if !ok {
			return Point{}, false
		}
		p[i] = f
	}
	return p, true
}

// ring decodes a list of [x, y] pairs; what names the list, vertex its
// elements.
func (d *decoder) ring(v *fastjson.Value, what, vertex string) []Point {
	if v.Type() != fastjson.TypeArray {
		d.fail(what + " must be an array of [x, y] pairs, got " + describe(v))
		return nil
	}
	a := v.GetArray()
	out := make([]Point, len(a))
	for i, e := range a {
		d.pushIdx(i)
		p, ok := d.point(e, vertex)
		d.pop()
		if !ok {
			return nil
		}
		out[i] = p
	}
	return out
}

// segmentation decodes a "segmentation" object.
func (d *decoder) segmentation(v *fastjson.Value) *Segmentation {
	o, ok := d.object(v, "segmentation")
	if !ok {
		return nil
	}
	s := &Segmentation{}
	o.Visit(func(k []byte, v *fastjson.Value) {
		if d.err != nil {
			return
		}
		if string(k) != "zones" {
			d.extra(&s.Extra, k, v)
			return
		}
		s.has |= hasZones
		d.push("zones")
		defer d.pop()
		arr, ok := d.array(v, "zones")
		if !ok {
			return
		}
		s.Zones = make([]Zone, len(arr))
		for i, e := range arr {
			d.pushIdx(i)
			d.zone(&s.Zones[i], e)
			d.pop()
			if d.err != nil {
				return
			}
		}
	})
	return s
}

// zone decodes one segmentation zone.
func (d *decoder) zone(z *Zone, v *fastjson.Value) {
	o, ok := d.object(v, "zone")
	if !ok {
		return
	}
	o.Visit(func(k []byte, v *fastjson.Value) {
		if d.err != nil {
			return
		}
		switch string(k) {
		case "region":
			z.has |= hasRegion
			d.push("region")
			z.Region = d.ring(v, "region", "vertex")
			d.pop()
		case "holes":
			z.has |= hasHoles
			d.push("holes")
			d.holes(z, v)
			d.pop()
		default:
			d.extra(&z.Extra, k, v)
		}
	})
	if d.err == nil && z.has&hasRegion == 0 {
		d.fail(`zone must have a "region" ring`)
	}
}

// holes decodes a zone's "holes": a list of rings, or (legacy variant) one
// flat list of pairs, accepted with a warning.
func (d *decoder) holes(z *Zone, v *fastjson.Value) {
	arr, ok := d.array(v, "holes")
	if !ok {
		return
	}
	if len(arr) > 0 && arr[0].Type() == fastjson.TypeArray && len(arr[0].GetArray()) == 2 &&
		arr[0].GetArray()[0].Type() == fastjson.TypeNumber {
		d.warn("holes is one flat list of [x, y] pairs, not a list of rings; read as one ring")
		z.flatHoles = true
		if ring := d.ring(v, "holes", "vertex"); d.err == nil {
			z.Holes = [][]Point{ring}
		}
		return
	}
	z.Holes = make([][]Point, len(arr))
	for i, e := range arr {
		d.pushIdx(i)
		z.Holes[i] = d.ring(e, "hole", "vertex")
		d.pop()
		if d.err != nil {
			return
		}
	}
}

// ner decodes a "ner" span.
func (d *decoder) ner(v *fastjson.Value) *NER {
	o, ok := d.object(v, "ner")
	if !ok {
		return nil
	}
	n := &NER{}
	var seen fieldSet
	o.Visit(func(k []byte, v *fastjson.Value) {
		if d.err != nil {
			return
		}
		switch string(k) {
		case "start", "end":
			d.push(string(k))
			f, _ := d.number(v, string(k))
			d.pop()
			if k[0] == 's' {
				n.Start, seen = f, seen|1
			} else {
				n.End, seen = f, seen|2
			}
		case "selection":
			if s, ok := d.str(v, k, &n.Extra, false); ok {
				n.Selection, n.has = s, n.has|hasSelection
			}
		default:
			d.extra(&n.Extra, k, v)
		}
	})
	if d.err == nil && seen != 3 {
		d.fail(`ner must be an object with numeric "start" and "end"`)
	}
	return n
}

// pdf decodes a "pdf" geometry best-effort; the source value is kept in
// Raw and shapes it cannot read are reported as warnings.
func (d *decoder) pdf(v *fastjson.Value) *PDF {
	p := &PDF{Raw: d.raw(v)}
	if d.err != nil {
		return p
	}
	if v.Type() != fastjson.TypeObject {
		d.warn("pdf must be an object, got " + describe(v) + "; kept as is")
		return p
	}
	if pos := v.Get("position"); pos != nil {
		if br := pos.Get("boundingRect"); br != nil {
			p.BoundingRect = pdfRect(br)
		}
		for _, r := range pos.GetArray("rects") {
			p.Rects = append(p.Rects, pdfRect(r))
		}
		if pn := pos.Get("pageNumber"); pn != nil {
			p.PageNumber = pn.GetInt()
		}
	}
	if c := v.Get("content"); c != nil {
		p.Text = string(c.GetStringBytes("text"))
		p.Image = string(c.GetStringBytes("image"))
	}
	orig := *p
	orig.Rects = append([]PDFRect(nil), p.Rects...)
	p.orig = &orig
	return p
}

// pdfRect reads one PDF rectangle; missing numbers read as 0.
func pdfRect(v *fastjson.Value) PDFRect {
	return PDFRect{
		X1: v.GetFloat64("x1"), Y1: v.GetFloat64("y1"),
		X2: v.GetFloat64("x2"), Y2: v.GetFloat64("y2"),
		Width: v.GetFloat64("width"), Height: v.GetFloat64("height"),
	}
}

// classifications decodes a "classifications" list (any depth).
func (d *decoder) classifications(v *fastjson.Value) []*Classification {
	arr, ok := d.array(v, "classifications")
	if !ok {
		return nil
	}
	block := make([]Classification, len(arr))
	out := make([]*Classification, len(arr))
	for i, e := range arr {
		d.pushIdx(i)
		d.classification(&block[i], e)
		d.pop()
		if d.err != nil {
			return nil
		}
		out[i] = &block[i]
	}
	return out
}

// classification decodes one classification answer.
func (d *decoder) classification(c *Classification, v *fastjson.Value) {
	o, ok := d.object(v, "classification")
	if !ok {
		return
	}
	outer := d.obj
	d.obj = ""
	if idv := o.Get("objectId"); idv != nil {
		if s, ok := d.strict(idv, "objectId"); ok {
			c.ObjectID, c.has, d.obj = s, c.has|hasObjectID, s
		}
	}
	o.Visit(func(k []byte, v *fastjson.Value) {
		if d.err != nil {
			return
		}
		switch string(k) {
		case "objectId":
		case "schemaId":
			if s, ok := d.str(v, k, &c.Extra, true); ok {
				c.SchemaID, c.has = s, c.has|hasSchemaID
			}
		case "tool":
			if s, ok := d.str(v, k, &c.Extra, true); ok {
				c.Tool, c.has = s, c.has|hasTool
			}
		case "title":
			if s, ok := d.str(v, k, &c.Extra, true); ok {
				c.Title, c.has = s, c.has|hasTitle
			}
		case "answer":
			d.push("answer")
			c.Answer = d.answer(v)
			d.pop()
		case "classifications":
			d.push("classifications")
			c.Classifications = d.classifications(v)
			d.pop()
		case "page":
			c.Page = d.page(v)
		case "interpolationStopped":
			if b, ok := d.boolean(v, k, &c.Extra); ok {
				c.InterpolationStopped, c.has = b, c.has|hasInterpolationStopped
			}
		default:
			d.extra(&c.Extra, k, v)
		}
	})
	d.obj = outer
}

// answer decodes a classification "answer".
func (d *decoder) answer(v *fastjson.Value) Answer {
	switch v.Type() {
	case fastjson.TypeString:
		return Answer{Values: []string{d.intern(v.GetStringBytes())}, Present: true}
	case fastjson.TypeArray:
		arr := v.GetArray()
		vals := make([]string, len(arr))
		for i, e := range arr {
			if e.Type() != fastjson.TypeString {
				d.warn("answer list holds " + describe(e) + "; kept as raw JSON")
				return Answer{Present: true, Raw: d.raw(v)}
			}
			vals[i] = d.intern(e.GetStringBytes())
		}
		return Answer{Values: vals, List: true, Present: true}
	case fastjson.TypeNull:
		return Answer{Present: true, Raw: json.RawMessage("null")}
	default:
		d.warn("answer is " + describe(v) + ", not a string or a list of strings; kept as raw JSON")
		return Answer{Present: true, Raw: d.raw(v)}
	}
}

// relations decodes a "relations" list.
func (d *decoder) relations(v *fastjson.Value) []*Relation {
	arr, ok := d.array(v, "relations")
	if !ok {
		return nil
	}
	block := make([]Relation, len(arr))
	out := make([]*Relation, len(arr))
	for i, e := range arr {
		d.pushIdx(i)
		d.relation(&block[i], e)
		d.pop()
		if d.err != nil {
			return nil
		}
		out[i] = &block[i]
	}
	return out
}

// relation decodes one relation.
func (d *decoder) relation(r *Relation, v *fastjson.Value) {
	o, ok := d.object(v, "relation")
	if !ok {
		return
	}
	outer := d.obj
	d.obj = ""
	if idv := o.Get("objectId"); idv != nil {
		if s, ok := d.strict(idv, "objectId"); ok {
			r.ObjectID, r.has, d.obj = s, r.has|hasObjectID, s
		}
	}
	o.Visit(func(k []byte, v *fastjson.Value) {
		if d.err != nil {
			return
		}
		switch string(k) {
		case "objectId":
		case "schemaId":
			if s, ok := d.str(v, k, &r.Extra, true); ok {
				r.SchemaID, r.has = s, r.has|hasSchemaID
			}
		case "title":
			if s, ok := d.str(v, k, &r.Extra, true); ok {
				r.Title, r.has = s, r.has|hasTitle
			}
		case "from":
			if s, ok := d.strict(v, "from"); ok {
				r.From, r.has = s, r.has|hasFrom
			}
		case "to":
			if s, ok := d.strict(v, "to"); ok {
				r.To, r.has = s, r.has|hasTo
			}
		case "direction":
			if s, ok := d.str(v, k, &r.Extra, true); ok {
				r.Direction, r.has = s, r.has|hasDirection
				if s != "straight" && s != "reverse" && s != "bidirectional" {
					d.push("direction")
					d.warn("unknown direction " + strconv.Quote(s) + " (want straight, reverse or bidirectional)")
					d.pop()
				}
			}
		case "group":
			d.push("group")
			if arr, ok := d.array(v, "group"); ok {
				r.Group = make([]string, len(arr))
				for i, e := range arr {
					d.pushIdx(i)
					if e.Type() != fastjson.TypeString {
						d.fail("group member must be an objectId (string), got " + describe(e))
					} else {
						r.Group[i] = string(e.GetStringBytes())
					}
					d.pop()
				}
			}
			d.pop()
		case "page":
			r.Page = d.page(v)
		default:
			d.extra(&r.Extra, k, v)
		}
	})
	if d.err == nil {
		single := r.has&(hasFrom|hasTo) != 0
		switch {
		case r.Group != nil && single:
			d.fail(`relation has both "group" and "from"/"to"; it must be one or the other`)
		case r.Group == nil && r.has&(hasFrom|hasTo) != hasFrom|hasTo:
			d.fail(`relation needs "from" and "to" (single) or "group"`)
		}
	}
	d.obj = outer
}
