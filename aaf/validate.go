package aaf

import (
	"hash/maphash"
	"strconv"
)

// idKey identifies an annotation within a snapshot: its objectId and its
// page (-1 when it has none).
type idKey struct {
	id   string
	page int
}

// validator runs the checks that span a snapshot: duplicate objectIds and
// relation endpoints. It is reused for every asset of a Reader; its tables
// are cleared, not reallocated, between snapshots.
type validator struct {
	seen   idSet // (objectId, page) of every annotation, with its ord
	ids    idSet // objectIds of the tools and relations (page 0)
	segs   []pathSeg
	prefix []pathSeg
	ord    int
}

// idSeed seeds the hashes of the validator's tables.
var idSeed = maphash.MakeSeed()

// maxKeptSlots is the size above which the validator's tables are
// dropped instead of cleared, so one huge asset does not keep its memory.
const maxKeptSlots = 8192

// idSet is an open-addressing hash table of (objectId, page) keys, each
// with the ord of its first occurrence. A generation number clears it in
// constant time between snapshots; it made the checks about a third
// cheaper than two Go maps emptied with clear().
type idSet struct {
	slots []idSlot // a power of two long
	gen   uint32   // slots of another generation are empty
	n     int
}

// idSlot is one entry of an idSet.
type idSlot struct {
	id   string
	page int
	ord  int
	hash uint64
	gen  uint32
}

// reset empties the set.
func (t *idSet) reset() {
	t.gen++
	t.n = 0
	if t.gen == 0 || len(t.slots) > maxKeptSlots {
		t.slots = nil
		t.gen = 1
	}
}

// add inserts (id, page) with ord, h being its hash, unless it is there
// already; it returns the ord of the key's first occurrence and whether
// it was there.
func (t *idSet) add(h uint64, id string, page, ord int) (int, bool) {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	mask := len(t.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.gen != t.gen {
			*sl = idSlot{id: id, page: page, ord: ord, hash: h, gen: t.gen}
			t.n++
			return ord, false
		}
		if sl.hash == h && sl.page == page && sl.id == id {
			return sl.ord, true
		}
	}
}

// has reports whether (id, page), whose hash is h, is in the set.
func (t *idSet) has(h uint64, id string, page int) bool {
	if t.n == 0 {
		return false
	}
	mask := len(t.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.gen != t.gen {
			return false
		}
		if sl.hash == h && sl.page == page && sl.id == id {
			return true
		}
	}
}

// grow doubles the table (64 slots at first), keeping its entries.
func (t *idSet) grow() {
	old, gen := t.slots, t.gen
	t.slots = make([]idSlot, max(64, 2*len(old)))
	t.n = 0
	for _, sl := range old {
		if sl.gen == gen {
			t.add(sl.hash, sl.id, sl.page, sl.ord)
		}
	}
}

// pageHash mixes page into the hash h of an objectId.
func pageHash(h uint64, page int) uint64 {
	return h ^ uint64(page+1)*0x9e3779b97f4a7c15
}

// snapshotRef names one snapshot of an asset for the checks.
type snapshotRef struct {
	tools           []*Tool
	classifications []*Classification
	relations       []*Relation
	toolsKey        string
}

// asset checks every snapshot of a: the final task and each stageHistory
// entry (v3), or each task of a legacy asset.
func (v *validator) asset(a *Asset) *Error {
	if a.Generation == GenerationLegacy {
		for i, t := range a.Tasks {
			if e := v.task(t, []pathSeg{{key: "tasks"}, {idx: i}}, "objects"); e != nil {
				return e
			}
		}
		return nil
	}
	if a.Task == nil {
		return nil
	}
	return v.task(a.Task, []pathSeg{{key: "task"}}, "tools")
}

// task checks a task and its stage history.
func (v *validator) task(t *Task, prefix []pathSeg, toolsKey string) *Error {
	if e := v.snapshot(snapshotRef{t.Tools, t.Classifications, t.Relations, toolsKey}, prefix); e != nil {
		return e
	}
	for i, s := range t.StageHistory {
		v.prefix = append(append(v.prefix[:0], prefix...), pathSeg{key: "stageHistory"}, pathSeg{idx: i})
		if e := v.snapshot(snapshotRef{s.Tools, s.Classifications, s.Relations, "tools"}, v.prefix); e != nil {
			return e
		}
	}
	return nil
}

