package web_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/web"
)

// configCase is a case of testdata/config-json/cases.json, shared with
// the browser test of the same check in static/app.js.
type configCase struct {
	Name    string `json:"name"`
	Text    string `json:"text"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

func loadConfigCases(t *testing.T) []configCase {
	t.Helper()
	b, err := os.ReadFile("testdata/config-json/cases.json")
	require.NoError(t, err)
	var cases []configCase
	require.NoError(t, json.Unmarshal(b, &cases))
	return cases
}

func TestCheckConfigJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range loadConfigCases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			err := web.CheckConfigJSON(tc.Text)
			if tc.Message == "" {
				require.NoError(t, err)
				return
			}
			var ce *web.ConfigJSONError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tc.Message, ce.Message, "got %q, want %q", ce.Message, tc.Message)
			require.Equal(t, [2]int{tc.Line, tc.Column}, [2]int{ce.Line, ce.Column}, "got line:column %d:%d, want %d:%d", ce.Line, ce.Column, tc.Line, tc.Column)
			require.Contains(t, err.Error(), "Config JSON: line ")
		})
	}
}

func TestCheckConfigJSON_Depth(t *testing.T) {
	t.Parallel()
	for _, depth := range []int{9999, 10000, 10001} {
		text := `{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + "}"
		require.Equal(t, json.Valid([]byte(text)), web.CheckConfigJSON(text) == nil, "depth %d", depth)
	}
}

// FuzzCheckConfigJSON checks that the checker accepts exactly the JSON
// objects encoding/json accepts, and that errors point inside the text.
func FuzzCheckConfigJSON(f *testing.F) {
	f.Add(`{"a": 1, "b": [true, {"c": null}]}`)
	f.Add(`{"a": 1 "b": 2}`)
	f.Add(`{"a": "\u00e9\n", "n": -0.5e-7}`)
	f.Add("{\n  \"x\": [1,]\n}")
	f.Add(`  `)
	f.Fuzz(func(t *testing.T, text string) {
		err := web.CheckConfigJSON(text)
		trimmed := strings.TrimLeft(text, " \t\r\n")
		want := trimmed == "" || (strings.HasPrefix(trimmed, "{") && json.Valid([]byte(text)))
		require.Equal(t, want, err == nil, "CheckConfigJSON(%q) = %v, encoding/json says valid object: %v", text, err, want)
		if err != nil {
			var ce *web.ConfigJSONError
			require.ErrorAs(t, err, &ce)
			lines := strings.Split(text, "\n")
			require.LessOrEqual(t, ce.Line, len(lines))
			require.LessOrEqual(t, ce.Column, utf8.RuneCountInString(lines[ce.Line-1])*2+1)
		}
	})
}
