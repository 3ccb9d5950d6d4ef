package aaf

import (
	"fmt"
	"strings"
)

// Format is the container of an AAF stream: one JSON array of assets, or
// one asset object per line (NDJSON).
type Format int

const (
	// FormatJSON is a single top-level JSON array whose elements are assets.
	FormatJSON Format = iota
	// FormatNDJSON is one asset object per line, without an enclosing array.
	FormatNDJSON
)

// String returns "json" or "ndjson".
func (f Format) String() string {
	switch f {
	case FormatJSON:
		return "json"
	case FormatNDJSON:
		return "ndjson"
	default:
		return fmt.Sprintf("Format(%d)", int(f))
	}
}

// ParseFormat returns the Format named s: "json" or "ndjson" (also "jsonl"),
// case-insensitive. It returns an error naming s for anything else.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "json":
		return FormatJSON, nil
	case "ndjson", "jsonl":
		return FormatNDJSON, nil
	default:
		return 0, fmt.Errorf("aaf: unknown format %q (want json or ndjson)", s)
	}
}