// snapshot checks one snapshot whose path is prefix.
func (v *validator) snapshot(s snapshotRef, prefix []pathSeg) *Error {
	v.seen.reset()
	v.ids.reset()
	var dupAt, firstAt int
	var dup idKey
	v.walk(s, prefix, func(k idKey, kind byte, ord int) bool {
		h := maphash.String(idSeed, k.id)
		if kind != 'c' {
			v.ids.add(h, k.id, 0, 0)
		}
		if first, ok := v.seen.add(pageHash(h, k.page), k.id, k.page, ord); ok {
			dup, dupAt, firstAt = k, ord, first
			return false
		}
		return true
	})
	if dupAt > 0 {
		var dupPath, firstPath []pathSeg
		v.walk(s, prefix, func(_ idKey, _ byte, ord int) bool {
			if ord == firstAt {
				firstPath = append([]pathSeg{}, v.segs...)
			}
			if ord == dupAt {
				dupPath = append([]pathSeg{}, v.segs...)
				return false
			}
			return true
		})
		msg := "duplicate objectId " + strconv.Quote(dup.id)
		if dup.page >= 0 {
			msg += " on page " + strconv.Itoa(dup.page)
		}
		msg += " (also at " + renderPath(firstPath) + ")"
		return &Error{Offset: -1, Index: -1, Path: renderPath(dupPath), Msg: msg, Err: ErrInvalid, segs: dupPath}
	}
	for i, r := range s.relations {
		check := func(id string, seg pathSeg, idx int) *Error {
			if v.ids.has(maphash.String(idSeed, id), id, 0) {
				return nil
			}
			p := append(append([]pathSeg{}, prefix...), pathSeg{key: "relations"}, pathSeg{idx: i}, seg)
			if idx >= 0 {
				p = append(p, pathSeg{idx: idx})
			}
			return &Error{Offset: -1, Index: -1, Path: renderPath(p), ObjectID: r.ObjectID, Err: ErrInvalid, segs: p,
				Msg: "relation endpoint " + strconv.Quote(id) + " matches no tool or relation in this snapshot"}
		}
		if r.Group != nil {
			for j, m := range r.Group {
				if e := check(m, pathSeg{key: "group"}, j); e != nil {
					return e
				}
			}
			continue
		}
		if e := check(r.From, pathSeg{key: "from"}, -1); e != nil {
			return e
		}
		if e := check(r.To, pathSeg{key: "to"}, -1); e != nil {
			return e
		}
	}
	return nil
}

// walk calls f for every annotation with an objectId in s, in document
// order, with v.segs set to its path; kind is 't' (tool), 'c'
// (classification) or 'r' (relation). It stops when f returns false.
func (v *validator) walk(s snapshotRef, prefix []pathSeg, f func(k idKey, kind byte, ord int) bool) {
	v.segs = append(v.segs[:0], prefix...)
	v.ord = 0
	v.segs = append(v.segs, pathSeg{key: s.toolsKey})
	for i, t := range s.tools {
		v.segs = append(v.segs, pathSeg{idx: i})
		page := -1
		if t.Page != nil {
			page = *t.Page
		}
		if t.ObjectID != "" {
			v.ord++
			if !f(idKey{t.ObjectID, page}, 't', v.ord) {
				return
			}
		}
		if !v.walkClassifications(t.Classifications, page, f) {
			return
		}
		v.segs = v.segs[:len(v.segs)-1]
	}
	v.segs[len(v.segs)-1] = pathSeg{key: "classifications"}
	if !v.walkClassifications(s.classifications, -1, f) {
		return
	}
	v.segs = v.segs[:len(v.segs)-1]
	v.segs = append(v.segs, pathSeg{key: "relations"})
	for i, r := range s.relations {
		v.segs = append(v.segs, pathSeg{idx: i})
		page := -1
		if r.Page != nil {
			page = *r.Page
		}
		if r.ObjectID != "" {
			v.ord++
			if !f(idKey{r.ObjectID, page}, 'r', v.ord) {
				return
			}
		}
		v.segs = v.segs[:len(v.segs)-1]
	}
}

// walkClassifications walks a classification list whose path is v.segs
// (pushing "classifications" for nested lists is the caller's job for the
// top level). page is the page inherited from the parent.
func (v *validator) walkClassifications(cs []*Classification, page int, f func(k idKey, kind byte, ord int) bool) bool {
	nested := len(v.segs) > 0 && v.segs[len(v.segs)-1].key != "classifications"
	if nested {
		v.segs = append(v.segs, pathSeg{key: "classifications"})
	}
	for i, c := range cs {
		v.segs = append(v.segs, pathSeg{idx: i})
		p := page
		if c.Page != nil {
			p = *c.Page
		}
		if c.ObjectID != "" {
			v.ord++
			if !f(idKey{c.ObjectID, p}, 'c', v.ord) {
				return false
			}
		}
		if !v.walkClassifications(c.Classifications, p, f) {
			return false
		}
		v.segs = v.segs[:len(v.segs)-1]
	}
	if nested {
		v.segs = v.segs[:len(v.segs)-1]
	}
	return true
}
