package convert

import (
	"hash/fnv"
	"path"
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
// It remembers a 64-bit hash per stem, about 16 bytes per asset, instead
// of the names themselves. A Namer is not safe for concurrent use.
type Namer struct {
	seen map[uint64]struct{}
}

// NewNamer returns an empty Namer.
func NewNamer() *Namer {
	return &Namer{seen: make(map[uint64]struct{})}
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
		if _, taken := n.seen[sum]; !taken {
			n.seen[sum] = struct{}{}
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
