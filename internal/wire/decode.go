package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrNotObject is returned when a payload is not a JSON object.
var ErrNotObject = errors.New("want a JSON object")

// objectReader is implemented by the payload types that read a decoded
// JSON object directly (no second round of encoding/json).
type objectReader interface {
	fromObject(m map[string]any) error
}

// FromArgs reads the payload of a received Socket.IO event, its first
// argument (a JSON object the Socket.IO library decoded as a
// map[string]any), into v, a pointer to a payload type. It returns an
// error wrapping [ErrNotObject] when there is no argument or it is not an
// object, and the decoding error of a field of the wrong shape.
func FromArgs(args []any, v any) error {
	if len(args) == 0 {
		return fmt.Errorf("no payload: %w", ErrNotObject)
	}
	m, ok := args[0].(map[string]any)
	if !ok || m == nil {
		return fmt.Errorf("payload of type %T: %w", args[0], ErrNotObject)
	}
	if r, ok := v.(objectReader); ok {
		return r.fromObject(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("re-encode payload: %w", err)
	}
	return json.Unmarshal(b, v)
}

// unmarshalObject decodes b as a JSON object and hands it to read; what
// names the payload in errors.
func unmarshalObject(b []byte, what string, read func(map[string]any) error) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	if m == nil {
		return fmt.Errorf("decode %s: %w, got null", what, ErrNotObject)
	}
	if err := read(m); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// stringOf returns v as text: strings as they are, nil as "", anything
// else as its JSON.
func stringOf(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}

// truthy reports whether a JSON value counts as true the way the Python
// SDK's payloads mean it: true, a non-zero number or a non-empty string
// other than "false".
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x != 0
	case json.Number:
		f, err := x.Float64()
		return err == nil && f != 0
	case string:
		return x != "" && !strings.EqualFold(x, "false")
	}
	return false
}

// marshal encodes v like json.Marshal but without escaping <, > and &:
// the encoder that embeds the result decides (the hub's HTTP answers do
// not escape them, encoding/json.Marshal does).
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
