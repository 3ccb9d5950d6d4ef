package aaf

// The decoder builds many small lists and strings per asset (the tools of
// a task, the classifications of each tool, objectIds, ...). Allocating
// each one on its own made allocation and garbage collection a large part
// of decoding, so lists are cut from larger chunks and the strings of one
// asset's annotations share one allocation.

// Chunk sizes of the decoder's slabs, in elements.
const (
	geomChunk  = 32      // geometry structs
	ptrChunk   = 128     // list pointers: 1 KiB
	pointChunk = 256     // [x, y] pairs: 4 KiB
	strChunk   = 64      // string headers: 1 KiB
	rawChunk   = 8 << 10 // raw JSON bytes: 8 KiB
)

// maxKeptStrBytes is the size above which the decoder drops its string
// buffer after an asset instead of keeping it for the next one.
const maxKeptStrBytes = 1 << 20

// slab hands out slices cut from larger allocations. A returned slice has
// len == cap, so appending to it copies instead of overwriting its
// neighbour; it keeps its chunk alive as long as it is referenced.
type slab[T any] struct{ free []T }

// copyOf returns a copy of src in slab memory; an empty src gives an
// empty, non-nil slice and a long one its own allocation.
func (s *slab[T]) copyOf(src []T, chunk int) []T {
	n := len(src)
	if n == 0 {
		return []T{}
	}
	if n > cap(s.free)-len(s.free) {
		if n > chunk/4 {
			return append(make([]T, 0, n), src...)
		}
		s.free = make([]T, 0, chunk)
	}
	start := len(s.free)
	s.free = append(s.free, src...)
	return s.free[start:len(s.free):len(s.free)]
}

// popList returns the elements of *stack above base as a slab slice and
// truncates the stack back to base. Lists are built on a scratch stack
// (nested lists above their parent's elements) because their length is
// known only at their end.
func popList[T any](stack *[]T, base int, s *slab[T], chunk int) []T {
	out := s.copyOf((*stack)[base:], chunk)
	clear((*stack)[base:]) // drop the references to this asset
	*stack = (*stack)[:base]
	return out
}

// one returns a pointer to a zeroed T from the slab *s, which is
// allocated chunk elements at a time.
func one[T any](s *[]T, chunk int) *T {
	if len(*s) == cap(*s) {
		*s = make([]T, 0, chunk)
	}
	*s = (*s)[:len(*s)+1]
	return &(*s)[len(*s)-1]
}

// strSpan is a string stashed in decoder.strBytes.
type strSpan struct{ start, end int }

// strFixup is a string field that gets its value when the asset is
// settled.
type strFixup struct {
	dst *string
	strSpan
}

// stash copies s to the decoder's string bytes and returns where it is.
func (d *decoder) stash(s []byte) strSpan {
	start := len(d.strBytes)
	d.strBytes = append(d.strBytes, s...)
	return strSpan{start, len(d.strBytes)}
}

// place gives *dst the stashed string sp: at once, or when the asset is
// settled if the decoder shares strings.
func (d *decoder) place(dst *string, sp strSpan) {
	if !d.shareStrings {
		*dst = string(d.strBytes[sp.start:sp.end])
		return
	}
	d.fixups = append(d.fixups, strFixup{dst, sp})
}

// later sets *dst to s. A decoder that shares strings (a Reader's) sets it
// in settle, from one allocation that holds every such string of the
// asset, so *dst must not be read or copied before then.
func (d *decoder) later(dst *string, s []byte) {
	if !d.shareStrings || len(s) == 0 {
		*dst = string(s)
		return
	}
	d.place(dst, d.stash(s))
}

// settle gives the fields recorded by later and place their strings; the
// decoder calls it once the asset is decoded, before anything reads them.
func (d *decoder) settle() {
	if len(d.fixups) > 0 {
		all := string(d.strBytes)
		for _, f := range d.fixups {
			*f.dst = all[f.start:f.end]
		}
		clear(d.fixups) // drop the references to this asset
		d.fixups = d.fixups[:0]
	}
	d.strBytes = d.strBytes[:0]
	if cap(d.strBytes) > maxKeptStrBytes {
		d.strBytes = nil
	}
}
