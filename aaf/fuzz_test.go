package aaf_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
)

// FuzzReader feeds arbitrary bytes to the reader: it must never panic or
// hang, must stop with an error or io.EOF, and every asset it accepts must
// encode to JSON that it accepts again as the same asset.
func FuzzReader(f *testing.F) {
	for _, pattern := range []string{"testdata/*.json", "testdata/*.ndjson", "testdata/malformed/*.json", "testdata/malformed/*.ndjson"} {
		files, err := filepath.Glob(pattern)
		require.NoError(f, err)
		for _, name := range files {
			data, err := os.ReadFile(name)
			require.NoError(f, err)
			f.Add(data)
		}
	}
	f.Add([]byte("[]"))
	f.Add([]byte(`{"task":{"tools":[{"objectId":"a","point":[1,2],"page":1},{"objectId":"a","point":[1,2],"page":2}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The decoder is exactly as strict as encoding/json about syntax
		// (EncodeRaw checks a value with it).
		trimmed := bytes.TrimSpace(data)
		if len(trimmed) > 0 && trimmed[0] == '{' && bytes.Count(trimmed, []byte("{"))+bytes.Count(trimmed, []byte("[")) < 300 {
			err := aaf.NewEncoder(io.Discard, aaf.FormatNDJSON).EncodeRaw(data)
			if json.Valid(data) {
				require.NoError(t, err, "encoding/json accepts %q", data)
			} else {
				require.Error(t, err, "encoding/json rejects %q", data)
			}
		}
		r := aaf.NewReader(bytes.NewReader(data), aaf.WithMaxAssetSize(1<<20), aaf.WithRaw(), aaf.WithWarnings(func(e *aaf.Error) {
			if e.Error() == "" {
				t.Fatal("empty warning")
			}
		}))
		// Each asset needs at least two bytes ("{}"), so a reader that
		// makes progress stops within len(data) calls.
		for range len(data)/2 + 2 {
			a, err := r.Next()
			if err == io.EOF && r.Format() == aaf.FormatJSON && trimmed[0] == '[' {
				require.True(t, json.Valid(data), "reader accepted the array %q", data)
			}
			if err != nil {
				require.NotEmpty(t, err.Error())
				return
			}
			require.NotEmpty(t, a.Raw())
			out, err := a.MarshalJSON()
			require.NoError(t, err)
			var again aaf.Asset
			require.NoError(t, again.UnmarshalJSON(out), "re-reading %s", out)
			out2, err := again.MarshalJSON()
			require.NoError(t, err)
			require.Equal(t, string(out), string(out2))
		}
		t.Fatalf("reader did not stop on %d bytes", len(data))
	})
}
