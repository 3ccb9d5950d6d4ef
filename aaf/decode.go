package aaf

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/bits"
	"strconv"
)

// fieldSet records which known keys of a struct were present in the source,
// so that the encoder writes back empty strings and false flags it read.
type fieldSet uint32

// Known-key bits of Asset.
const (
	hasAsset fieldSet = 1 << iota
	hasAssetID
	hasExternalID
	hasMetadata
)

// Known-key bits of Task and StageSnapshot.
const (
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

// Known-key bits of Tool, Classification, Relation, Review, NER and the
// geometry objects.
const (
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

// Known-key bits of Metadata.
const (
	hasWidth fieldSet = 1 << iota
	hasHeight
	hasFrameTotal
	hasFrameRate
)

// maxWarnings bounds the warnings reported for one asset; locating each
// one costs a scan of the asset.
const maxWarnings = 100

// maxInterned bounds the string intern table of a decoder so memory does
// not grow with the number of assets.
const maxInterned = 4096

// internCacheBits is the log2 of the number of slots of the decoder's
// intern cache.
const internCacheBits = 10

// decoder turns one asset's bytes into the model in a single pass,
// checking the syntax and the types, and collecting the first error and
// any warnings. A decoder is reused for every asset of a Reader; it is not
// safe for concurrent use.
type decoder struct {
	b     []byte // the asset
	i     int    // read position in b
	depth int

	path     []pathSeg
	err      *Error
	errAt    int // offset in b of a syntax error
	warnings []*Error
	dropped  int // warnings over maxWarnings
	warnOn   bool

	strs     map[string]string
	strCache [1 << internCacheBits]string
	keyBuf   []byte
	valBuf   []byte
	floats   []float64
	ints     []int

	// Slabs the model's structs are allocated from, a chunk at a time.
	toolSlab  []Tool
	clsSlab   []Classification
	relSlab   []Relation
	snapSlab  []StageSnapshot
	strSlab   []string
	boxSlab   []BoundingBox
	rboxSlab  []RotatedBox
	pointSlab []Point
	segSlab   []Segmentation
	nerSlab   []NER

	// Slabs the model's lists and raw values are cut from (slab.go), and
	// the scratch stacks the lists are built on.
	toolPtrs   slab[*Tool]
	clsPtrs    slab[*Classification]
	relPtrs    slab[*Relation]
	points     slab[Point]
	strList    slab[string]
	rawBytes   slab[byte]
	toolStack  []*Tool
	clsStack   []*Classification
	relStack   []*Relation
	pointStack []Point
	strStack   []string
	spans      []strSpan

	// shareStrings makes the strings of an asset's annotations share one
	// allocation (see later); a Reader's decoders set it.
	shareStrings bool
	// omit is the parts left undecoded and unchecked (WithFields).
	omit     Fields
	strBytes []byte
	fixups   []strFixup
}

// slabChunk is the number of structs allocated at once for a slab.
const slabChunk = 16

// newTool returns a zeroed Tool from the slab.
func (d *decoder) newTool() *Tool {
	if len(d.toolSlab) == cap(d.toolSlab) {
		d.toolSlab = make([]Tool, 0, slabChunk)
	}
	d.toolSlab = d.toolSlab[:len(d.toolSlab)+1]
	return &d.toolSlab[len(d.toolSlab)-1]
}

// newClassification returns a zeroed Classification from the slab.
func (d *decoder) newClassification() *Classification {
	if len(d.clsSlab) == cap(d.clsSlab) {
		d.clsSlab = make([]Classification, 0, slabChunk)
	}
	d.clsSlab = d.clsSlab[:len(d.clsSlab)+1]
	return &d.clsSlab[len(d.clsSlab)-1]
}

// newRelation returns a zeroed Relation from the slab.
func (d *decoder) newRelation() *Relation {
	if len(d.relSlab) == cap(d.relSlab) {
		d.relSlab = make([]Relation, 0, slabChunk)
	}
	d.relSlab = d.relSlab[:len(d.relSlab)+1]
	return &d.relSlab[len(d.relSlab)-1]
}

// newSnapshot returns a zeroed StageSnapshot from the slab.
func (d *decoder) newSnapshot() *StageSnapshot {
	if len(d.snapSlab) == cap(d.snapSlab) {
		d.snapSlab = make([]StageSnapshot, 0, slabChunk)
	}
	d.snapSlab = d.snapSlab[:len(d.snapSlab)+1]
	return &d.snapSlab[len(d.snapSlab)-1]
}

// oneString returns a one-element slice holding s, from the slab; its
// capacity is 1 so that appending to it copies.
func (d *decoder) oneString(s string) []string {
	if len(d.strSlab) == cap(d.strSlab) {
		d.strSlab = make([]string, 0, 64)
	}
	d.strSlab = append(d.strSlab, s)
	n := len(d.strSlab)
	return d.strSlab[n-1 : n : n]
}

// reset prepares the decoder for the asset b.
func (d *decoder) reset(b []byte) {
	d.b, d.i, d.depth = b, 0, 0
	d.path = d.path[:0]
	d.err = nil
	d.errAt = -1
	d.dropped = 0
	d.warnings = d.warnings[:0]
	clear(d.fixups)
	d.fixups = d.fixups[:0]
	d.strBytes = d.strBytes[:0]
}

// fail records the first content error at the current path.
func (d *decoder) fail(msg string) {
	if d.err != nil {
		return
	}
	d.err = &Error{Offset: -1, Index: -1, Path: renderPath(d.path), Msg: msg, Err: ErrInvalid,
		segs: append([]pathSeg{}, d.path...), lookupID: true}
}

// failAt is fail for a value known to start at offset i of the asset.
func (d *decoder) failAt(i int, msg string) {
	if d.err != nil {
		return
	}
	d.fail(msg)
	d.errAt = i
}

// warn records a tolerated problem at the current path.
func (d *decoder) warn(msg string) {
	if !d.warnOn {
		return
	}
	if len(d.warnings) >= maxWarnings {
		d.dropped++
		return
	}
	d.warnings = append(d.warnings, &Error{Offset: -1, Index: -1, Path: renderPath(d.path), Msg: msg, Err: ErrInvalid,
		segs: append([]pathSeg{}, d.path...), lookupID: true})
}

func (d *decoder) push(key string) { d.path = append(d.path, pathSeg{key: key}) }
func (d *decoder) pushIdx(i int)   { d.path = append(d.path, pathSeg{idx: i}) }
func (d *decoder) pop()            { d.path = d.path[:len(d.path)-1] }

// intern returns b as a string, sharing one copy of short values that
// repeat across assets (class ids, titles, answers).
func (d *decoder) intern(b []byte) string {
	n := len(b)
	if n > 64 || n == 0 {
		return string(b)
	}
	// A direct-mapped cache keyed by a few bytes answers most lookups
	// with one comparison; the map behind it holds the rest.
	var h uint64
	if n >= 8 {
		h = binary.LittleEndian.Uint64(b) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(b[n-8:]), 29)
	} else {
		h = uint64(b[0]) | uint64(b[n-1])<<8 | uint64(b[n>>1])<<16
	}
	h = ((h ^ uint64(n)) * 0x9e3779b97f4a7c15) >> (64 - internCacheBits)
	if s := d.strCache[h]; s == string(b) {
		return s
	}
	s, ok := d.strs[string(b)]
	if !ok {
		if d.strs == nil || len(d.strs) >= maxInterned {
			d.strs = make(map[string]string, 256)
		}
		s = string(b)
		d.strs[s] = s
	}
	d.strCache[h] = s
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

// document decodes the whole of b with f and checks that only white space
// follows.
func (d *decoder) document(f func()) {
	if d.peek() == 0 {
		d.eof()
		return
	}
	f()
	if d.err == nil {
		d.ws()
		if d.i < len(d.b) {
			d.badChar("after top-level value")
		}
	}
}

// number decodes a JSON number, failing on other types and on values
// beyond float64 (1e999). what names the value in messages.
func (d *decoder) number(what string) (float64, bool) {
	start := d.i
	if d.kind() != 'n' {
		if d.err == nil {
			d.fail(what + " must be a number, got " + d.describe())
		}
		return 0, false
	}
	f, ok := d.scanNumber()
	if !ok {
		return 0, false
	}
	if math.IsInf(f, 0) {
		d.fail("number " + string(d.b[start:d.i]) + " out of range (not a finite float64)")
		return 0, false
	}
	return f, true
}

// raw returns a copy of the value at d.i, checked.
func (d *decoder) raw() json.RawMessage {
	v := d.skipValue()
	if v == nil {
		return nil
	}
	return d.rawBytes.copyOf(v, rawChunk)
}

// extra stores the value of an unknown key (or skips it when the reader
// leaves out FieldExtra).
func (d *decoder) extra(m *map[string]json.RawMessage, k []byte) {
	if d.omit&FieldExtra != 0 {
		d.skipUnchecked()
		return
	}
	key := d.intern(k)
	d.push(key)
	r := d.raw()
	d.pop()
	if *m == nil {
		*m = make(map[string]json.RawMessage, 4)
	}
	(*m)[key] = r
}

// str decodes a known string key that is tolerated with another type: a
// null or non-string value is kept in extra and reported as a warning; ok
// reports whether a string was read.
func (d *decoder) str(k []byte, m *map[string]json.RawMessage, intern bool) (string, bool) {
	if d.i < len(d.b) && d.b[d.i] == '"' {
		s, ok := d.readString(&d.valBuf)
		if !ok {
			return "", false
		}
		if intern {
			return d.intern(s), true
		}
		return string(s), true
	}
	d.tolerate(k, m, "a string")
	return "", false
}

// tolerate keeps a known key whose value has an unexpected type in extra,
// with a warning (nulls and timestamps given as numbers are not reported).
func (d *decoder) tolerate(k []byte, m *map[string]json.RawMessage, want string) {
	key := d.intern(k)
	d.push(key)
	t := d.kind()
	r := d.raw()
	if d.err == nil && t != 'z' && !(t == 'n' && (key == "updatedAt" || key == "completedAt")) && d.warnOn {
		d.warn("expected " + want + ", got " + describeRaw(t, r) + "; kept as is")
	}
	d.pop()
	if d.err != nil {
		return
	}
	if *m == nil {
		*m = make(map[string]json.RawMessage, 4)
	}
	(*m)[key] = r
}

// describeRaw names the raw value r of kind t for messages.
func describeRaw(t byte, r []byte) string {
	switch t {
	case 's':
		var s string
		if json.Unmarshal(r, &s) == nil {
			return describeString([]byte(s))
		}
		return "string"
	case 'n':
		return "number " + string(r)
	case 'b':
		return "boolean"
	case 'z':
		return "null"
	case 'a':
		return "array"
	}
	return "object"
}

// text is str for a string that is not interned: it is set in *dst
// through later, and ok reports whether a string was read.
func (d *decoder) text(dst *string, k []byte, m *map[string]json.RawMessage) bool {
	if d.i < len(d.b) && d.b[d.i] == '"' {
		s, ok := d.readString(&d.valBuf)
		if ok {
			d.later(dst, s)
		}
		return ok
	}
	d.tolerate(k, m, "a string")
	return false
}

// strict decodes into *dst (through later) a key that must be a string
// (ids that validation relies on); ok reports whether it was one.
func (d *decoder) strict(dst *string, key string) bool {
	if d.i < len(d.b) && d.b[d.i] == '"' {
		s, ok := d.readString(&d.valBuf)
		if ok {
			d.later(dst, s)
		}
		return ok
	}
	d.push(key)
	if d.kind() != 0 {
		d.fail(key + " must be a string, got " + d.describe())
	}
	d.pop()
	return false
}

// boolean decodes a tolerated boolean key.
func (d *decoder) boolean(k []byte, m *map[string]json.RawMessage) (bool, bool) {
	if d.i < len(d.b) {
		switch d.b[d.i] {
		case 't':
			return true, d.literal("true")
		case 'f':
			return false, d.literal("false")
		}
	}
	d.tolerate(k, m, "a boolean")
	return false, false
}

// page decodes a "page" key: a non-negative integer.
func (d *decoder) page() *int {
	d.push("page")
	defer d.pop()
	start := d.i
	if d.kind() != 'n' {
		if d.err == nil {
			d.fail("page must be a non-negative integer, got " + d.describe())
		}
		return nil
	}
	f, ok := d.number("page")
	if !ok {
		return nil
	}
	if f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		d.fail("page must be a non-negative integer, got number " + string(d.b[start:d.i]))
		return nil
	}
	return d.newInt(int(f))
}

// isArray checks that the value at d.i is an array; what names it in the
// message. The caller has pushed the key.
func (d *decoder) isArray(what string) bool {
	if d.i < len(d.b) && d.b[d.i] == '[' {
		return true
	}
	if d.kind() != 0 {
		d.fail(what + " must be an array, got " + d.describe())
	}
	return false
}

// isObject checks that the value at d.i is an object.
func (d *decoder) isObject(what string) bool {
	if d.i < len(d.b) && d.b[d.i] == '{' {
		return true
	}
	if d.kind() != 0 {
		d.fail(what + " must be an object, got " + d.describe())
	}
	return false
}

// asset decodes one asset object.
func (d *decoder) asset() *Asset {
	if !d.isObject("asset") {
		return nil
	}
	a := &Asset{}
	hasTask, tasksAt := false, -1
	var spec specTasks
	for k, ok := d.beginObject(); ok; k, ok = d.moreKeys() {
		switch string(k) {
		case "asset":
			if s, ok := d.str(k, &a.Extra, false); ok {
				a.Asset, a.has = s, a.has|hasAsset
			}
		case "assetId":
			if s, ok := d.str(k, &a.Extra, false); ok {
				a.AssetID, a.has = s, a.has|hasAssetID
			}
		case "externalId":
			if s, ok := d.str(k, &a.Extra, false); ok {
				a.ExternalID, a.has = s, a.has|hasExternalID
			}
		case "dataset":
			d.dataset(a, k)
		case "metadata":
			if d.omit&FieldMetadata != 0 {
				d.skipUnchecked()
				continue
			}
			if d.b[d.i] != '{' {
				d.tolerate(k, &a.Extra, "an object")
				continue
			}
			d.push("metadata")
			d.metadata(&a.Metadata)
			d.pop()
			a.has |= hasMetadata
		case "batches":
			if d.omit&FieldBatches != 0 {
				d.skipUnchecked()
				continue
			}
			d.batches(a, k)
		case "contextData":
			if d.omit&FieldContextData != 0 {
				d.skipUnchecked()
				continue
			}
			d.push("contextData")
			a.ContextData = d.raw()
			d.pop()
		case "task":
			hasTask = true
			a.Generation = GenerationV3
			d.push("task")
			if d.isObject("task") {
				a.Task = d.task(false)
			}
			d.pop()
		case "tasks":
			tasksAt = d.i
			if d.omit != 0 && !hasTask {
				// Decode the tasks at once: a reader that leaves parts
				// out would otherwise read them twice. A "task" key
				// further on makes them an extra key again (below).
				spec = d.legacyTasksAhead(a)
				continue
			}
			d.push("tasks")
			d.skip()
			d.pop()
		default:
			d.extra(&a.Extra, k)
		}
	}
	if d.err != nil {
		return a
	}
	end := d.i
	switch {
	case hasTask:
		if spec.done {
			spec.undo(d, a)
		}
		if tasksAt >= 0 {
			d.i = tasksAt
			d.extra(&a.Extra, []byte("tasks"))
		}
	case spec.done:
	case tasksAt >= 0:
		d.i = tasksAt
		d.push("tasks")
		d.legacyTasks(a)
		d.pop()
	default:
		d.fail(`missing "task" (and no legacy "tasks")`)
	}
	d.i = end
	return a
}

// legacyTasks decodes the legacy "tasks" array at d.i into a; "tasks" is
// pushed.
func (d *decoder) legacyTasks(a *Asset) {
	a.Generation = GenerationLegacy
	if !d.isArray("tasks") {
		return
	}
	for n, ok := 0, d.beginArray(); ok; n, ok = n+1, d.moreElems() {
		d.pushIdx(n)
		if d.isObject("task") {
			a.Tasks = append(a.Tasks, d.task(true))
		}
		d.pop()
	}
	if a.Tasks == nil && d.err == nil {
		a.Tasks = []*Task{}
	}
	if len(a.Tasks) > 0 {
		a.Task = a.Tasks[0]
	}
}

// specTasks is the state of legacy tasks decoded ahead (see asset): which
// warnings they added, so that they can be undone.
type specTasks struct {
	done             bool
	warnFrom, warnTo int
}

// legacyTasksAhead decodes the legacy "tasks" at d.i into a, on a decoder
// that leaves parts out, before the rest of the asset is known. When that
// fails it skips them instead, leaving them to be decoded (and the error
// found again) after the rest of the asset, as without it.
func (d *decoder) legacyTasksAhead(a *Asset) specTasks {
	start, depth, nw, np := d.i, d.depth, len(d.warnings), len(d.path)
	d.push("tasks")
	d.legacyTasks(a)
	d.pop()
	if d.err == nil {
		return specTasks{done: true, warnFrom: nw, warnTo: len(d.warnings)}
	}
	d.err, d.errAt = nil, -1
	clear(d.warnings[nw:])
	d.warnings = d.warnings[:nw]
	a.Tasks, a.Task, a.Generation = nil, nil, 0
	d.i, d.depth, d.path = start, depth, d.path[:np]
	d.skipUnchecked()
	return specTasks{}
}

// undo drops the tasks decoded ahead and their warnings: a "task" key came
// after them.
func (s specTasks) undo(d *decoder, a *Asset) {
	d.warnings = append(d.warnings[:s.warnFrom], d.warnings[s.warnTo:]...)
	a.Tasks = nil
	a.Generation = GenerationV3
}

// dataset decodes "dataset": a list of page URLs.
func (d *decoder) dataset(a *Asset, k []byte) {
	start, depth := d.i, d.depth
	if d.b[d.i] == '[' {
		out := []string{}
		for ok := d.beginArray(); ok; ok = d.moreElems() {
			if d.b[d.i] != '"' {
				out = nil
				break
			}
			s, ok := d.readString(&d.valBuf)
			if !ok {
				return
			}
			out = append(out, string(s))
		}
		if d.err != nil {
			return
		}
		if out != nil {
			a.Dataset = out
			return
		}
	}
	d.i, d.depth = start, depth
	d.tolerate(k, &a.Extra, "an array of strings")
}

// batches decodes "batches", dropping null entries but remembering the
// source list so it can be written back unchanged.
func (d *decoder) batches(a *Asset, k []byte) {
	if d.b[d.i] != '[' {
		d.tolerate(k, &a.Extra, "an array of strings")
		return
	}
	start := d.i
	out := []string{}
	odd := false
	d.push("batches")
	for n, ok := 0, d.beginArray(); ok; n, ok = n+1, d.moreElems() {
		switch d.kind() {
		case 's':
			s, ok := d.readString(&d.valBuf)
			if !ok {
				break
			}
			out = append(out, d.intern(s))
		case 'z':
			odd = true
			d.skip()
		case 0:
		default:
			odd = true
			d.pushIdx(n)
			desc := d.describe()
			d.warn("expected a batch name (string), got " + desc + "; skipped")
			d.pop()
		}
	}
	d.pop()
	a.Batches = out
	if odd && d.err == nil {
		a.rawBatches = bytes.Clone(d.b[start:d.i])
	}
}

// metadata decodes an asset's "metadata" object.
func (d *decoder) metadata(m *Metadata) {
	for k, ok := d.beginObject(); ok; k, ok = d.moreKeys() {
		var dst **float64
		var bit fieldSet
		var name string
		switch string(k) {
		case "width":
			dst, bit, name = &m.Width, hasWidth, "width"
		case "height":
			dst, bit, name = &m.Height, hasHeight, "height"
		case "frameTotal":
			dst, bit, name = &m.FrameTotal, hasFrameTotal, "frameTotal"
		case "frameRate":
			dst, bit, name = &m.FrameRate, hasFrameRate, "frameRate"
		default:
			d.extra(&m.Extra, k)
			continue
		}
		if d.kind() != 'n' {
			d.tolerate(k, &m.Extra, "a number")
			continue
		}
		d.push(name)
		f, ok := d.number(name)
		d.pop()
		if ok {
			*dst = d.newFloat(f)
			m.has |= bit
		}
	}
}

// task decodes a v3 "task" or one legacy "tasks" entry at d.i (an object).
func (d *decoder) task(legacy bool) *Task {
	t := &Task{Legacy: legacy}
	toolsKey := "tools"
	if legacy {
		toolsKey = "objects"
	}
	for k, ok := d.beginObject(); ok; k, ok = d.moreKeys() {
		switch string(k) {
		case "taskId":
			if d.text(&t.TaskID, k, &t.Extra) {
				t.has |= hasTaskID
			}
		case "stage":
			if s, ok := d.str(k, &t.Extra, true); ok {
				t.Stage, t.has = s, t.has|hasStage
			}
		case "stageId":
			if s, ok := d.str(k, &t.Extra, true); ok {
				t.StageID, t.has = s, t.has|hasStageID
			}
		case "updatedAt":
			if d.text(&t.UpdatedAt, k, &t.Extra) {
				t.has |= hasUpdatedAt
			}
		case "updatedBy":
			if s, ok := d.str(k, &t.Extra, true); ok {
				t.UpdatedBy, t.has = s, t.has|hasUpdatedBy
			}
		case "brushDataUrl":
			if d.text(&t.BrushDataURL, k, &t.Extra) {
				t.has |= hasBrushDataURL
			}
		case "medicalBrushDataUrl":
			if d.text(&t.MedicalBrushDataURL, k, &t.Extra) {
				t.has |= hasMedicalBrushDataURL
			}
		case "isSkipped":
			if b, ok := d.boolean(k, &t.Extra); ok {
				t.IsSkipped, t.has = b, t.has|hasIsSkipped
			}
		case toolsKey:
			if d.omit&FieldTools != 0 {
				d.skipUnchecked()
				continue
			}
			d.push(toolsKey)
			t.Tools = d.tools(toolsKey)
			d.pop()
		case "classifications":
			if d.omit&FieldClassifications != 0 {
				d.skipUnchecked()
				continue
			}
			d.push("classifications")
			t.Classifications = d.classifications()
			d.pop()
		case "relations":
			if d.omit&FieldRelations != 0 {
				d.skipUnchecked()
				continue
			}
			d.push("relations")
			t.Relations = d.relations()
			d.pop()
		case "stageHistory":
			if d.omit&FieldStageHistory != 0 {
				d.skipUnchecked()
				continue
			}
			d.push("stageHistory")
			t.StageHistory = d.stageHistory()
			d.pop()
		case "review":
			if d.omit&FieldReview != 0 {
				d.skipUnchecked()
				continue
			}
			if d.b[d.i] != '{' {
				d.tolerate(k, &t.Extra, "an object")
				continue
			}
			d.push("review")
			t.Review = d.review()
			d.pop()
		default:
			d.extra(&t.Extra, k)
		}
	}
	return t
}

// review decodes a legacy "review" object.
func (d *decoder) review() *Review {
	r := &Review{}
	for k, ok := d.beginObject(); ok; k, ok = d.moreKeys() {
		if string(k) == "status" {
			if s, ok := d.str(k, &r.Extra, true); ok {
				r.Status, r.has = s, r.has|hasStatus
			}
			continue
		}
		d.extra(&r.Extra, k)
	}
	return r
}

// stageHistory decodes "stageHistory".
func (d *decoder) stageHistory() []*StageSnapshot {
	if !d.isArray("stageHistory") {
		return nil
	}
	out := []*StageSnapshot{}
	for n, ok := 0, d.beginArray(); ok; n, ok = n+1, d.moreElems() {
		d.pushIdx(n)
		if d.isObject("stageHistory entry") {
			s := d.newSnapshot()
			d.snapshot(s)
			out = append(out, s)
		}
		d.pop()
	}
	return out
}

// snapshot decodes one "stageHistory" entry.
func (d *decoder) snapshot(s *StageSnapshot) {
	for k, ok := d.beginObject(); ok; k, ok = d.moreKeys() {
		switch string(k) {
		case "stage":
			if x, ok := d.str(k, &s.Extra, true); ok {
				s.Stage, s.has = x, s.has|hasStage
			}
		case "stageId":
			if x, ok := d.str(k, &s.Extra, true); ok {
				s.StageID, s.has = x, s.has|hasStageID
			}
		case "completedAt":
			if d.text(&s.CompletedAt, k, &s.Extra) {
				s.has |= hasCompletedAt
			}
		case "completedBy":
			if x, ok := d.str(k, &s.Extra, true); ok {
				s.CompletedBy, s.has = x, s.has|hasCompletedBy
			}
		case "reviewStatus":
			if x, ok := d.str(k, &s.Extra, true); ok {
				s.ReviewStatus, s.has = x, s.has|hasReviewStatus
			}
		case "brushDataUrl":
			if d.text(&s.BrushDataURL, k, &s.Extra) {
				s.has |= hasBrushDataURL
			}
		case "tools":
			d.push("tools")
			s.Tools = d.tools("tools")
			d.pop()
		case "classifications":
			d.push("classifications")
			s.Classifications = d.classifications()
			d.pop()
		case "relations":
			d.push("relations")
			s.Relations = d.relations()
			d.pop()
		default:
			d.extra(&s.Extra, k)
		}
	}
}

// tools decodes a "tools" or "objects" list.
func (d *decoder) tools(key string) []*Tool {
	if !d.isArray(key) {
		return nil
	}
	base := len(d.toolStack)
	for n, ok := 0, d.beginArray(); ok; n, ok = n+1, d.moreElems() {
		d.pushIdx(n)
		t := d.newTool()
		d.tool(t)
		d.toolStack = append(d.toolStack, t)
		d.pop()
	}
	return popList(&d.toolStack, base, &d.toolPtrs, ptrChunk)
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
func (d *decoder) tool(t *Tool) {
	if !d.isObject("tool") {
		return
	}
	for k, ok := d.beginObject(); ok; k, ok = d.moreKeys() {
		switch string(k) {
		case "objectId":
			if d.strict(&t.ObjectID, "objectId") {
				t.has |= hasObjectID
			}
		case "schemaId":
			if s, ok := d.str(k, &t.Extra, true); ok {
				t.SchemaID, t.has = s, t.has|hasSchemaID
			}
		case "title":
			if s, ok := d.str(k, &t.Extra, true); ok {
				t.Title, t.has = s, t.has|hasTitle
			}
		case "classifications":
			if d.omit&FieldToolClassifications != 0 {
				d.skipUnchecked()
				continue
			}
			d.push("classifications")
			t.Classifications = d.classifications()
			d.pop()
		case "page":
			t.Page = d.page()
		case "interpolationStopped":
			if b, ok := d.boolean(k, &t.Extra); ok {
				t.InterpolationStopped, t.has = b, t.has|hasInterpolationStopped
			}
		default:
			kind := geometryKind(k)
			if kind == "" {
				d.extra(&t.Extra, k)
				continue
			}
			d.push(string(kind))
			if t.Kind != "" {
				d.fail("second geometry key (the object already has " + strconv.Quote(string(t.Kind)) + "); an object has exactly one")
			} else {
				t.Kind = kind
				d.geometry(t, kind)
			}
			d.pop()
		}
	}
	if d.err == nil && t.Kind == "" && d.warnOn && t.Extra["medical-brush"] == nil {
		d.warn("no known geometry key; kept as is")
	}
}

// geometry decodes the value of a geometry key; the key is pushed.
func (d *decoder) geometry(t *Tool, kind ToolKind) {
	switch kind {
	case KindBoundingBox:
		t.BoundingBox = d.boundingBox(t)
	case KindRotatedBoundingBox:
		t.RotatedBox = d.rotatedBox()
	case KindPolygon:
		t.Polygon = d.ring("polygon", "vertex")
		if d.err == nil && len(t.Polygon) < 3 {
			d.warn("polygon has " + strconv.Itoa(len(t.Polygon)) + " vertices; a valid polygon needs at least 3")
		}
	case KindPolyline:
		t.Polyline = d.ring("polyline", "vertex")
		if d.err == nil && len(t.Polyline) < 2 {
			d.warn("polyline has " + strconv.Itoa(len(t.Polyline)) + " points; a line needs at least 2")
		}
	case KindPoint:
		p, ok := d.pointFast()
		if !ok && d.err == nil {
			p, ok = d.point("point")
		}
		if ok {
			pp := one(&d.pointSlab, geomChunk)
			*pp = p
			t.Point = pp
		}
	case KindSegmentation:
		t.Segmentation = d.segmentation()
	case KindNER:
		t.NER = d.ner()
	case KindPDF:
		t.PDF = d.pdf()
	default:
		t.Geometry = d.raw()
	}
}

const bboxShape = "bounding box must be an object with numeric x, y, width, height"

// boundingBox decodes a "bounding-box" object.
func (d *decoder) boundingBox(t *Tool) *BoundingBox {
	if d.b[d.i] != '{' {
		if d.kind() != 0 {
			d.fail(bboxShape + "; got " + d.describe())
		}
		return nil
	}
	b := one(&d.boxSlab, geomChunk)
	var seen fieldSet
	for k, ok := d.beginObject(); ok; k, ok = d.moreKeys() {
		var dst *float64
		var bit fieldSet
		var name string
		switch string(k) {
		case "x":
			dst, bit, name = &b.X, 1, "x"
		case "y":
			dst, bit, name = &b.Y, 2, "y"
		case "width":
			dst, bit, name = &b.Width, 4, "width"
		case "height":
			dst, bit, name = &b.Height, 8, "height"
		default:
			d.extra(&t.geomExtra, k)
			continue
		}
		d.push(name)
		*dst, _ = d.number(name)
		d.pop()
		seen |= bit
	}
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
func (d *decoder) rotatedBox() *RotatedBox {
	if d.b[d.i] != '{' {
		if d.kind() != 0 {
			d.fail(rboxShape + "; got " + d.describe())
		}
		return nil
	}
	b := one(&d.rboxSlab, geomChunk)
	var seen fieldSet
	for k, ok := d.beginObject(); ok; k, ok = d.moreKeys() {
		var dst *float64
		var bit fieldSet
		var name string
		switch string(k) {
		case "x":
			dst, bit, name = &b.X, 1, "x"
		case "y":
			dst, bit, name = &b.Y, 2, "y"
		case "width":
			dst, bit, name = &b.Width, 4, "width"
		case "height":
			dst, bit, name = &b.Height, 8, "height"
		case "rotation":
			dst, bit, name = &b.Rotation, 16, "rotation"
		case "corners":
			d.push("corners")
			b.Corners = d.ring("corners", "corner")
			d.pop()
			continue
		default:
			d.extra(&b.Extra, k)
			continue
		}
		d.push(name)
		*dst, _ = d.number(name)
		d.pop()
		seen |= bit
	}
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
func (d *decoder) point(what string) (Point, bool) {
	if d.b[d.i] != '[' {
		if d.kind() != 0 {
			d.fail(what + " must be [x, y] (2 numbers), got " + d.describe())
		}
		return Point{}, false
	}
	var p Point
	n := 0
	for ok := d.beginArray(); ok; ok = d.moreElems() {
		if n < 2 {
			d.pushIdx(n)
			f, ok := d.number("coordinate")
			d.pop()
			if !ok {
				return Point{}, false
			}
			p[n] = f
		} else {
			d.skip()
		}
		n++
	}
	if d.err != nil {
		return Point{}, false
	}
	if n != 2 {
		noun := "values"
		if n == 1 {
			noun = "value"
		}
		d.fail(what + " must be [x, y] (2 numbers), got " + strconv.Itoa(n) + " " + noun)
		return Point{}, false
	}
	return p, true
}

// pointFast reads the plain pair of finite numbers [x, y] at d.i, the
// common case, without the bookkeeping of point. For anything else it
// returns false with d.i unchanged, and point reads the value, reporting
// its problems where they are; a syntax error in a number is recorded
// here (d.err), as point would.
func (d *decoder) pointFast() (Point, bool) {
	b, start := d.b, d.i
	if start >= len(b) || b[start] != '[' {
		return Point{}, false
	}
	var p Point
	i := start + 1
	for n := range 2 {
		for i < len(b) && isSpace[b[i]] {
			i++
		}
		if i >= len(b) || b[i] != '-' && (b[i] < '0' || b[i] > '9') {
			d.i = start
			return Point{}, false
		}
		d.i = i
		f, ok := d.scanNumber()
		if !ok {
			return Point{}, false
		}
		i = d.i
		for i < len(b) && isSpace[b[i]] {
			i++
		}
		want := byte(',')
		if n == 1 {
			want = ']'
		}
		if math.IsInf(f, 0) || i >= len(b) || b[i] != want {
			d.i = start
			return Point{}, false
		}
		p[n] = f
		i++
	}
	d.i = i
	return p, true
}

// ring decodes a list of [x, y] pairs; what names the list, vertex its
// elements.
func (d *decoder) ring(what, vertex string) []Point {
	if d.b[d.i] != '[' {
		if d.kind() != 0 {
			d.fail(what + " must be an array of [x, y] pairs, got " + d.describe())
		}
		return nil
	}
	base := len(d.pointStack)
	for n, ok := 0, d.beginArray(); ok; n, ok = n+1, d.moreElems() {
		if p, ok := d.pointFast(); ok {
			d.pointStack = append(d.pointStack, p)
			continue
		}
		if d.err != nil {
			d.pointStack = d.pointStack[:base]
			return nil
		}
		d.pushIdx(n)
		p, ok := d.point(vertex)
		d.pop()
		if !ok {
			d.pointStack = d.pointStack[:base]
			return nil
		}
		d.pointStack = append(d.pointStack, p)
	}
	return popList(&d.pointStack, base, &d.points, pointChunk)
}

// segmentation decodes a "segmentation" object.
func (d *decoder) segmentation() *Segmentation {
	if !d.isObject("segmentation") {
		return nil
	}
	s := one(&d.segSlab, geomChunk)
	for k, ok := d.beginObject(); ok; k, ok = d.moreKeys() {
		if string(k) != "zones" {
			d.extra(&s.Extra, k)
			continue
		}
		s.has |= hasZones
		d.push("zones")
		if d.isArray("zones") {
			s.Zones = []Zone{}
			for n, ok := 0, d.beginArray(); ok; n, ok = n+1, d.moreElems() {
				d.pushIdx(n)
				var z Zone
				d.zone(&z)
				s.Zones = append(s.Zones, z)
				d.pop()
			}
		}
		d.pop()
	}
	return s
}

// zone decodes one segmentation zone.
func (d *decoder) zone(z *Zone) {
	if !d.isObject("zone") {
		return
	}
	for k, ok := d.beginObject(); ok; k, ok = d.moreKeys() {
		switch string(k) {
		case "region":
			z.has |= hasRegion
			d.push("region")
			z.Region = d.ring("region", "vertex")
			d.pop()
		case "holes":
			z.has |= hasHoles
			d.push("holes")
			d.holes(z)
			d.pop()
		default:
			d.extra(&z.Extra, k)
		}
	}
	if d.err == nil && z.has&hasRegion == 0 {
		d.fail(`zone must have a "region" ring`)
	}
}

// holes decodes a zone's "holes": a list of rings, or (legacy variant) one
// flat list of pairs, accepted with a warning.
func (d *decoder) holes(z *Zone) {
	if !d.isArray("holes") {
		return
	}
	// Look inside: [[n, ...] ...] is the flat variant, [[[n, n] ...] ...]
	// the normal one.
	start := d.i
	j := start + 1
	for j < len(d.b) && isSpace[d.b[j]] {
		j++
	}
	if j < len(d.b) && d.b[j] == '[' {
		j++
		for j < len(d.b) && isSpace[d.b[j]] {
			j++
		}
		if j < len(d.b) && (d.b[j] == '-' || d.b[j] >= '0' && d.b[j] <= '9') {
			d.warn("holes is one flat list of [x, y] pairs, not a list of rings; read as one ring")
			z.flatHoles = true
			if ring := d.ring("holes", "vertex"); d.err == nil {
				z.Holes = [][]Point{ring}
			}
			return
		}
	}
	z.Holes = [][]Point{}
	for n, ok := 0, d.beginArray(); ok; n, ok = n+1, d.moreElems() {
		d.pushIdx(n)
		z.Holes = append(z.Holes, d.ring("hole", "vertex"))
		d.pop()
	}
}

// ner decodes a "ner" span.
func (d *decoder) ner() *NER {
	if !d.isObject("ner") {
		return nil
	}
	n := one(&d.nerSlab, geomChunk)
	var seen fieldSet
	for k, ok := d.beginObject(); ok; k, ok = d.moreKeys() {
		switch string(k) {
		case "start":
			d.push("start")
			n.Start, _ = d.number("start")
			d.pop()
			seen |= 1
		case "end":
			d.push("end")
			n.End, _ = d.number("end")
			d.pop()
			seen |= 2
		case "selection":
			if d.text(&n.Selection, k, &n.Extra) {
				n.has |= hasSelection
			}
		default:
			d.extra(&n.Extra, k)
		}
	}
	if d.err == nil && seen != 3 {
		d.fail(`ner must be an object with numeric "start" and "end"`)
	}
	return n
}

// pdfJSON is the shape of a "pdf" geometry, for encoding/json.
type pdfJSON struct {
	Position struct {
		BoundingRect pdfRectJSON   `json:"boundingRect"`
		Rects        []pdfRectJSON `json:"rects"`
		PageNumber   int           `json:"pageNumber"`
	} `json:"position"`
	Content struct {
		Text  string `json:"text"`
		Image string `json:"image"`
	} `json:"content"`
}

// pdfRectJSON is the JSON shape of a PDFRect.
type pdfRectJSON struct {
	X1     float64 `json:"x1"`
	Y1     float64 `json:"y1"`
	X2     float64 `json:"x2"`
	Y2     float64 `json:"y2"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// pdf decodes a "pdf" geometry best-effort: the source value is kept in
// Raw and a shape it cannot read is reported as a warning.
func (d *decoder) pdf() *PDF {
	p := &PDF{Raw: d.raw()}
	if d.err != nil {
		return p
	}
	var v pdfJSON
	if err := json.Unmarshal(p.Raw, &v); err != nil {
		d.warn("pdf geometry has an unexpected shape; kept as is")
		return p
	}
	p.BoundingRect = PDFRect(v.Position.BoundingRect)
	for _, r := range v.Position.Rects {
		p.Rects = append(p.Rects, PDFRect(r))
	}
	p.PageNumber = v.Position.PageNumber
	p.Text, p.Image = v.Content.Text, v.Content.Image
	orig := *p
	orig.Rects = append([]PDFRect(nil), p.Rects...)
	p.orig = &orig
	return p
}

// classifications decodes a "classifications" list (any depth).
func (d *decoder) classifications() []*Classification {
	if !d.isArray("classifications") {
		return nil
	}
	base := len(d.clsStack)
	for n, ok := 0, d.beginArray(); ok; n, ok = n+1, d.moreElems() {
		d.pushIdx(n)
		c := d.newClassification()
		d.classification(c)
		d.clsStack = append(d.clsStack, c)
		d.pop()
	}
	return popList(&d.clsStack, base, &d.clsPtrs, ptrChunk)
}

// classification decodes one classification answer.
func (d *decoder) classification(c *Classification) {
	if !d.isObject("classification") {
		return
	}
	for k, ok := d.beginObject(); ok; k, ok = d.moreKeys() {
		switch string(k) {
		case "objectId":
			if d.strict(&c.ObjectID, "objectId") {
				c.has |= hasObjectID
			}
		case "schemaId":
			if s, ok := d.str(k, &c.Extra, true); ok {
				c.SchemaID, c.has = s, c.has|hasSchemaID
			}
		case "tool":
			if s, ok := d.str(k, &c.Extra, true); ok {
				c.Tool, c.has = s, c.has|hasTool
			}
		case "title":
			if s, ok := d.str(k, &c.Extra, true); ok {
				c.Title, c.has = s, c.has|hasTitle
			}
		case "answer":
			d.push("answer")
			c.Answer = d.answer()
			d.pop()
		case "classifications":
			d.push("classifications")
			c.Classifications = d.classifications()
			d.pop()
		case "page":
			c.Page = d.page()
		case "interpolationStopped":
			if b, ok := d.boolean(k, &c.Extra); ok {
				c.InterpolationStopped, c.has = b, c.has|hasInterpolationStopped
			}
		default:
			d.extra(&c.Extra, k)
		}
	}
}

// answer decodes a classification "answer".
func (d *decoder) answer() Answer {
	start := d.i
	switch d.kind() {
	case 's':
		s, ok := d.readString(&d.valBuf)
		if !ok {
			return Answer{}
		}
		return Answer{Values: d.oneString(d.intern(s)), Present: true}
	case 'a':
		base := len(d.strStack)
		depth := d.depth
		for ok := d.beginArray(); ok; ok = d.moreElems() {
			if d.b[d.i] != '"' {
				clear(d.strStack[base:])
				d.strStack = d.strStack[:base]
				d.i, d.depth = start, depth
				raw := d.raw()
				if d.err == nil {
					d.warn("answer list holds a value that is not a string; kept as raw JSON")
				}
				return Answer{Present: true, Raw: raw}
			}
			s, ok := d.readString(&d.valBuf)
			if !ok {
				clear(d.strStack[base:])
				d.strStack = d.strStack[:base]
				return Answer{}
			}
			d.strStack = append(d.strStack, d.intern(s))
		}
		return Answer{Values: popList(&d.strStack, base, &d.strList, strChunk), List: true, Present: true}
	case 'z':
		d.skip()
		return Answer{Present: true, Raw: json.RawMessage("null")}
	case 0:
		return Answer{}
	}
	raw := d.raw()
	if d.err == nil {
		var t byte = 'o'
		if raw[0] == 't' || raw[0] == 'f' {
			t = 'b'
		} else if raw[0] != '{' {
			t = 'n'
		}
		d.warn("answer is " + describeRaw(t, raw) + ", not a string or a list of strings; kept as raw JSON")
	}
	return Answer{Present: true, Raw: raw}
}

// relations decodes a "relations" list.
func (d *decoder) relations() []*Relation {
	if !d.isArray("relations") {
		return nil
	}
	base := len(d.relStack)
	for n, ok := 0, d.beginArray(); ok; n, ok = n+1, d.moreElems() {
		d.pushIdx(n)
		r := d.newRelation()
		d.relation(r)
		d.relStack = append(d.relStack, r)
		d.pop()
	}
	return popList(&d.relStack, base, &d.relPtrs, ptrChunk)
}

// relation decodes one relation.
func (d *decoder) relation(r *Relation) {
	if !d.isObject("relation") {
		return
	}
	for k, ok := d.beginObject(); ok; k, ok = d.moreKeys() {
		switch string(k) {
		case "objectId":
			if d.strict(&r.ObjectID, "objectId") {
				r.has |= hasObjectID
			}
		case "schemaId":
			if s, ok := d.str(k, &r.Extra, true); ok {
				r.SchemaID, r.has = s, r.has|hasSchemaID
			}
		case "title":
			if s, ok := d.str(k, &r.Extra, true); ok {
				r.Title, r.has = s, r.has|hasTitle
			}
		case "from":
			if d.strict(&r.From, "from") {
				r.has |= hasFrom
			}
		case "to":
			if d.strict(&r.To, "to") {
				r.has |= hasTo
			}
		case "direction":
			if s, ok := d.str(k, &r.Extra, true); ok {
				r.Direction, r.has = s, r.has|hasDirection
				if s != "straight" && s != "reverse" && s != "bidirectional" {
					d.push("direction")
					d.warn("unknown direction " + strconv.Quote(s) + " (want straight, reverse or bidirectional)")
					d.pop()
				}
			}
		case "group":
			d.push("group")
			if d.isArray("group") {
				base, spans := len(d.strStack), len(d.spans)
				for n, ok := 0, d.beginArray(); ok; n, ok = n+1, d.moreElems() {
					d.pushIdx(n)
					if d.b[d.i] != '"' {
						if d.kind() != 0 {
							d.fail("group member must be an objectId (string), got " + d.describe())
						}
					} else if s, ok := d.readString(&d.valBuf); ok {
						d.strStack = append(d.strStack, "")
						d.spans = append(d.spans, d.stash(s))
					}
					d.pop()
				}
				r.Group = popList(&d.strStack, base, &d.strList, strChunk)
				for i, sp := range d.spans[spans:] {
					d.place(&r.Group[i], sp)
				}
				d.spans = d.spans[:spans]
			}
			d.pop()
		case "page":
			r.Page = d.page()
		default:
			d.extra(&r.Extra, k)
		}
	}
	if d.err == nil {
		single := r.has&(hasFrom|hasTo) != 0
		switch {
		case r.Group != nil && single:
			d.fail(`relation has both "group" and "from"/"to"; it must be one or the other`)
		case r.Group == nil && r.has&(hasFrom|hasTo) != hasFrom|hasTo:
			d.fail(`relation needs "from" and "to" (single) or "group"`)
		}
	}
}
