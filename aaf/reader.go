package aaf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
)

// DefaultMaxAssetSize is the largest asset (in bytes of JSON) a [Reader]
// accepts unless [WithMaxAssetSize] says otherwise.
const DefaultMaxAssetSize = 64 << 20

// maxDepth bounds the nesting of JSON values inside one asset.
const maxDepth = 300

// initialBufSize is the size of a Reader's first read buffer.
const initialBufSize = 64 << 10

// ReaderOption configures a [Reader].
type ReaderOption func(*readerConfig)

// readerConfig holds the options of a Reader.
type readerConfig struct {
	raw        bool
	maxSize    int
	warn       func(*Error)
	noValidate bool
	goOn       bool
}

// WithRaw makes the reader keep each asset's exact source bytes, available
// through [Asset.Raw]. Off by default (it costs one copy per asset).
func WithRaw() ReaderOption {
	return func(c *readerConfig) { c.raw = true }
}

// WithMaxAssetSize sets the largest asset, in bytes of JSON, the reader
// accepts; a bigger asset makes Next return an [*Error] wrapping
// [ErrTooLarge]. n <= 0 means [DefaultMaxAssetSize]. The reader's buffer
// grows up to about this size, so it also bounds the reader's memory.
func WithMaxAssetSize(n int) ReaderOption {
	return func(c *readerConfig) {
		if n <= 0 {
			n = DefaultMaxAssetSize
		}
		c.maxSize = n
	}
}

// WithWarnings sets a handler for tolerated problems (unknown answer
// shapes, polygons with fewer than 3 vertices, negative box sizes, values
// of an unexpected type kept as they are, ...). The handler runs on the
// goroutine that calls Next, before Next returns the asset. Warnings are
// dropped when no handler is set.
func WithWarnings(f func(*Error)) ReaderOption {
	return func(c *readerConfig) { c.warn = f }
}

// WithoutValidation skips the checks that span a whole snapshot: duplicate
// objectIds and relation endpoints that point to no object. Syntax and the
// type checks needed to build the model still apply. Use it only for input
// that was validated before (e.g. stored by the hub after validation).
func WithoutValidation() ReaderOption {
	return func(c *readerConfig) { c.noValidate = true }
}

// WithContinueOnInvalid makes the reader go on after an asset it rejects,
// so that one pass over the input can report all its problems. Next
// returns the rejected asset's [*Error], located as usual, and the next
// call reads the next asset; the rejected asset keeps its index, so the
// errors and assets that follow carry their true positions.
//
// The reader goes on after an asset that breaks the AAF rules
// ([ErrInvalid]; in a JSON array an element that is not an object is
// skipped), and after an NDJSON line that is not valid JSON ([ErrSyntax]):
// NDJSON lines are independent, so the next line is still an asset. It
// stops as it does without the option after a syntax error in a JSON
// array (where the next element starts is no longer known), after an
// asset over the size limit ([ErrTooLarge]) and after a read error; Next
// then keeps returning that error and [Reader.Err] returns it. The reader
// does not count errors: the caller decides how many it collects.
//
// Off by default: the reader stops at the first error.
func WithContinueOnInvalid() ReaderOption {
	return func(c *readerConfig) { c.goOn = true }
}

// Reader reads assets one at a time from an AAF stream: a JSON array of
// assets or NDJSON (one asset per line, blank lines skipped). It detects
// the format from the first non-space byte ('[' means a JSON array). Each
// asset is validated as it is read; memory does not grow with the number
// of assets. A Reader is not safe for concurrent use.
type Reader struct {
	src io.Reader
	cfg readerConfig

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

	index   int
	curLine int
	curOff  int64
	err     error

	dec decoder
	val validator
}

// States of a Reader inside a JSON array.
const (
	stateFirst = iota // after '[': an element or ']' comes next
	stateNext         // after an element: ',' or ']' comes next
	stateDone         // after ']'
)

// NewReader returns a Reader for r. Nothing is read until the first call
// to Next.
func NewReader(r io.Reader, opts ...ReaderOption) *Reader {
	rd := &Reader{src: r, line: 1, curOff: -1, cfg: readerConfig{maxSize: DefaultMaxAssetSize}}
	for _, o := range opts {
		o(&rd.cfg)
	}
	rd.dec.warnOn = rd.cfg.warn != nil
	rd.dec.shareStrings = true
	return rd
}

