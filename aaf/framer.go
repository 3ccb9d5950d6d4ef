package aaf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// framer splits an AAF stream into assets: the lines of NDJSON or the
// elements of a JSON array, with the line and offset where each starts.
// It checks the framing (brackets, commas, sizes) but not the assets,
// which the decoder checks. The sequential reader and the parallel one
// share it, so both find exactly the same assets and framing errors.
type framer struct {
	src     io.Reader
	maxSize int
	goOn    bool

	buf     []byte
	r, w    int   // unread data is buf[r:w]
	base    int64 // input offset of buf[0]
	line    int   // line of buf[r]
	eof     bool
	readErr error

	started bool
	format  Format
	state   int // JSON arrays: stateFirst, stateNext or stateDone
	scanned int // bytes after r already scanned for the current asset
	depth   int
	inStr   bool

	skippedLines int // newlines skipped by the last skipSpace

	index int // index of the next element
}

// States of a framer inside a JSON array.
const (
	stateFirst = iota // after '[': an element or ']' comes next
	stateNext         // after an element: ',' or ']' comes next
	stateDone         // after ']'
)

// frame is one asset's bytes and where it starts in the input.
type frame struct {
	b     []byte
	line  int
	off   int64
	index int
}

// next returns the next asset's bytes, valid until the next call, or an
// error: an [*Error] for an element that is not an object or for broken
// framing, a read error, or io.EOF at the end. An element that is not an
// object counts as an asset (it takes an index). After an error that ends
// the input the framer must not be called again.
func (f *framer) next() (frame, error) {
	if !f.started {
		f.started = true
		if !f.skipSpace() {
			f.format = FormatNDJSON
			return frame{}, f.endErr()
		}
		if f.r+3 <= f.w && bytes.HasPrefix(f.buf[f.r:f.w], []byte("\xef\xbb\xbf")) {
			f.r += 3
			if !f.skipSpace() {
				f.format = FormatNDJSON
				return frame{}, f.endErr()
			}
		}
		if f.buf[f.r] == '[' {
			f.format = FormatJSON
			f.r++
		} else {
			f.format = FormatNDJSON
		}
	}
	var fr frame
	var err error
	if f.format == FormatNDJSON {
		fr, err = f.nextLine()
	} else {
		fr, err = f.nextElement()
	}
	if e, ok := err.(*Error); ok && e.Index >= 0 && e.Index == f.index {
		f.index++ // the rejected element keeps its index
	}
	return fr, err
}

// emit returns the frame of the asset b, starting at line and offset off,
// and counts it.
func (f *framer) emit(b []byte, line int, off int64) frame {
	fr := frame{b: b, line: line, off: off, index: f.index}
	f.index++
	return fr
}

// endErr returns io.EOF, or the read error that ended the input.
func (f *framer) endErr() error {
	if f.readErr != nil {
		return fmt.Errorf("read aaf input: %w", f.readErr)
	}
	return io.EOF
}

