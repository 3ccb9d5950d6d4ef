package aaf

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The decoder reads one asset's bytes in a single pass: a strict JSON
// lexer (RFC 8259: no NaN or Infinity, no leading zeros, valid escapes, no
// control characters in strings) driven by the shape of the model, so that
// known keys go straight into the model and unknown values are kept as
// their exact source bytes. This file holds the lexer half.

// isSpace reports the JSON white space bytes.
var isSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

// plainStringByte reports bytes that end the fast path of a string scan.
var plainStringByte = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	return t
}()

// pow10 holds the powers of ten that are exact in a float64.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// ws skips white space.
func (d *decoder) ws() {
	for d.i < len(d.b) && isSpace[d.b[d.i]] {
		d.i++
	}
}

// peek skips white space and returns the next byte, or 0 at the end (a
// NUL byte in the input also gives 0; it is never valid where peek is
// used, so callers treat both as an error).
func (d *decoder) peek() byte {
	d.ws()
	if d.i >= len(d.b) {
		return 0
	}
	return d.b[d.i]
}

// syntaxErr records a syntax error at offset i. The reader replaces the
// message by encoding/json's wording when that finds the same input
// invalid; this one is the fallback.
func (d *decoder) syntaxErr(i int, msg string) {
	if d.err != nil {
		return
	}
	d.err = &Error{Offset: int64(i), Index: -1, Msg: "invalid JSON: " + msg, Err: ErrSyntax}
	d.errAt = i
}

// eof records an unexpected end of input.
func (d *decoder) eof() { d.syntaxErr(len(d.b), "unexpected end of input") }

// badChar records an unexpected byte at d.i.
func (d *decoder) badChar(context string) {
	if d.i >= len(d.b) {
		d.eof()
		return
	}
	d.syntaxErr(d.i, fmt.Sprintf("invalid character %s %s", quoteChar(d.b[d.i]), context))
}

// enter counts one level of nesting.
func (d *decoder) enter() bool {
	d.depth++
	if d.depth > maxDepth {
		d.syntaxErr(d.i, fmt.Sprintf("nesting deeper than %d levels", maxDepth))
		return false
	}
	return true
}

// beginObject consumes '{' at d.i and reads the first member name; it
// returns false for an empty object or on error.
func (d *decoder) beginObject() ([]byte, bool) {
	d.i++
	if !d.enter() {
		return nil, false
	}
	if d.peek() == '}' {
		d.i++
		d.depth--
		return nil, false
	}
	return d.key()
}

// moreKeys reads the next member name after a member value; it returns
// false at the end of the object or on error.
func (d *decoder) moreKeys() ([]byte, bool) {
	if d.err != nil {
		return nil, false
	}
	switch d.peek() {
	case ',':
		d.i++
		d.ws()
		return d.key()
	case '}':
		d.i++
		d.depth--
		return nil, false
	}
	d.badChar("after object key:value pair")
	return nil, false
}

// key reads a member name and its colon, leaving d.i at the value.
func (d *decoder) key() ([]byte, bool) {
	if d.i >= len(d.b) {
		d.eof()
		return nil, false
	}
	if d.b[d.i] != '"' {
		d.badChar("looking for beginning of object key string")
		return nil, false
	}
	k, ok := d.readString(&d.keyBuf)
	if !ok {
		return nil, false
	}
	if d.peek() != ':' {
		d.badChar("after object key")
		return nil, false
	}
	d.i++
	d.ws()
	if d.i >= len(d.b) {
		d.eof()
		return nil, false
	}
	return k, true
}

// beginArray consumes '[' at d.i; it returns true when an element follows
// (d.i at it) and false for an empty array or on error.
func (d *decoder) beginArray() bool {
	d.i++
	if !d.enter() {
		return false
	}
	c := d.peek()
	if c == ']' {
		d.i++
		d.depth--
		return false
	}
	if c == 0 {
		d.eof()
		return false
	}
	return true
}

// moreElems moves past ',' to the next element (true) or past ']' (false).
func (d *decoder) moreElems() bool {
	if d.err != nil {
		return false
	}
	switch d.peek() {
	case ',':
		d.i++
		if d.peek() == 0 {
			d.eof()
			return false
		}
		return true
	case ']':
		d.i++
		d.depth--
		return false
	}
	d.badChar("after array element")
	return false
}

