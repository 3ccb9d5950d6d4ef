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
	workers    int
	fields     Fields // WithFields: the parts to decode, with fieldsSet; 0 means all
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

// WithWorkers makes the reader decode and validate assets on n
// goroutines, so that reading uses several cores. Next still returns the
// assets in input order, with exactly the assets, errors (the same first
// error, with the same location) and warnings (in input order, on the
// goroutine that calls Next) of a reader without the option; every other
// option works the same.
//
// Next frames the input itself (the underlying reader is only ever read
// by the goroutine that calls Next) and hands batches of consecutive
// assets to the workers, keeping at most 2n+2 batches of up to 32 assets
// and 128 KiB in flight (a single asset larger than that makes a batch of
// its own), so memory stays bounded. The goroutines start with the first
// call to Next and end when the input ends or at [Reader.Close].
//
// n <= 1 means no extra goroutine: the assets are decoded by Next on the
// caller's goroutine, the default. A good n is runtime.GOMAXPROCS(0). n
// above 16 counts as 16: framing is left to the one goroutine that calls
// Next, and more workers would mostly wait for it while holding memory.
func WithWorkers(n int) ReaderOption {
	return func(c *readerConfig) { c.workers = min(n, maxWorkers) }
}

// maxWorkers bounds the workers of a WithWorkers reader.
const maxWorkers = 16

// Reader reads assets one at a time from an AAF stream: a JSON array of
// assets or NDJSON (one asset per line, blank lines skipped). It detects
// the format from the first non-space byte ('[' means a JSON array). Each
// asset is validated as it is read; memory does not grow with the number
// of assets. A Reader is not safe for concurrent use.
//
// With [WithWorkers] the assets are decoded on several goroutines; call
// [Reader.Close] when done with such a reader (see there).
type Reader struct {
	cfg readerConfig
	f   framer

	index   int
	curLine int
	curOff  int64
	err     error

	dec assetDecoder // sequential decoding
	par *parallel    // WithWorkers: set by the first Next, nil after the end
}

// ErrClosed is what [Reader.Next] returns after [Reader.Close] when the
// input had not ended before.
var ErrClosed = errors.New("aaf: reader closed")

// ErrStarted is what [Reader.Configure] returns once Next was called.
var ErrStarted = errors.New("aaf: reader already started")

// NewReader returns a Reader for r. Nothing is read, and no goroutine is
// started, until the first call to Next.
func NewReader(r io.Reader, opts ...ReaderOption) *Reader {
	rd := &Reader{curOff: -1, cfg: readerConfig{maxSize: DefaultMaxAssetSize}}
	rd.f.src = r
	rd.apply(opts)
	return rd
}

// apply applies opts to the options of a reader that has not started.
func (r *Reader) apply(opts []ReaderOption) {
	for _, o := range opts {
		o(&r.cfg)
	}
	r.f = framer{src: r.f.src, maxSize: r.cfg.maxSize, goOn: r.cfg.goOn, line: 1}
	r.dec = assetDecoder{}
	r.dec.init(&r.cfg)
}

// Configure applies opts to a reader made by someone else (an SDK that
// hands it to a callback), on top of its options, as if they had been
// passed last to NewReader; a callback uses it to say which parts it reads
// ([WithFields]). It returns [ErrStarted], changing nothing, once Next was
// called.
func (r *Reader) Configure(opts ...ReaderOption) error {
	if r.f.started || r.err != nil || r.par != nil {
		return ErrStarted
	}
	r.apply(opts)
	return nil
}

// Assets returns an iterator over the assets of r; see [NewReader] and
// [Reader.All]. The reader is closed when the loop ends (see
// [Reader.Close]), so a loop that stops early releases its goroutines; a
// second loop over the same iterator yields [ErrClosed] once.
func Assets(r io.Reader, opts ...ReaderOption) iter.Seq2[*Asset, error] {
	rd := NewReader(r, opts...)
	return func(yield func(*Asset, error) bool) {
		defer rd.Close()
		for a, err := range rd.All() {
			if !yield(a, err) {
				return
			}
		}
	}
}

