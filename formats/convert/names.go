package convert

import (
	"hash/fnv"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/exporthub/exporthub/aaf"
)

// maxStemBytes bounds the length of a generated file stem.
const maxStemBytes = 200

// Namer gives every asset a file name that is safe inside a zip and unique
// within the run. It starts from the asset's externalId (which the hub does
// not keep unique), replaces characters that are path separators or
// invalid on common file systems with "_", and when the stem (the name
// without extension) was already given out, appends "_2", "_3", ... .
//
// It remembers a 64-bit hash per stem (about 8 bytes per asset, see
// [hashSet]) instead of the names themselves. A Namer is not safe for
// concurrent use.
type Namer struct {
	seen hashSet
}

// NewNamer returns an empty Namer.
func NewNamer() *Namer {
	return &Namer{}
}

// Name returns the file name and stem for the asset at position index, and
// whether the name had to change to stay unique.
func (n *Namer) Name(a *aaf.Asset, index int) (name, stem string, renamed bool) {
	base := Sanitize(a.ExternalID)
	if base == "" {
		base = Sanitize(a.AssetID)
	}
	if base == "" {
		base = "asset-" + strconv.Itoa(index)
	}
	ext := path.Ext(base)
	if len(ext) > 6 || len(ext) == len(base) {
		ext = ""
	}
	stem = truncate(strings.TrimSuffix(base, ext), maxStemBytes)
	candidate := stem
	for i := 2; ; i++ {
		h := fnv.New64a()
		h.Write([]byte(candidate))
		sum := h.Sum64()
		if !n.seen.has(sum) {
			n.seen.add(sum)
			break
		}
		candidate = stem + "_" + strconv.Itoa(i)
	}
	return candidate + ext, candidate, candidate != stem
}

// Sanitize turns s into one safe path segment: path separators, characters
// Windows forbids and control characters become "_", surrounding spaces are
// trimmed and leading dots become "_" (no hidden files, no "..").
func Sanitize(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || strings.ContainsRune(`/\:*?"<>|`, r) {
			r = '_'
		}
		b.WriteRune(r)
	}
	out := b.String()
	dots := len(out) - len(strings.TrimLeft(out, "."))
	return strings.Repeat("_", dots) + out[dots:]
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// recentMax is how many hashes a hashSet keeps in its map before sorting
// them into a run.
const recentMax = 1 << 14

// hashSet is a set of 64-bit hashes that costs about 8 bytes per entry, a
// quarter of a Go map's: the latest entries sit in a small map, older ones
// in sorted runs that merge like a binary counter (so there are O(log n)
// runs, each searched by bisection).
type hashSet struct {
	recent map[uint64]struct{}
	runs   [][]uint64 // sorted; lengths decrease from first to last
}

func (s *hashSet) has(h uint64) bool {
	if _, ok := s.recent[h]; ok {
		return true
	}
	for _, r := range s.runs {
		if _, ok := slices.BinarySearch(r, h); ok {
			return true
		}
	}
	return false
}

func (s *hashSet) add(h uint64) {
	if s.recent == nil {
		s.recent = make(map[uint64]struct{}, recentMax)
	}
	s.recent[h] = struct{}{}
	if len(s.recent) < recentMax {
		return
	}
	run := make([]uint64, 0, len(s.recent))
	for k := range s.recent {
		run = append(run, k)
	}
	slices.Sort(run)
	clear(s.recent)
	for len(s.runs) > 0 && len(s.runs[len(s.runs)-1]) <= len(run) {
		last := s.runs[len(s.runs)-1]
		s.runs = s.runs[:len(s.runs)-1]
		run = mergeSorted(last, run)
	}
	s.runs = append(s.runs, run)
}

// mergeSorted merges two sorted slices into a new one.
func mergeSorted(a, b []uint64) []uint64 {
	out := make([]uint64, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if a[0] <= b[0] {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}