// Masks for plainRun's test of eight bytes at a time.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainRun returns the index of the first byte at or after i in b that
// ends the fast path of a string scan (a quote, a backslash or a control
// character), or len(b). It tests eight bytes at a time: a byte is zero,
// or below 0x20, exactly when its high bit survives v-ones & ^v.
func plainRun(b []byte, i int) int {
	for i+8 <= len(b) {
		w := binary.LittleEndian.Uint64(b[i:])
		q := w ^ ('"' * ones)
		bs := w ^ ('\\' * ones)
		if ((q-ones)&^q|(bs-ones)&^bs|(w-0x20*ones)&^w)&highs != 0 {
			break
		}
		i += 8
	}
	for i < len(b) && plainStringByte[b[i]] {
		i++
	}
	return i
}

// quoteOrBackslash returns the index of the first '"' or '\\' at or
// after i in b, or len(b); like plainRun, eight bytes at a time.
func quoteOrBackslash(b []byte, i int) int {
	for i+8 <= len(b) {
		w := binary.LittleEndian.Uint64(b[i:])
		q := w ^ ('"' * ones)
		bs := w ^ ('\\' * ones)
		if ((q-ones)&^q|(bs-ones)&^bs)&highs != 0 {
			break
		}
		i += 8
	}
	for i < len(b) && b[i] != '"' && b[i] != '\\' {
		i++
	}
	return i
}

// readString reads the string at d.i (which is '"') and returns its
// unescaped content: a slice of the input when it has no escapes, else of
// *buf. The result is valid until the next read into *buf.
func (d *decoder) readString(buf *[]byte) ([]byte, bool) {
	start := d.i + 1
	b := d.b
	i := plainRun(b, start)
	if i < len(b) && b[i] == '"' {
		d.i = i + 1
		return b[start:i], true
	}
	return d.readStringSlow(buf, start, i)
}

// readStringSlow continues readString at the first escape or bad byte.
func (d *decoder) readStringSlow(buf *[]byte, start, i int) ([]byte, bool) {
	b := d.b
	out := append((*buf)[:0], b[start:i]...)
	for {
		if i >= len(b) {
			d.eof()
			return nil, false
		}
		c := b[i]
		switch {
		case c == '"':
			d.i = i + 1
			*buf = out
			return out, true
		case c < 0x20:
			d.i = i
			d.badChar("in string literal")
			return nil, false
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		i++
		if i >= len(b) {
			d.eof()
			return nil, false
		}
		switch b[i] {
		case '"', '\\', '/':
			out = append(out, b[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, n := d.hex4(i + 1)
			if n < 0 {
				return nil, false
			}
			i = n
			if utf16.IsSurrogate(r) {
				// A pair gives one rune; a lone half becomes U+FFFD, as
				// encoding/json does.
				if i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
					if r2, n2 := d.hex4(i + 2); n2 >= 0 {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							out = utf8.AppendRune(out, dec)
							i = n2
							continue
						}
					} else {
						return nil, false
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			d.i = i
			d.badChar("in string escape code")
			return nil, false
		}
		i++
	}
}

// hex4 reads four hex digits at i; it returns the value and the index
// after them, or -1 on error.
func (d *decoder) hex4(i int) (rune, int) {
	var r rune
	for k := range 4 {
		if i+k >= len(d.b) {
			d.eof()
			return 0, -1
		}
		c := d.b[i+k]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			d.i = i + k
			d.badChar(`in \u hexadecimal character escape`)
			return 0, -1
		}
	}
	return r, i + 4
}

// skipString moves past the string at d.i, checking it.
func (d *decoder) skipString() bool {
	start := d.i + 1
	b := d.b
	i := plainRun(b, start)
	if i < len(b) && b[i] == '"' {
		d.i = i + 1
		return true
	}
	_, ok := d.readStringSlow(&d.valBuf, start, i)
	return ok
}

// scanNumber checks the number at d.i, moves past it and returns its
// value; a value beyond float64 (1e999) gives ±Inf. The caller checks that
// d.b[d.i] starts a number ('-' or a digit).
func (d *decoder) scanNumber() (float64, bool) {
	b := d.b
	start := d.i
	i := start
	neg := false
	if b[i] == '-' {
		neg = true
		i++
	}
	var mant uint64
	digits := 0
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if digits < 19 {
				mant = mant*10 + uint64(b[i]-'0')
			}
			digits++
			i++
		}
	default:
		d.i = i
		d.badChar("in numeric literal")
		return 0, false
	}
	frac := 0
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			d.i = i
			d.badChar("after decimal point in numeric literal")
			return 0, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if digits < 19 {
				mant = mant*10 + uint64(b[i]-'0')
			}
			if mant != 0 || digits > 0 {
				digits++
			}
			frac++
			i++
		}
	}
	exp := false
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		exp = true
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			d.i = i
			d.badChar("in exponent of numeric literal")
			return 0, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	d.i = i
	if !exp && digits <= 15 && frac < len(pow10) {
		// Exact: an integer below 2^53 divided by an exact power of ten
		// rounds once, correctly.
		f := float64(mant) / pow10[frac]
		if neg {
			f = -f
		}
		return f, true
	}
	f, err := strconv.ParseFloat(string(b[start:i]), 64)
	if err != nil && !math.IsInf(f, 0) {
		d.syntaxErr(start, "invalid number "+string(b[start:i]))
		return 0, false
	}
	return f, true
}

