package aaf

import (
	"bytes"
	"encoding/json"
)

// locate returns the offset in b (one valid JSON asset) of the value at
// path segs, or -1 when the path does not lead to a value. It runs only
// when an error is reported.
func locate(b []byte, segs []pathSeg) int {
	i := skipSpaceAt(b, 0)
	for _, s := range segs {
		if i >= len(b) {
			return -1
		}
		if s.key == "" {
			if b[i] != '[' {
				return -1
			}
			i = skipSpaceAt(b, i+1)
			for n := 0; n < s.idx; n++ {
				if i >= len(b) || b[i] == ']' {
					return -1
				}
				i = skipSpaceAt(b, skipValue(b, i))
				if i < len(b) && b[i] == ',' {
					i = skipSpaceAt(b, i+1)
				}
			}
			if i >= len(b) || b[i] == ']' {
				return -1
			}
			continue
		}
		if b[i] != '{' {
			return -1
		}
		i = skipSpaceAt(b, i+1)
		found := false
		for i < len(b) && b[i] == '"' {
			end := skipValue(b, i)
			key := b[i:end]
			i = skipSpaceAt(b, end)
			if i >= len(b) || b[i] != ':' {
				return -1
			}
			i = skipSpaceAt(b, i+1)
			if keyEquals(key, s.key) {
				found = true
				break
			}
			i = skipSpaceAt(b, skipValue(b, i))
			if i < len(b) && b[i] == ',' {
				i = skipSpaceAt(b, i+1)
			}
		}
		if !found {
			return -1
		}
	}
	return i
}

// keyEquals reports whether the quoted JSON string q holds key.
func keyEquals(q []byte, key string) bool {
	if len(q) == len(key)+2 && string(q[1:len(q)-1]) == key {
		return true
	}
	if bytes.IndexByte(q, '\\') < 0 {
		return false
	}
	var s string
	return json.Unmarshal(q, &s) == nil && s == key
}

// skipSpaceAt returns the index of the first non-space byte at or after i.
func skipSpaceAt(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value starting at b[i].
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\n', '\r', ':':
			if depth == 0 {
				return i
			}
		}
		i++
		if depth == 0 && i < len(b) && b[i-1] == '"' {
			return i
		}
	}
	return i
}