// fill reads more input into buf, keeping buf[r:w]. It returns false when
// the input is exhausted.
func (f *framer) fill() bool {
	if f.eof {
		return false
	}
	if f.r > 0 {
		n := copy(f.buf, f.buf[f.r:f.w])
		f.base += int64(f.r)
		f.w = n
		f.r = 0
	}
	if f.buf == nil {
		f.buf = make([]byte, initialBufSize)
	} else if f.w == len(f.buf) {
		nb := make([]byte, 2*len(f.buf))
		copy(nb, f.buf[:f.w])
		f.buf = nb
	}
	for range 100 {
		n, err := f.src.Read(f.buf[f.w:])
		f.w += n
		if err != nil {
			f.eof = true
			if err != io.EOF {
				f.readErr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	f.eof = true
	f.readErr = io.ErrNoProgress
	return false
}

// advance moves r past n bytes, counting lines.
func (f *framer) advance(n int) {
	f.line += bytes.Count(f.buf[f.r:f.r+n], []byte{'\n'})
	f.r += n
}

// skipSpace skips JSON white space; it returns false at the end of input.
func (f *framer) skipSpace() bool {
	f.skippedLines = 0
	for {
		for f.r < f.w {
			switch f.buf[f.r] {
			case '\n':
				f.line++
				f.skippedLines++
			case ' ', '\t', '\r':
			default:
				return true
			}
			f.r++
		}
		if !f.fill() {
			return false
		}
	}
}

// nextLine reads the next non-blank NDJSON line.
func (f *framer) nextLine() (frame, error) {
	for {
		i := bytes.IndexByte(f.buf[f.r+f.scanned:f.w], '\n')
		end := -1
		if i >= 0 {
			end = f.r + f.scanned + i
		} else {
			f.scanned = f.w - f.r
			if f.scanned > f.maxSize {
				seg := f.buf[f.r:f.w]
				lead := len(seg) - len(bytes.TrimLeft(seg, " \t\r"))
				return frame{}, f.tooLargeAt(f.line, f.base+int64(f.r+lead))
			}
			if f.fill() {
				continue
			}
			if f.r == f.w || f.readErr != nil {
				return frame{}, f.endErr()
			}
			end = f.w
		}
		f.scanned = 0
		line, start := f.line, f.r
		b := f.buf[start:end]
		f.r = end
		if end < f.w {
			f.r++
			f.line++
		}
		lead := len(b) - len(bytes.TrimLeft(b, " \t\r"))
		b = bytes.TrimRight(b[lead:], " \t\r")
		if len(b) == 0 {
			continue
		}
		off := f.base + int64(start+lead)
		if len(b) > f.maxSize {
			return frame{}, f.tooLargeAt(line, off)
		}
		if b[0] != '{' {
			return frame{}, f.notObject(b[0], line, off)
		}
		return f.emit(b, line, off), nil
	}
}

// nextElement reads the next element of a JSON array.
func (f *framer) nextElement() (frame, error) {
	if f.state == stateDone {
		return frame{}, f.endErr()
	}
	if !f.skipSpace() {
		return frame{}, f.unexpectedEnd(-1)
	}
	c := f.buf[f.r]
	if c == ']' {
		f.r++
		f.state = stateDone
		if f.skipSpace() {
			return frame{}, f.syntaxAt(-1, f.line, f.base+int64(f.r), "invalid JSON: data after the closing ']' of the array")
		}
		return frame{}, f.endErr()
	}
	if f.state == stateNext {
		if c != ',' {
			return frame{}, f.syntaxAt(-1, f.line, f.base+int64(f.r), fmt.Sprintf("invalid JSON: invalid character %s after array element", quoteChar(c)))
		}
		f.r++
		if !f.skipSpace() {
			return frame{}, f.unexpectedEnd(f.index)
		}
		c = f.buf[f.r]
		if c == ']' {
			return frame{}, f.syntaxAt(f.index, f.line, f.base+int64(f.r), "invalid JSON: invalid character ']' looking for beginning of value")
		}
	}
	line, off := f.line, f.base+int64(f.r)
	if c != '{' {
		err := f.notObject(c, line, off)
		if f.goOn && err.(*Error).Err == ErrInvalid {
			if serr := f.skipElement(c, line, off); serr != nil {
				return frame{}, serr
			}
		}
		return frame{}, err
	}
	n, err := f.scanObject()
	if err != nil {
		return frame{}, err
	}
	if n > f.maxSize {
		return frame{}, f.tooLarge()
	}
	b := f.buf[f.r : f.r+n]
	f.advance(n)
	f.state = stateNext
	return f.emit(b, line, off), nil
}

// skipElement moves past the array element starting with c at buf[r]
// (at line and offset off), which is not an object, so that a reader that
// goes on after invalid assets finds the next one. An element that is not
// valid JSON gives the syntax error instead, which ends the input.
func (f *framer) skipElement(c byte, line int, off int64) error {
	var n int
	var err error
	switch c {
	case '[':
		n, err = f.scanObject() // counts brackets of both kinds
	case '"':
		n, err = f.scanString()
	default:
		n, err = f.scanScalar()
	}
	if err != nil {
		return err
	}
	if n > f.maxSize {
		return f.tooLarge()
	}
	b := f.buf[f.r : f.r+n]
	if !json.Valid(b) {
		return syntaxError(b, f.index, line, off, "invalid JSON", 0)
	}
	f.advance(n)
	f.state = stateNext
	return nil
}

// scanString finds the end of the JSON string starting at buf[r]; it
// returns its length.
func (f *framer) scanString() (int, error) {
	i := 1
	for {
		b := f.buf[f.r:f.w]
		for i < len(b) {
			switch b[i] {
			case '\\':
				i += 2 // may step past the data read so far; the next fill brings it
				continue
			case '"':
				return i + 1, nil
			}
			i++
		}
		if i > f.maxSize {
			return 0, f.tooLarge()
		}
		if !f.fill() {
			return 0, f.unexpectedEnd(f.index)
		}
	}
}

// scanScalar finds the end of the number or literal (true, false, null)
// starting at buf[r]; it returns its length. Its bytes are checked later.
func (f *framer) scanScalar() (int, error) {
	i := 0
	for {
		b := f.buf[f.r:f.w]
		for i < len(b) && isScalarByte(b[i]) {
			i++
		}
		if i < len(b) {
			return i, nil
		}
		if i > f.maxSize {
			return 0, f.tooLarge()
		}
		if !f.fill() {
			return i, nil // a scalar may end the input; the array's end is checked next
		}
	}
}

// isScalarByte reports whether c can be part of a JSON number or literal.
func isScalarByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '+' || c == '-'
}

// structural marks the bytes scanObject stops at outside strings.
var structural = [256]bool{'"': true, '{': true, '[': true, '}': true, ']': true}

// scanObject finds the end of the object starting at buf[r]; it returns
// its length. Strings (with escapes) are skipped; brackets are only
// counted, the parser checks them.
func (f *framer) scanObject() (int, error) {
	f.scanned, f.depth, f.inStr = 1, 1, false
	for {
		b := f.buf[f.r:f.w]
		i := f.scanned
		for i < len(b) {
			if f.inStr {
				i = quoteOrBackslash(b, i)
				if i == len(b) {
					break
				}
				if b[i] == '\\' {
					if i+1 >= len(b) {
						break // the escaped byte is not read yet
					}
					i += 2
					continue
				}
				i++
				f.inStr = false
				continue
			}
			for i < len(b) && !structural[b[i]] {
				i++
			}
			if i == len(b) {
				break
			}
			switch b[i] {
			case '"':
				f.inStr = true
			case '{', '[':
				f.depth++
				if f.depth > maxDepth {
					f.advance(i)
					return 0, f.syntaxAt(f.index, f.line, f.base+int64(f.r), fmt.Sprintf("invalid JSON: nesting deeper than %d levels", maxDepth))
				}
			case '}', ']':
				f.depth--
				if f.depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		f.scanned = i
		if f.scanned > f.maxSize {
			return 0, f.tooLarge()
		}
		if !f.fill() {
			return 0, f.unexpectedEnd(f.index)
		}
	}
}

// syntaxAt returns a syntax error at a known place.
func (f *framer) syntaxAt(index, line int, off int64, msg string) error {
	return &Error{Line: line, Offset: off, Index: index, Msg: msg, Err: ErrSyntax}
}

// unexpectedEnd reports input that ends inside the array or an asset, at
// the last line that holds data.
func (f *framer) unexpectedEnd(index int) error {
	if f.readErr != nil {
		return f.endErr()
	}
	data := bytes.TrimRight(f.buf[f.r:f.w], " \t\r\n")
	line := f.line + bytes.Count(data, []byte{'\n'})
	if len(data) == 0 {
		line = max(1, f.line-f.skippedLines)
	}
	msg := "invalid JSON: unexpected end of input"
	if index < 0 {
		msg += " (missing ']' at the end of the array)"
	}
	return f.syntaxAt(index, line, f.base+int64(f.r+len(data)), msg)
}

// tooLarge reports that the asset at buf[r] is over the size limit.
func (f *framer) tooLarge() error { return f.tooLargeAt(f.line, f.base+int64(f.r)) }

// tooLargeAt reports that the asset starting at line and offset off is
// over the size limit.
func (f *framer) tooLargeAt(line int, off int64) error {
	return &Error{Line: line, Offset: off, Index: f.index,
		Msg: fmt.Sprintf("asset is larger than the limit of %d bytes", f.maxSize), Err: ErrTooLarge}
}

// notObject reports an array element or NDJSON line that is not an object.
func (f *framer) notObject(c byte, line int, off int64) error {
	kind := ""
	switch {
	case c == '"':
		kind = "a string"
	case c == '-' || c >= '0' && c <= '9':
		kind = "a number"
	case c == 't' || c == 'f':
		kind = "a boolean"
	case c == 'n':
		kind = "null"
	case c == '[':
		kind = "an array"
	default:
		return f.syntaxAt(f.index, line, off, fmt.Sprintf("invalid JSON: invalid character %s looking for beginning of value", quoteChar(c)))
	}
	return &Error{Line: line, Offset: off, Index: f.index, Msg: "asset must be a JSON object, got " + kind, Err: ErrInvalid}
}