// literal moves past true, false or null at d.i.
func (d *decoder) literal(word string) bool {
	for k := 0; k < len(word); k++ {
		if d.i+k >= len(d.b) {
			d.eof()
			return false
		}
		if d.b[d.i+k] != word[k] {
			d.i += k
			d.badChar(fmt.Sprintf("in literal %s (expecting %s)", word, quoteChar(word[k])))
			return false
		}
	}
	d.i += len(word)
	return true
}

// skipValue checks and moves past the value at d.i, failing on numbers
// beyond float64; it returns the value's bytes (a slice of the input).
func (d *decoder) skipValue() []byte {
	start := d.i
	d.skip()
	if d.err != nil {
		return nil
	}
	return d.b[start:d.i]
}

func (d *decoder) skip() {
	if d.i >= len(d.b) {
		d.eof()
		return
	}
	switch c := d.b[d.i]; {
	case c == '{':
		for k, ok := d.beginObject(); ok; k, ok = d.moreKeys() {
			d.path = append(d.path, pathSeg{key: d.intern(k)})
			d.skip()
			d.pop()
		}
	case c == '[':
		for n, ok := 0, d.beginArray(); ok; n, ok = n+1, d.moreElems() {
			d.pushIdx(n)
			d.skip()
			d.pop()
		}
	case c == '"':
		d.skipString()
	case c == '-' || c >= '0' && c <= '9':
		start := d.i
		if f, ok := d.scanNumber(); ok && math.IsInf(f, 0) {
			d.failAt(start, "number "+string(d.b[start:d.i])+" out of range (not a finite float64)")
		}
	case c == 't':
		d.literal("true")
	case c == 'f':
		d.literal("false")
	case c == 'n':
		d.literal("null")
	default:
		d.badChar("looking for beginning of value")
	}
}

// kind returns the JSON type of the value at d.i: 'o'bject, 'a'rray,
// 's'tring, 'n'umber, 'b'oolean, 'z' (null), or 0 for a syntax error.
func (d *decoder) kind() byte {
	if d.i >= len(d.b) {
		d.eof()
		return 0
	}
	switch c := d.b[d.i]; {
	case c == '{':
		return 'o'
	case c == '[':
		return 'a'
	case c == '"':
		return 's'
	case c == '-' || c >= '0' && c <= '9':
		return 'n'
	case c == 't' || c == 'f':
		return 'b'
	case c == 'n':
		return 'z'
	}
	d.badChar("looking for beginning of value")
	return 0
}

// describe consumes the value at d.i and names it for messages, with the
// value for strings and numbers ("string \"200.5\"", "number 7", "array").
func (d *decoder) describe() string {
	start := d.i
	switch d.kind() {
	case 's':
		s, ok := d.readString(&d.valBuf)
		if !ok {
			return "string"
		}
		return describeString(s)
	case 'n':
		if _, ok := d.scanNumber(); !ok {
			return "number"
		}
		return "number " + string(d.b[start:d.i])
	case 'b':
		d.skip()
		return "boolean"
	case 'z':
		d.skip()
		return "null"
	case 'a':
		d.skip()
		return "array"
	case 'o':
		d.skip()
		return "object"
	}
	return "invalid JSON"
}

