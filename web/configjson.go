package web

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ConfigJSONError locates the first syntax error of a Config JSON text.
// Line and Column start at 1; Column counts characters, not bytes.
type ConfigJSONError struct {
	Line   int
	Column int
	// Message says what was expected, e.g. "expected ',' or '}'".
	Message string
}

// Error returns "Config JSON: line L, column C: message", the text the run
// dialog shows.
func (e *ConfigJSONError) Error() string {
	return fmt.Sprintf("Config JSON: line %d, column %d: %s", e.Line, e.Column, e.Message)
}

// CheckConfigJSON checks that text is one JSON object (blank text counts
// as {}) and returns a *ConfigJSONError locating the first error. It
// accepts exactly what encoding/json accepts for an object, and it reports
// the same errors, at the same places, as the check the run dialog runs
// in the browser (static/app.js).
func CheckConfigJSON(text string) error {
	c := &configChecker{s: text}
	err := c.check()
	if err == nil {
		return nil
	}
	line, col := 1, 1
	for i, r := range text {
		if i >= err.at {
			break
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
			if r > 0xFFFF {
				col++ // the browser counts UTF-16 code units
			}
		}
	}
	return &ConfigJSONError{Line: line, Column: col, Message: err.msg}
}

// configChecker is a recursive-descent JSON syntax checker that reports
// where and what it expected.
type configChecker struct {
	s string
	i int
}

// syntaxError is a located error inside the checker.
type syntaxError struct {
	at  int
	msg string
}

// maxConfigDepth bounds nesting as encoding/json does.
const maxConfigDepth = 10000

// fail returns an error at byte offset at (the current one when < 0).
func (c *configChecker) fail(msg string, at int) *syntaxError {
	if at < 0 {
		at = c.i
	}
	if at >= len(c.s) {
		msg = "unexpected end of input, " + msg
		at = len(c.s)
	}
	return &syntaxError{at: at, msg: msg}
}

func (c *configChecker) peek() byte {
	if c.i < len(c.s) {
		return c.s[c.i]
	}
	return 0
}

