package aaf

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors carried in [Error.Err], so callers can tell the kinds of
// bad input apart with errors.Is.
var (
	// ErrSyntax marks input that is not valid JSON (or not a JSON array /
	// one JSON object per line).
	ErrSyntax = errors.New("aaf: invalid JSON")
	// ErrInvalid marks valid JSON that breaks the AAF rules (wrong types,
	// duplicate objectIds, dangling relation endpoints, ...).
	ErrInvalid = errors.New("aaf: invalid asset")
	// ErrTooLarge marks an asset bigger than the reader's size limit
	// (see [WithMaxAssetSize]).
	ErrTooLarge = errors.New("aaf: asset too large")
)

// Error describes one problem in AAF input and where it is. The reader
// returns it (as error) for rejected input and passes it to the
// [WithWarnings] handler for tolerated problems.
//
// Error() renders it as
//
//	asset 1 ("bbox-array.jpg") line 13: task.tools[0]."bounding-box" (objectId "bad-obj-bbox"): must be an object with numeric x, y, width, height; got array
type Error struct {
	// Line is the 1-based line of the input where the problem is (the line
	// of the offending value when it can be located, else the line where
	// the asset starts); 0 when unknown.
	Line int
	// Offset is the byte offset in the input where the problem is; -1 when
	// unknown.
	Offset int64
	// Index is the 0-based index of the asset in the input; -1 when the
	// problem is not inside an asset (e.g. data after the closing bracket).
	Index int
	// ExternalID is the asset's "externalId" when it could be read.
	ExternalID string
	// Path is the JSON path of the offending value inside the asset, in jq
	// syntax without the leading dot (task.tools[0].polygon[1]); empty for
	// problems with the asset as a whole or with the syntax.
	Path string
	// ObjectID is the objectId of the annotation (tool, classification or
	// relation) the offending value belongs to; empty when there is none.
	ObjectID string
	// Msg says what is wrong.
	Msg string
	// Err is the kind of problem: [ErrSyntax], [ErrInvalid] or [ErrTooLarge].
	Err error

	// segs is Path before rendering, used to find the line of the value.
	segs []pathSeg
	// lookupID asks the reader to fill ObjectID from the source bytes.
	lookupID bool
}

// Error returns the location and the message on one line.
func (e *Error) Error() string {
	var b strings.Builder
	sep := ""
	if e.Index >= 0 {
		b.WriteString("asset ") // 1-based, as people count
		b.WriteString(strconv.Itoa(e.Index + 1))
		if e.ExternalID != "" {
			b.WriteString(" (")
			b.WriteString(strconv.Quote(e.ExternalID))
			b.WriteByte(')')
		}
		sep = " "
	}
	switch {
	case e.Line > 0:
		b.WriteString(sep)
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
	case e.Offset >= 0:
		b.WriteString(sep)
		b.WriteString("offset ")
		b.WriteString(strconv.FormatInt(e.Offset, 10))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		if e.ObjectID != "" {
			b.WriteString(" (objectId ")
			b.WriteString(strconv.Quote(e.ObjectID))
			b.WriteByte(')')
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// pathSeg is one step of a JSON path: an object key, or an array index when
// key is empty.
type pathSeg struct {
	key string
	idx int
}

// renderPath formats segs in jq syntax without the leading dot.
func renderPath(segs []pathSeg) string {
	var b strings.Builder
	for i, s := range segs {
		if s.key == "" {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.idx))
			b.WriteByte(']')
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		if isIdent(s.key) {
			b.WriteString(s.key)
		} else {
			b.WriteString(strconv.Quote(s.key))
		}
	}
	return b.String()
}

// isIdent reports whether key can be written in a path without quotes.
func isIdent(key string) bool {
	if key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}
