package convert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/exporthub/exporthub/aaf"
)

// AttrSeparator joins the titles of nested classifications into one key,
// e.g. "Occluded/Occluded by".
const AttrSeparator = "/"

// Attr is one classification answer flattened to a key and a value.
type Attr struct {
	// Key is the title path from the outermost classification.
	Key string
	// Tool is the classification type ("radio", "checkbox", "text", ...).
	Tool string
	// Answer is the answer as exported.
	Answer aaf.Answer
}

// Attrs is a flattened list of classification answers in export order
// (depth first), one entry per key.
type Attrs []Attr

// Flatten flattens classifications and their nested follow-ups, depth
// first. Unanswered questions (no "answer" key) are left out; when a key
// repeats, the later answer wins and keeps the first position.
func Flatten(cls []*aaf.Classification) Attrs {
	var out Attrs
	pos := make(map[string]int)
	var walk func(prefix string, cls []*aaf.Classification)
	walk = func(prefix string, cls []*aaf.Classification) {
		for _, c := range cls {
			key := c.Title
			if key == "" {
				key = c.SchemaID
			}
			if prefix != "" {
				key = prefix + AttrSeparator + key
			}
			if c.Answer.Present {
				if i, ok := pos[key]; ok {
					out[i].Answer, out[i].Tool = c.Answer, c.Tool
				} else {
					pos[key] = len(out)
					out = append(out, Attr{Key: key, Tool: c.Tool, Answer: c.Answer})
				}
			}
			walk(key, c.Classifications)
		}
	}
	walk("", cls)
	return out
}

// Text returns the answer as one string: list values joined by ", ", raw
// answers as their JSON text.
func (a Attr) Text() string {
	if a.Answer.Raw != nil {
		return string(a.Answer.Raw)
	}
	return strings.Join(a.Answer.Values, ", ")
}

// Value returns the answer as a JSON-ready value: a string, a list of
// strings, or the raw JSON of any other answer.
func (a Attr) Value() any {
	switch {
	case a.Answer.Raw != nil:
		return a.Answer.Raw
	case a.Answer.List:
		if a.Answer.Values == nil {
			return []string{}
		}
		return a.Answer.Values
	case len(a.Answer.Values) > 0:
		return a.Answer.Values[0]
	}
	return ""
}

// MarshalJSON writes the attributes as one JSON object in their order,
// without escaping HTML characters.
func (as Attrs) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, a := range as {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := enc.Encode(a.Key); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // Encode ends with a newline
		b.WriteByte(':')
		if err := enc.Encode(a.Value()); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// MarshalJSON returns the JSON encoding of v without escaping HTML
// characters (<, >, &), which JSON does not require.
func MarshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON reads what MarshalJSON writes, keeping the key order:
// strings become single answers, lists of strings list answers, and any
// other value a raw answer. Tool is not stored and stays empty.
func (as *Attrs) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		*as = nil
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("attributes must be a JSON object, got %v", tok)
	}
	out := Attrs{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		a := Attr{Key: key, Answer: aaf.Answer{Present: true}}
		var s string
		var list []string
		switch {
		case json.Unmarshal(raw, &s) == nil:
			a.Answer.Values = []string{s}
		case json.Unmarshal(raw, &list) == nil && list != nil:
			a.Answer.Values, a.Answer.List = list, true
		default:
			a.Answer.Raw = raw
		}
		out = append(out, a)
	}
	*as = out
	return nil
}