func (c *configChecker) skipSpace() {
	for c.i < len(c.s) {
		switch c.s[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *configChecker) check() *syntaxError {
	c.skipSpace()
	if c.i >= len(c.s) {
		return nil
	}
	if c.peek() != '{' {
		return c.fail("expected '{': the config is a JSON object", -1)
	}
	if err := c.object(1); err != nil {
		return err
	}
	c.skipSpace()
	if c.i < len(c.s) {
		return c.fail("unexpected text after the closing '}'", -1)
	}
	return nil
}

func (c *configChecker) value(depth int) *syntaxError {
	c.skipSpace()
	if c.i >= len(c.s) {
		return c.fail("expected a value", -1)
	}
	if ch := c.peek(); (ch == '{' || ch == '[') && depth >= maxConfigDepth {
		return c.fail(fmt.Sprintf("nested deeper than %d levels", maxConfigDepth), -1)
	}
	switch ch := c.peek(); {
	case ch == '{':
		return c.object(depth + 1)
	case ch == '[':
		return c.array(depth + 1)
	case ch == '"':
		return c.str()
	case ch == '-' || (ch >= '0' && ch <= '9'):
		return c.number()
	case ch == '\'':
		return c.fail("expected a value: strings use double quotes", -1)
	case c.word("true") || c.word("false") || c.word("null"):
		return nil
	}
	return c.fail("expected a value", -1)
}

// word consumes w when it stands alone at the current position.
func (c *configChecker) word(w string) bool {
	if !strings.HasPrefix(c.s[c.i:], w) {
		return false
	}
	if j := c.i + len(w); j < len(c.s) && isWordByte(c.s[j]) {
		return false
	}
	c.i += len(w)
	return true
}

func isWordByte(b byte) bool {
	return b == '_' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
}

func (c *configChecker) object(depth int) *syntaxError {
	c.i++ // {
	c.skipSpace()
	if c.peek() == '}' {
		c.i++
		return nil
	}
	for {
		c.skipSpace()
		if c.peek() != '"' || c.i >= len(c.s) {
			if c.peek() == '\'' {
				return c.fail("expected a key in double quotes", -1)
			}
			return c.fail("expected a key in double quotes or '}'", -1)
		}
		if err := c.str(); err != nil {
			return err
		}
		c.skipSpace()
		if c.peek() != ':' || c.i >= len(c.s) {
			return c.fail("expected ':'", -1)
		}
		c.i++
		if err := c.value(depth); err != nil {
			return err
		}
		if done, err := c.afterElem('}', "a key"); done || err != nil {
			return err
		}
	}
}

func (c *configChecker) array(depth int) *syntaxError {
	c.i++ // [
	c.skipSpace()
	if c.peek() == ']' {
		c.i++
		return nil
	}
	for {
		if err := c.value(depth); err != nil {
			return err
		}
		if done, err := c.afterElem(']', "a value"); done || err != nil {
			return err
		}
	}
}

// afterElem consumes what follows an element of an object or array
// closed by end: a ',' before the next element (done false), or end
// (done true). A ',' right before end is a trailing comma, want says
// what should have followed it.
func (c *configChecker) afterElem(end byte, want string) (done bool, err *syntaxError) {
	c.skipSpace()
	switch {
	case c.i >= len(c.s):
	case c.peek() == ',':
		comma := c.i
		c.i++
		c.skipSpace()
		if c.peek() == end && c.i < len(c.s) {
			return true, c.fail("trailing comma: expected "+want+" after ','", comma)
		}
		return false, nil
	case c.peek() == end:
		c.i++
		return true, nil
	}
	return true, c.fail("expected ',' or '"+string(end)+"'", -1)
}

func (c *configChecker) str() *syntaxError {
	c.i++ // opening quote
	for {
		if c.i >= len(c.s) {
			return c.fail("string is not closed: expected '\"'", len(c.s))
		}
		ch := c.s[c.i]
		switch {
		case ch == '"':
			c.i++
			return nil
		case ch == '\\':
			c.i++
			e := c.peek()
			switch {
			case c.i < len(c.s) && strings.IndexByte(`"\/bfnrt`, e) >= 0:
				c.i++
			case e == 'u' && c.i < len(c.s):
				c.i++
				if !isHex4(c.s[c.i:]) {
					return c.fail(`invalid \u escape: expected 4 hex digits`, -1)
				}
				c.i += 4
			default:
				esc := ""
				if c.i < len(c.s) {
					r, _ := utf8.DecodeRuneInString(c.s[c.i:])
					esc = string(r)
				}
				return c.fail(`invalid escape '\`+esc+`' in string`, c.i-1)
			}
		case ch < 0x20:
			if ch == '\n' {
				return c.fail(`string is not closed before the end of the line: expected '"'`, -1)
			}
			return c.fail("control character in string: write it as an escape", -1)
		default:
			c.i++
		}
	}
}

func isHex4(s string) bool {
	if len(s) < 4 {
		return false
	}
	for i := range 4 {
		b := s[i]
		if !((b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F')) {
			return false
		}
	}
	return true
}

func (c *configChecker) digits() int {
	start := c.i
	for c.i < len(c.s) && c.s[c.i] >= '0' && c.s[c.i] <= '9' {
		c.i++
	}
	return c.i - start
}

func (c *configChecker) number() *syntaxError {
	start := c.i
	if c.peek() == '-' {
		c.i++
	}
	if c.peek() == '0' && c.i < len(c.s) {
		c.i++
	} else if c.digits() == 0 {
		return c.fail("invalid number: expected a digit", -1)
	}
	if c.peek() == '.' && c.i < len(c.s) {
		c.i++
		if c.digits() == 0 {
			return c.fail("invalid number: expected a digit after '.'", -1)
		}
	}
	if e := c.peek(); (e == 'e' || e == 'E') && c.i < len(c.s) {
		c.i++
		if s := c.peek(); (s == '+' || s == '-') && c.i < len(c.s) {
			c.i++
		}
		if c.digits() == 0 {
			return c.fail("invalid number: expected a digit in the exponent", -1)
		}
	}
	if c.i < len(c.s) && (isWordByte(c.s[c.i]) || c.s[c.i] == '.') {
		return c.fail("invalid number", start)
	}
	return nil
}