// Format returns the detected container format. It is valid after the
// first call to Next; an empty input reads as FormatNDJSON.
func (r *Reader) Format() Format { return r.f.format }

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
// Without [WithContinueOnInvalid] every error ends the input. After
// [Reader.Close] in the middle of the input it returns [ErrClosed].
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
//
// A loop that stops early leaves the reader where it stopped: the next
// Next or All goes on from there. It does not close the reader; see
// [Reader.Close] and [Assets].
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
// go on past the rejected asset. With [WithWorkers] the assets, errors
// and warnings are exactly those of a reader without it, in the same
// order.
func (r *Reader) Next() (*Asset, error) {
	if r.err != nil {
		return nil, r.err
	}
	var a *Asset
	var err error
	if r.cfg.workers > 1 {
		a, err = r.nextParallel()
	} else {
		a, err = r.next()
	}
	if err != nil {
		return nil, r.fail(err)
	}
	r.index++
	return a, nil
}

// Close releases the reader: with [WithWorkers] it stops the decoding
// goroutines and waits for them to return, which takes at most the
// decoding of one batch of assets (they never read the underlying reader:
// Next does). Close does not close the underlying reader; the caller may
// close it once Close returns. After Close, Next returns the error that
// had ended the input, io.EOF after a clean end, or else [ErrClosed].
// Close always returns nil; calling it again does nothing.
//
// A reader read to its end or to an error that ends the input has no
// goroutine left, and a reader without WithWorkers never has any, so
// Close is needed only to abandon a WithWorkers reader in the middle of
// its input; [Assets] does it when its loop ends. An abandoned reader
// that is not closed releases its goroutines once it is garbage
// collected.
func (r *Reader) Close() error {
	if r.err == nil {
		r.err = ErrClosed
	}
	r.stopParallel()
	return nil
}

// fail records err, the error of the last call to next, and returns it:
// it ends the input unless the reader goes on after rejected assets and
// the input is still split into assets correctly after this one.
func (r *Reader) fail(err error) error {
	if goesOn(err, r.cfg.goOn, r.f.format) {
		r.index++ // the rejected asset keeps its index
		return err
	}
	r.err = err
	r.stopParallel()
	return err
}

// goesOn reports whether a reader can go on after err: with
// [WithContinueOnInvalid], after a rejected asset as long as the input is
// still split into assets correctly after it.
func goesOn(err error, goOn bool, format Format) bool {
	e, ok := err.(*Error)
	return ok && goOn && e.Index >= 0 && (e.Err == ErrInvalid || e.Err == ErrSyntax && format == FormatNDJSON)
}

// next frames and decodes the next asset on the caller's goroutine.
func (r *Reader) next() (*Asset, error) {
	fr, err := r.f.next()
	if err != nil {
		return nil, err
	}
	a, err := r.dec.decode(fr, r.cfg.warn)
	if err != nil {
		return nil, err
	}
	r.curLine, r.curOff = fr.line, fr.off
	return a, nil
}

// assetDecoder decodes and validates framed assets, one at a time. The
// sequential reader has one; with WithWorkers each worker has its own.
type assetDecoder struct {
	cfg *readerConfig
	dec decoder
	val validator
}

// init prepares w for the options in cfg.
func (w *assetDecoder) init(cfg *readerConfig) {
	w.cfg = cfg
	w.dec.warnOn = cfg.warn != nil
	w.dec.shareStrings = true
	w.dec.omit = cfg.skipped()
}

// decode parses, converts and validates the asset fr. It passes the
// asset's warnings, located, to warn (when the reader has a handler),
// also when it rejects the asset.
func (w *assetDecoder) decode(fr frame, warn func(*Error)) (*Asset, error) {
	b, line, off, index := fr.b, fr.line, fr.off, fr.index
	d := &w.dec
	d.reset(b)
	var a *Asset
	d.document(func() { a = d.asset() })
	d.settle()
	if d.err == nil && !w.cfg.noValidate {
		if e := w.val.asset(a); e != nil {
			d.err = e
		}
	}
	ext := ""
	if a != nil && a.has&hasExternalID != 0 {
		ext = a.ExternalID
	}
	if w.cfg.warn != nil {
		for _, e := range d.warnings {
			finish(e, b, index, line, off, ext, -1)
			warn(e)
		}
		if d.dropped > 0 {
			e := &Error{Index: -1, Msg: fmt.Sprintf("%d more warnings in this asset not reported", d.dropped), Err: ErrInvalid}
			warn(finish(e, b, index, line, off, ext, 0))
		}
	}
	if d.err != nil {
		return nil, finish(d.err, b, index, line, off, ext, d.errAt)
	}
	if w.cfg.raw {
		a.raw = bytes.Clone(b)
	}
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
