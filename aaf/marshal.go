package aaf

import (
	"sync"
)

// decoders holds decoders for the UnmarshalJSON methods.
var decoders = sync.Pool{New: func() any { return &decoder{} }}

// unmarshal decodes data with f, reporting problems as an [*Error] (Index
// -1, lines counted from the start of data).
func unmarshal(data []byte, f func(d *decoder)) error {
	d := decoders.Get().(*decoder)
	defer decoders.Put(d)
	d.reset(data)
	d.document(func() { f(d) })
	if d.err != nil {
		return finish(d.err, data, -1, 1, 0, "", d.errAt)
	}
	return nil
}

// validJSON checks that data is one JSON value, as strictly as the reader.
func validJSON(data []byte) error {
	return unmarshal(data, func(d *decoder) { d.skip() })
}

// marshal runs f on a fresh encoder state.
func marshal(f func(s *encState)) ([]byte, error) {
	var s encState
	f(&s)
	if s.err != nil {
		return nil, s.err
	}
	return s.buf, nil
}

// MarshalJSON writes the asset as AAF JSON, including the keys kept in the
// Extra maps; see [Encoder.Encode].
func (a Asset) MarshalJSON() ([]byte, error) {
	return marshal(func(s *encState) { s.asset(&a) })
}

// UnmarshalJSON reads one asset and validates it like a [Reader] does; an
// invalid asset gives an [*Error].
func (a *Asset) UnmarshalJSON(data []byte) error {
	return unmarshal(data, func(d *decoder) {
		x := d.asset()
		if d.err == nil {
			var val validator
			if e := val.asset(x); e != nil {
				d.err = e
			}
		}
		if d.err != nil {
			if x != nil {
				d.err.ExternalID = x.ExternalID
			}
			return
		}
		*a = *x
	})
}

// MarshalJSON writes the task as AAF JSON ("objects" for a legacy task).
func (t Task) MarshalJSON() ([]byte, error) {
	return marshal(func(s *encState) { s.task(&t) })
}

// UnmarshalJSON reads one task: legacy when it has "objects" and no
// "tools". Its snapshots are validated like a Reader does.
func (t *Task) UnmarshalJSON(data []byte) error {
	return unmarshal(data, func(d *decoder) {
		if !d.isObject("task") {
			return
		}
		legacy := locate(d.b, []pathSeg{{key: "objects"}}) >= 0 && locate(d.b, []pathSeg{{key: "tools"}}) < 0
		x := d.task(legacy)
		if d.err == nil {
			var val validator
			key := "tools"
			if legacy {
				key = "objects"
			}
			if e := val.task(x, nil, key); e != nil {
				d.err = e
			}
		}
		if d.err == nil {
			*t = *x
		}
	})
}

// MarshalJSON writes the stage history entry as AAF JSON.
func (h StageSnapshot) MarshalJSON() ([]byte, error) {
	return marshal(func(s *encState) { s.snapshot(&h) })
}

// UnmarshalJSON reads one stage history entry.
func (h *StageSnapshot) UnmarshalJSON(data []byte) error {
	return unmarshal(data, func(d *decoder) {
		if !d.isObject("stageHistory entry") {
			return
		}
		var x StageSnapshot
		d.snapshot(&x)
		if d.err == nil {
			*h = x
		}
	})
}

// MarshalJSON writes the annotation object as AAF JSON.
func (t Tool) MarshalJSON() ([]byte, error) {
	return marshal(func(s *encState) { s.tool(&t) })
}

// UnmarshalJSON reads one annotation object.
func (t *Tool) UnmarshalJSON(data []byte) error {
	return unmarshal(data, func(d *decoder) {
		var x Tool
		d.tool(&x)
		if d.err == nil {
			*t = x
		}
	})
}

// MarshalJSON writes the classification as AAF JSON.
func (c Classification) MarshalJSON() ([]byte, error) {
	return marshal(func(s *encState) { s.classification(&c) })
}