// Assets returns an iterator over the assets of r; see [NewReader] and
// [Reader.All].
func Assets(r io.Reader, opts ...ReaderOption) iter.Seq2[*Asset, error] {
	return NewReader(r, opts...).All()
}

// Format returns the detected container format. It is valid after the
// first call to Next; an empty input reads as FormatNDJSON.
func (r *Reader) Format() Format { return r.format }

// Line returns the 1-based line where the asset last returned by Next
// starts; 0 before the first asset.
func (r *Reader) Line() int { return r.curLine }

// Offset returns the byte offset where the asset last returned by Next
// starts; -1 before the first asset.
func (r *Reader) Offset() int64 { return r.curOff }

// Index returns the number of assets returned so far; with
// [WithContinueOnInvalid] the rejected assets count too. It is the index
// the next asset gets.
func (r *Reader) Index() int { return r.index }

// Err returns the error that ended the input, the one Next keeps
// returning; nil while Next can go on and after a clean end (io.EOF).
// Without [WithContinueOnInvalid] every error ends the input.
func (r *Reader) Err() error {
	if r.err == io.EOF {
		return nil
	}
	return r.err
}

// All returns an iterator over the remaining assets. It yields (asset, nil)
// for each asset and stops after yielding (nil, err) for the first error;
// it stops without an error at the end of the input. With
// [WithContinueOnInvalid] it yields the error of each rejected asset and
// goes on, stopping after an error that ends the input (see [Reader.Err]).
func (r *Reader) All() iter.Seq2[*Asset, error] {
	return func(yield func(*Asset, error) bool) {
		for {
			a, err := r.Next()
			if err == io.EOF {
				return
			}
			if !yield(a, err) || err != nil && r.err != nil {
				return
			}
		}
	}
}

// Next returns the next asset, or io.EOF after the last one. Bad input
// gives an [*Error] naming the asset and where the problem is; a read
// error from the underlying reader is returned wrapped. After an error,
// Next keeps returning it, unless [WithContinueOnInvalid] lets the reader
// go on past the rejected asset.
func (r *Reader) Next() (*Asset, error) {
	if r.err != nil {
		return nil, r.err
	}
	a, err := r.next()
	if err != nil {
		return nil, r.fail(err)
	}
	return a, nil
}

// fail records err, the error of the last call to next, and returns it:
// it ends the input unless the reader goes on after rejected assets and
// the input is still split into assets correctly after this one.
func (r *Reader) fail(err error) error {
	if e, ok := err.(*Error); ok && r.cfg.goOn && e.Index >= 0 &&
		(e.Err == ErrInvalid || e.Err == ErrSyntax && r.format == FormatNDJSON) {
		r.index++ // the rejected asset keeps its index
		return err
	}
	r.err = err
	return err
}

func (r *Reader) next() (*Asset, error) {
	if !r.started {
		r.started = true
		if !r.skipSpace() {
			r.format = FormatNDJSON
			return nil, r.endErr()
		}
		if r.r+3 <= r.w && bytes.HasPrefix(r.buf[r.r:r.w], []byte("\xef\xbb\xbf")) {
			r.r += 3
			if !r.skipSpace() {
				r.format = FormatNDJSON
				return nil, r.endErr()
			}
		}
		if r.buf[r.r] == '[' {
			r.format = FormatJSON
			r.r++
		} else {
			r.format = FormatNDJSON
		}
	}
	if r.format == FormatNDJSON {
		return r.nextLine()
	}
	return r.nextElement()
}

// endErr returns io.EOF, or the read error that ended the input.
func (r *Reader) endErr() error {
	if r.readErr != nil {
		return fmt.Errorf("read aaf input: %w", r.readErr)
	}
	return io.EOF
}

