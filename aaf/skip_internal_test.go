package aaf

import (
	"encoding/json"
	"strings"
	"testing"
)

// skipCases are JSON values that skipUnchecked must find the end of.
var skipCases = []string{
	`{}`, `[]`, `"x"`, `""`, `12.5e3`, `true`, `null`,
	`{"a":[1,2,{"b":"}]"}],"c":"\\\"}"}`,
	`["\\\\", "\"", "[", "{", "]]]]", "\u005d"]`,
	`{"long":"` + strings.Repeat(`ab]}\\\"`, 20) + `","n":[[[[[[[[[[]]]]]]]]]]}`,
	`[{"k":"a\\"},{"k":"\\\""},["\"]","x"]]`,
	`{"a":"é ü 中文 😀 [{"}`,
}

func TestSkipUnchecked(t *testing.T) {
	t.Parallel()
	for _, v := range skipCases {
		if !json.Valid([]byte(v)) {
			t.Fatalf("case %s is not valid JSON", v)
		}
		// Every alignment, so that the eight-byte words start at every
		// place of the value.
		for pad := range 9 {
			for _, tail := range []string{``, `,"z":1}`, `]`} {
				in := strings.Repeat(" ", pad) + v + tail
				d := &decoder{b: []byte(in), i: pad}
				d.skipUnchecked()
				if got, want := d.i, pad+len(v); got != want || d.err != nil {
					t.Errorf("skip %q: got end %d, want %d (err %v)", in, got, want, d.err)
				}
			}
		}
	}
}

// FuzzSkipUnchecked checks that skipUnchecked finds the end of any valid
// string, object or array as encoding/json does, and stays in bounds on
// broken input.
func FuzzSkipUnchecked(f *testing.F) {
	for _, v := range skipCases {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d := &decoder{b: []byte(v)}
		d.skipUnchecked()
		if d.i < 0 || d.i > len(v) {
			t.Fatalf("end %d out of range", d.i)
		}
		if v == "" || strings.TrimSpace(v) != v {
			return
		}
		var raw json.RawMessage
		dec := json.NewDecoder(strings.NewReader(v))
		if dec.Decode(&raw) != nil {
			return
		}
		if c := v[0]; c == '{' || c == '[' || c == '"' {
			if want := int(dec.InputOffset()); d.i != want {
				t.Fatalf("skip %q: got end %d, want %d", v, d.i, want)
			}
		}
	})
}