// UnmarshalJSON reads one classification (with its nested ones).
func (c *Classification) UnmarshalJSON(data []byte) error {
	return unmarshal(data, func(d *decoder) {
		var x Classification
		d.classification(&x)
		if d.err == nil {
			*c = x
		}
	})
}

// MarshalJSON writes the answer: a string, a list of strings, or the raw
// value it was read from.
func (a Answer) MarshalJSON() ([]byte, error) {
	return marshal(func(s *encState) { s.answer(a) })
}

// UnmarshalJSON reads an answer.
func (a *Answer) UnmarshalJSON(data []byte) error {
	return unmarshal(data, func(d *decoder) { *a = d.answer() })
}

// MarshalJSON writes the relation as AAF JSON.
func (r Relation) MarshalJSON() ([]byte, error) {
	return marshal(func(s *encState) { s.relation(&r) })
}

// UnmarshalJSON reads one relation.
func (r *Relation) UnmarshalJSON(data []byte) error {
	return unmarshal(data, func(d *decoder) {
		var x Relation
		d.relation(&x)
		if d.err == nil {
			*r = x
		}
	})
}

// MarshalJSON writes the metadata object.
func (m Metadata) MarshalJSON() ([]byte, error) {
	return marshal(func(s *encState) { s.metadata(&m) })
}

// UnmarshalJSON reads a metadata object.
func (m *Metadata) UnmarshalJSON(data []byte) error {
	return unmarshal(data, func(d *decoder) {
		if !d.isObject("metadata") {
			return
		}
		var x Metadata
		d.metadata(&x)
		if d.err == nil {
			*m = x
		}
	})
}

// MarshalJSON writes the box as {"x", "y", "width", "height"}.
func (b BoundingBox) MarshalJSON() ([]byte, error) {
	t := Tool{Kind: KindBoundingBox, BoundingBox: &b}
	return marshal(func(s *encState) { s.geometry(&t, KindBoundingBox) })
}

// UnmarshalJSON reads a "bounding-box" object; keys other than x, y,
// width and height are dropped.
func (b *BoundingBox) UnmarshalJSON(data []byte) error {
	return unmarshal(data, func(d *decoder) {
		var t Tool
		if x := d.boundingBox(&t); d.err == nil {
			*b = *x
		}
	})
}

// MarshalJSON writes the rotated box.
func (b RotatedBox) MarshalJSON() ([]byte, error) {
	return marshal(func(s *encState) { s.rotatedBox(&b) })
}

// UnmarshalJSON reads a "rotated-bounding-box" object.
func (b *RotatedBox) UnmarshalJSON(data []byte) error {
	return unmarshal(data, func(d *decoder) {
		if x := d.rotatedBox(); d.err == nil {
			*b = *x
		}
	})
}

// MarshalJSON writes the segmentation.
func (g Segmentation) MarshalJSON() ([]byte, error) {
	return marshal(func(s *encState) { s.segmentation(&g) })
}

// UnmarshalJSON reads a "segmentation" object.
func (g *Segmentation) UnmarshalJSON(data []byte) error {
	return unmarshal(data, func(d *decoder) {
		if x := d.segmentation(); d.err == nil {
			*g = *x
		}
	})
}

// MarshalJSON writes the span.
func (n NER) MarshalJSON() ([]byte, error) {
	return marshal(func(s *encState) { s.ner(&n) })
}

// UnmarshalJSON reads a "ner" object.
func (n *NER) UnmarshalJSON(data []byte) error {
	return unmarshal(data, func(d *decoder) {
		if x := d.ner(); d.err == nil {
			*n = *x
		}
	})
}

// MarshalJSON writes the PDF geometry (its Raw value when unchanged).
func (p PDF) MarshalJSON() ([]byte, error) {
	return marshal(func(s *encState) { s.pdf(&p) })
}

// UnmarshalJSON reads a "pdf" object.
func (p *PDF) UnmarshalJSON(data []byte) error {
	return unmarshal(data, func(d *decoder) {
		if x := d.pdf(); d.err == nil {
			*p = *x
		}
	})
}