// fill reads more input into buf, keeping buf[r:w]. It returns false when
// the input is exhausted.
func (r *Reader) fill() bool {
	if r.eof {
		return false
	}
	if r.r > 0 {
		n := copy(r.buf, r.buf[r.r:r.w])
		r.base += int64(r.r)
		r.w = n
		r.r = 0
	}
	if r.buf == nil {
		r.buf = make([]byte, initialBufSize)
	} else if r.w == len(r.buf) {
		nb := make([]byte, 2*len(r.buf))
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if err != nil {
			r.eof = true
			if err != io.EOF {
				r.readErr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	r.eof = true
	r.readErr = io.ErrNoProgress
	return false
}

// advance moves r past n bytes, counting lines.
func (r *Reader) advance(n int) {
	r.line += bytes.Count(r.buf[r.r:r.r+n], []byte{'\n'})
	r.r += n
}

// skipSpace skips JSON white space; it returns false at the end of input.
func (r *Reader) skipSpace() bool {
	r.skippedLines = 0
	for {
		for r.r < r.w {
			switch r.buf[r.r] {
			case '\n':
				r.line++
				r.skippedLines++
			case ' ', '\t', '\r':
			default:
				return true
			}
			r.r++
		}
		if !r.fill() {
			return false
		}
	}
}

// nextLine reads the next non-blank NDJSON line.
func (r *Reader) nextLine() (*Asset, error) {
	for {
		i := bytes.IndexByte(r.buf[r.r+r.scanned:r.w], '\n')
		end := -1
		if i >= 0 {
			end = r.r + r.scanned + i
		} else {
			r.scanned = r.w - r.r
			if r.scanned > r.cfg.maxSize {
				return nil, r.tooLarge()
			}
			if r.fill() {
				continue
			}
			if r.r == r.w || r.readErr != nil {
				return nil, r.endErr()
			}
			end = r.w
		}
		r.scanned = 0
		line, start := r.line, r.r
		b := r.buf[start:end]
		r.r = end
		if end < r.w {
			r.r++
			r.line++
		}
		lead := len(b) - len(bytes.TrimLeft(b, " \t\r"))
		b = bytes.TrimRight(b[lead:], " \t\r")
		if len(b) == 0 {
			continue
		}
		off := r.base + int64(start+lead)
		if len(b) > r.cfg.maxSize {
			r.line, r.curOff = line, off
			return nil, r.tooLarge()
		}
		if b[0] != '{' {
			return nil, r.notObject(b[0], line, off)
		}
		return r.decode(b, line, off)
	}
}

// nextElement reads the next element of a JSON array.
func (r *Reader) nextElement() (*Asset, error) {
	if r.state == stateDone {
		return nil, r.endErr()
	}
	if !r.skipSpace() {
		return nil, r.unexpectedEnd(-1)
	}
	c := r.buf[r.r]
	if c == ']' {
		r.r++
		r.state = stateDone
		if r.skipSpace() {
			return nil, r.syntaxAt(-1, r.line, r.base+int64(r.r), "invalid JSON: data after the closing ']' of the array")
		}
		return nil, r.endErr()
	}
	if r.state == stateNext {
		if c != ',' {
			return nil, r.syntaxAt(-1, r.line, r.base+int64(r.r), fmt.Sprintf("invalid JSON: invalid character %s after array element", quoteChar(c)))
		}
		r.r++
		if !r.skipSpace() {
			return nil, r.unexpectedEnd(r.index)
		}
		c = r.buf[r.r]
		if c == ']' {
			return nil, r.syntaxAt(r.index, r.line, r.base+int64(r.r), "invalid JSON: invalid character ']' looking for beginning of value")
		}
	}
	line, off := r.line, r.base+int64(r.r)
	if c != '{' {
		err := r.notObject(c, line, off)
		if r.cfg.goOn && err.(*Error).Err == ErrInvalid {
			if serr := r.skipElement(c, line, off); serr != nil {
				return nil, serr
			}
		}
		return nil, err
	}
	n, err := r.scanObject()
	if err != nil {
		return nil, err
	}
	if n > r.cfg.maxSize {
		return nil, r.tooLarge()
	}
	b := r.buf[r.r : r.r+n]
	r.advance(n)
	r.state = stateNext
	return r.decode(b, line, off)
}

// skipElement moves past the array element starting with c at buf[r]
// (at line and offset off), which is not an object, so that a reader that
// goes on after invalid assets finds the next one. An element that is not
// valid JSON gives the syntax error instead, which ends the input.
func (r *Reader) skipElement(c byte, line int, off int64) error {
	var n int
	var err error
	switch c {
	case '[':
		n, err = r.scanObject() // counts brackets of both kinds
	case '"':
		n, err = r.scanString()
	default:
		n, err = r.scanScalar()
	}
	if err != nil {
		return err
	}
	if n > r.cfg.maxSize {
		return r.tooLarge()
	}
	b := r.buf[r.r : r.r+n]
	if !json.Valid(b) {
		return syntaxError(b, r.index, line, off, "invalid JSON", 0)
	}
	r.advance(n)
	r.state = stateNext
	return nil
}

// scanString finds the end of the JSON string starting at buf[r]; it
// returns its length.
func (r *Reader) scanString() (int, error) {
	i := 1
	for {
		b := r.buf[r.r:r.w]
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
		if i > r.cfg.maxSize {
			return 0, r.tooLarge()
		}
		if !r.fill() {
			return 0, r.unexpectedEnd(r.index)
		}
	}
}

// scanScalar finds the end of the number or literal (true, false, null)
// starting at buf[r]; it returns its length. Its bytes are checked later.
func (r *Reader) scanScalar() (int, error) {
	i := 0
	for {
		b := r.buf[r.r:r.w]
		for i < len(b) && isScalarByte(b[i]) {
			i++
		}
		if i < len(b) {
			return i, nil
		}
		if i > r.cfg.maxSize {
			return 0, r.tooLarge()
		}
		if !r.fill() {
			return i, nil // a scalar may end the input; the array's end is checked next
		}
	}
}

// isScalarByte reports whether c can be part of a JSON number or literal.
func isScalarByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '+' || c == '-'
}

// scanObject finds the end of the object starting at buf[r]; it returns
// its length. Strings (with escapes) are skipped; brackets are only
// counted, the parser checks them.
func (r *Reader) scanObject() (int, error) {
	r.scanned, r.depth, r.inStr = 1, 1, false
	for {
		b := r.buf[r.r:r.w]
		i := r.scanned
		for i < len(b) {
			if r.inStr {
				q := bytes.IndexByte(b[i:], '"')
				seg := b[i:]
				if q >= 0 {
					seg = seg[:q]
				}
				if bs := bytes.IndexByte(seg, '\\'); bs >= 0 {
					i += bs
					if i+1 >= len(b) {
						break // the escaped byte is not read yet
					}
					i += 2
					continue
				}
				if q < 0 {
					i = len(b)
					break
				}
				i += q + 1
				r.inStr = false
				continue
			}
			switch b[i] {
			case '"':
				r.inStr = true
			case '{', '[':
				r.depth++
				if r.depth > maxDepth {
					r.advance(i)
					return 0, r.syntaxAt(r.index, r.line, r.base+int64(r.r), fmt.Sprintf("invalid JSON: nesting deeper than %d levels", maxDepth))
				}
			case '}', ']':
				r.depth--
				if r.depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		r.scanned = i
		if r.scanned > r.cfg.maxSize {
			return 0, r.tooLarge()
		}
		if !r.fill() {
			return 0, r.unexpectedEnd(r.index)
		}
	}
}

// decode parses, converts and validates the asset in b, which starts at
// line and byte offset off of the input.
func (r *Reader) decode(b []byte, line int, off int64) (*Asset, error) {
	d := &r.dec
	d.reset(b)
	var a *Asset
	d.document(func() { a = d.asset() })
	d.settle()
	if d.err == nil && !r.cfg.noValidate {
		if e := r.val.asset(a); e != nil {
			d.err = e
		}
	}
	ext := ""
	if a != nil && a.has&hasExternalID != 0 {
		ext = a.ExternalID
	}
	if r.cfg.warn != nil {
		for _, w := range d.warnings {
			finish(w, b, r.index, line, off, ext, -1)
			r.cfg.warn(w)
		}
		if d.dropped > 0 {
			w := &Error{Index: -1, Msg: fmt.Sprintf("%d more warnings in this asset not reported", d.dropped), Err: ErrInvalid}
			r.cfg.warn(finish(w, b, r.index, line, off, ext, 0))
		}
	}
	if d.err != nil {
		return nil, finish(d.err, b, r.index, line, off, ext, d.errAt)
	}
	if r.cfg.raw {
		a.raw = bytes.Clone(b)
	}
	r.curLine, r.curOff = line, off
	r.index++
	return a, nil
}

// finish fills the location of e, a problem in the asset b (asset index
// index, starting at line and offset off of the input), and returns it.
// at is the offset in b of the problem when the decoder knows it, else -1.
// A content error in an asset that is not valid JSON further on becomes
// the syntax error: the syntax is reported first.
func finish(e *Error, b []byte, index, line int, off int64, ext string, at int) *Error {
	if e.Err == ErrInvalid && e.lookupID && !json.Valid(b) {
		e = &Error{Index: -1, Msg: "invalid JSON", Err: ErrSyntax}
		at = 0
	}
	e.Index = index
	if e.Err == ErrSyntax {
		return syntaxError(b, index, line, off, e.Msg, at)
	}
	e.ExternalID = ext
	if ext == "" {
		e.ExternalID = lookupString(b, []pathSeg{{key: "externalId"}})
	}
	if e.lookupID && e.ObjectID == "" {
		e.ObjectID = annotationID(b, e.segs)
	}
	pos := at
	if pos < 0 {
		pos = max(0, locate(b, e.segs))
	}
	e.Line = line + bytes.Count(b[:pos], []byte{'\n'})
	e.Offset = off + int64(pos)
	return e
}

// annotationID returns the objectId of the innermost annotation (tool,
// classification or relation) on path segs in b, or "".
func annotationID(b []byte, segs []pathSeg) string {
	for i := len(segs) - 1; i > 0; i-- {
		if segs[i].key != "" {
			continue
		}
		switch segs[i-1].key {
		case "tools", "objects", "classifications", "relations":
			p := append(append([]pathSeg{}, segs[:i+1]...), pathSeg{key: "objectId"})
			return lookupString(b, p)
		}
	}
	return ""
}

// lookupString returns the string at path segs in b, or "".
func lookupString(b []byte, segs []pathSeg) string {
	at := locate(b, segs)
	if at < 0 || at >= len(b) || b[at] != '"' {
		return ""
	}
	var s string
	if json.Unmarshal(b[at:skipValue(b, at)], &s) != nil {
		return ""
	}
	return s
}

// syntaxError builds the error for b, which is not valid JSON, locating
// the problem with encoding/json so the wording is Go's (only on this
// error path). msg and at (offset in b, -1 if unknown) are the decoder's
// view, used when encoding/json accepts b (nesting deeper than maxDepth).
func syntaxError(b []byte, index, line int, off int64, msg string, at int) *Error {
	var raw json.RawMessage
	err := json.Unmarshal(b, &raw)
	var se *json.SyntaxError
	pos := at
	if errors.As(err, &se) {
		msg = "invalid JSON: " + se.Error()
		pos = int(se.Offset) - 1
		if strings.Contains(msg, "unexpected end") {
			msg = "invalid JSON: unexpected end of input"
			pos = len(bytes.TrimRight(b, " \t\r\n")) - 1
		}
	}
	pos = max(0, min(pos, len(b)-1))
	return &Error{Line: line + bytes.Count(b[:pos], []byte{'\n'}), Offset: off + int64(pos), Index: index,
		Msg: msg, Err: ErrSyntax}
}

// syntaxAt returns a syntax error at a known place.
func (r *Reader) syntaxAt(index, line int, off int64, msg string) error {
	return &Error{Line: line, Offset: off, Index: index, Msg: msg, Err: ErrSyntax}
}

// unexpectedEnd reports input that ends inside the array or an asset, at
// the last line that holds data.
func (r *Reader) unexpectedEnd(index int) error {
	if r.readErr != nil {
		return r.endErr()
	}
	data := bytes.TrimRight(r.buf[r.r:r.w], " \t\r\n")
	line := r.line + bytes.Count(data, []byte{'\n'})
	if len(data) == 0 {
		line = max(1, r.line-r.skippedLines)
	}
	msg := "invalid JSON: unexpected end of input"
	if index < 0 {
		msg += " (missing ']' at the end of the array)"
	}
	return r.syntaxAt(index, line, r.base+int64(r.r+len(data)), msg)
}

// tooLarge reports an asset over the size limit.
func (r *Reader) tooLarge() error {
	return &Error{Line: r.line, Offset: r.base + int64(r.r), Index: r.index,
		Msg: fmt.Sprintf("asset is larger than the limit of %d bytes", r.cfg.maxSize), Err: ErrTooLarge}
}

// notObject reports an array element or NDJSON line that is not an object.
func (r *Reader) notObject(c byte, line int, off int64) error {
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
		return r.syntaxAt(r.index, line, off, fmt.Sprintf("invalid JSON: invalid character %s looking for beginning of value", quoteChar(c)))
	}
	return &Error{Line: line, Offset: off, Index: r.index, Msg: "asset must be a JSON object, got " + kind, Err: ErrInvalid}
}

// quoteChar formats c like encoding/json does in its messages.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := fmt.Sprintf("%q", string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}