// describeString quotes s for a message, shortened.
func describeString(s []byte) string {
	if len(s) > 40 {
		return "string " + strconv.Quote(string(s[:40])+"...")
	}
	return "string " + strconv.Quote(string(s))
}

// skipUnchecked moves past the value at d.i without checking it: strings
// and brackets are followed (so the value's end is found in valid JSON),
// nothing else is looked at. It is how a reader with [WithFields] skips
// the parts it leaves out; broken JSON makes it stop at a wrong place or
// at the end of the asset, where the decoder then fails.
func (d *decoder) skipUnchecked() {
	b, i := d.b, d.i
	if i >= len(b) {
		d.eof()
		return
	}
	switch b[i] {
	case '"':
		i = stringEnd(b, i+1)
	case '{', '[':
		i = nestedEnd(b, i)
	default:
		for i < len(b) && isScalarByte(b[i]) {
			i++
		}
	}
	d.i = min(i, len(b))
}

// stringEnd returns the index just past the closing quote of the string
// whose content starts at i, or len(b).
func stringEnd(b []byte, i int) int {
	for {
		i = quoteOrBackslash(b, i)
		if i >= len(b) {
			return len(b)
		}
		if b[i] == '"' {
			return i + 1
		}
		i += 2 // a backslash and the byte it escapes
	}
}

// nestedEnd returns the index just past the object or array that starts
// at b[i], following strings and counting brackets of both kinds, or
// len(b) when it does not end.
//
// It reads eight bytes at a time: it turns each of quotes, brackets and
// backslashes into a mask of one bit per byte, finds the bytes inside
// strings with a prefix XOR of the quote bits, and counts the brackets
// outside them (c|0x20 is '{' for '{' and '[', '}' for '}' and ']'). A
// word holding a backslash is read byte by byte.
func nestedEnd(b []byte, i int) int {
	depth := 0
	var inStr uint64 // 0xff inside a string at the end of the last word
	esc := false     // the byte at i is escaped
	for {
		if i+8 > len(b) || esc {
			var done bool
			i, depth, inStr, esc, done = nestedBytes(b, i, min(i+8, len(b)), depth, inStr, esc)
			if done || i >= len(b) {
				return i
			}
			continue
		}
		w := binary.LittleEndian.Uint64(b[i:])
		if byteMask(w^'\\'*ones) != 0 {
			var done bool
			i, depth, inStr, esc, done = nestedBytes(b, i, i+8, depth, inStr, esc)
			if done {
				return i
			}
			continue
		}
		q := byteMask(w ^ '"'*ones)
		p := q ^ q<<1
		p ^= p << 2
		p ^= p << 4
		p = (p ^ inStr) & 0xff // 1 for the bytes inside a string
		inStr = (0 - p>>7) & 0xff
		l := w | 0x20*ones
		o := byteMask(l^'{'*ones) &^ p
		c := byteMask(l^'}'*ones) &^ p
		if c != 0 && depth <= bits.OnesCount64(c) {
			for m := o | c; m != 0; m &= m - 1 {
				j := bits.TrailingZeros64(m)
				if o>>j&1 != 0 {
					depth++
				} else if depth--; depth == 0 {
					return i + j + 1
				}
			}
		} else {
			depth += bits.OnesCount64(o) - bits.OnesCount64(c)
		}
		i += 8
	}
}

// nestedBytes is nestedEnd's byte-at-a-time path over b[i:end] (and on
// while an escape is pending); done reports that the value ended, i then
// being just past it.
func nestedBytes(b []byte, i, end, depth int, inStr uint64, esc bool) (int, int, uint64, bool, bool) {
	for ; i < end || esc && i < len(b); i++ {
		c := b[i]
		switch {
		case esc:
			esc = false
		case inStr != 0:
			if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = 0
			}
		case c == '"':
			inStr = 0xff
		case c|0x20 == '{':
			depth++
		case c|0x20 == '}':
			if depth--; depth == 0 {
				return i + 1, depth, inStr, esc, true
			}
		}
	}
	return i, depth, inStr, esc, false
}

// byteMask returns a mask with bit k set when byte k of w (little endian)
// is zero: exactly, with no borrow between bytes.
func byteMask(w uint64) uint64 {
	const lows = 0x7f7f7f7f7f7f7f7f
	t := (w&lows + lows) | w // the high bit is clear exactly in the zero bytes
	m := ^t & highs
	return (m >> 7) * 0x0102040810204080 >> 56
}
