package wire_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/internal/wire"
	"github.com/exporthub/exporthub/internal/wire/wiretest"
)

// TestGolden encodes every payload value of wiretest to its golden file
// byte for byte and decodes every golden file, as JSON and as a decoded
// Socket.IO argument, back to the value.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, c := range wiretest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			golden := wiretest.Fixture(t, c.Name)
			if !c.DecodeOnly {
				// As the hub's HTTP answers encode: <, > and & unescaped.
				var buf bytes.Buffer
				enc := json.NewEncoder(&buf)
				enc.SetEscapeHTML(false)
				require.NoError(t, enc.Encode(c.Value))
				require.Equal(t, string(golden), strings.TrimSuffix(buf.String(), "\n"), "encoding %T", c.Value)
			}

			ptr := reflect.New(reflect.TypeOf(c.Value))
			require.NoError(t, json.Unmarshal(golden, ptr.Interface()))
			require.Equal(t, c.Value, ptr.Elem().Interface(), "decoding %s.json", c.Name)

			if c.Event != "" {
				arg := reflect.New(reflect.TypeOf(c.Value))
				require.NoError(t, wire.FromArgs([]any{wiretest.Object(t, c.Name)}, arg.Interface()))
				require.Equal(t, c.Value, arg.Elem().Interface(), "reading %s.json as a Socket.IO argument", c.Name)
			}

			if c.Data != nil {
				env := ptr.Elem().Interface().(wire.Envelope)
				data := reflect.New(reflect.TypeOf(c.Data))
				require.NoError(t, env.DecodeData(data.Interface()))
				require.Equal(t, c.Data, data.Elem().Interface())
			}
		})
	}
}

// TestGolden_EveryFileHasACase keeps testdata and the cases in step.
func TestGolden_EveryFileHasACase(t *testing.T) {
	t.Parallel()
	names, err := filepath.Glob("wiretest/testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	cases := map[string]bool{}
	for _, c := range wiretest.Cases() {
		cases[c.Name] = true
	}
	for _, n := range names {
		name := strings.TrimSuffix(filepath.Base(n), ".json")
		require.True(t, cases[name], "%s has no wiretest case", n)
		b, err := os.ReadFile(n)
		require.NoError(t, err)
		require.True(t, json.Valid(b), "%s is not valid JSON", n)
	}
	require.Len(t, cases, len(names), "a wiretest case has no file")
}
