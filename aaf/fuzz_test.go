package aaf_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
)

// FuzzReader feeds arbitrary bytes to the reader: it must never panic or
// hang, must stop with an error or io.EOF, and every asset it accepts must
// encode to JSON that it accepts again as the same asset. A reader with
// WithWorkers(3) must see exactly what the sequential one sees.
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
	f.Add([]byte("{\"task\":{\"tools\":[{\"objectId\":\"a\",\"point\":[1]}]}}\n{\"task\":{\n[1]\n{\"task\":{}}\n"))
	f.Add([]byte(`[{"task":5}, 1, "s\"]", [[]], null, {"task":{}}, {"task":{"tools":[1,]}}, {}]`))
	f.Add([]byte(`{"task":{"tools":[{"objectId":"a","point":[1,2],"page":1},{"objectId":"a","point":[1,2],"page":2}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The decoder is exactly as strict as encoding/json about syntax
		// (EncodeRaw checks a value with it).
		trimmed := bytes.TrimSpace(data)
		if len(trimmed) > 0 && trimmed[0] == '{' && bytes.Count(trimmed, []byte("{"))+bytes.Count(trimmed, []byte("[")) < 300 {
			err := aaf.NewEncoder(io.Discard, aaf.FormatNDJSON).EncodeRaw(data)
			if json.Valid(data) {
				// encoding/json takes 1e999 as valid JSON; AAF rejects a
				// number beyond float64 (ErrInvalid, not a syntax error).
				if err != nil {
					require.ErrorIs(t, err, aaf.ErrInvalid, "encoding/json accepts %q", data)
					require.ErrorContains(t, err, "out of range")
				}
			} else {
				require.Error(t, err, "encoding/json rejects %q", data)
			}
		}
		r := aaf.NewReader(bytes.NewReader(data), aaf.WithMaxAssetSize(1<<20), aaf.WithRaw(), aaf.WithWarnings(func(e *aaf.Error) {
			if e.Error() == "" {
				t.Fatal("empty warning")
			}
		}))
		// What the reader returned: each asset's bytes, then its error.
		var seq []string
		// Each asset needs at least two bytes ("{}"), so a reader that
		// makes progress stops within len(data) calls.
		for range len(data)/2 + 2 {
			a, err := r.Next()
			if err == io.EOF && r.Format() == aaf.FormatJSON && trimmed[0] == '[' {
				require.True(t, json.Valid(data), "reader accepted the array %q", data)
			}
			if err != nil {
				require.NotEmpty(t, err.Error())
				if err != io.EOF {
					seq = append(seq, "error: "+err.Error())
				}
				checkContinueOnInvalid(t, data, seq)
				checkWorkers(t, data)
				return
			}
			require.NotEmpty(t, a.Raw())
			seq = append(seq, string(a.Raw()))
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

// checkWorkers reads data sequentially and with WithWorkers(3), with and
// without WithContinueOnInvalid, and requires the same assets, warnings
// and errors.
func checkWorkers(t *testing.T, data []byte) {
	for _, goOn := range []bool{false, true} {
		opts := []aaf.ReaderOption{aaf.WithMaxAssetSize(1 << 20), aaf.WithRaw()}
		if goOn {
			opts = append(opts, aaf.WithContinueOnInvalid())
		}
		want := readTrace(t, bytes.NewReader(data), true, opts...)
		got := readTrace(t, bytes.NewReader(data), true, append(opts, aaf.WithWorkers(3))...)
		requireSameTrace(t, want, got, fmt.Sprintf("WithWorkers(3), WithContinueOnInvalid: %v", goOn))
	}
}

// checkContinueOnInvalid reads data again with WithContinueOnInvalid: the
// reader must stop, give the same assets as without the option up to the
// first error, report errors and assets in increasing asset order, and
// end either cleanly or with an error that Next and Err keep returning.
// seq is what the reader gave without the option.
func checkContinueOnInvalid(t *testing.T, data []byte, seq []string) {
	r := aaf.NewReader(bytes.NewReader(data), aaf.WithMaxAssetSize(1<<20), aaf.WithRaw(), aaf.WithContinueOnInvalid())
	var got []string
	last := -1
	for range len(data) + 2 {
		a, err := r.Next()
		if err == io.EOF {
			require.NoError(t, r.Err())
			requireSamePrefix(t, seq, got)
			return
		}
		if err != nil {
			got = append(got, "error: "+err.Error())
			var ae *aaf.Error
			if errors.As(err, &ae) && ae.Index >= 0 {
				require.Greater(t, ae.Index, last, "error %v after asset %d", err, last)
				last = ae.Index
			}
			if r.Err() != nil {
				require.Equal(t, err, r.Err())
				_, again := r.Next()
				require.Equal(t, err, again)
				requireSamePrefix(t, seq, got)
				return
			}
			require.ErrorAs(t, err, &ae, "an error the reader goes on after is an *aaf.Error")
			require.False(t, errors.Is(err, aaf.ErrTooLarge))
			continue
		}
		got = append(got, string(a.Raw()))
		require.Equal(t, last+1, r.Index()-1, "asset index")
		last = r.Index() - 1
	}
	t.Fatalf("reader with WithContinueOnInvalid did not stop on %d bytes", len(data))
}

// requireSamePrefix checks that got (read with WithContinueOnInvalid)
// starts with the assets of want (read without it) and, when want ended
// cleanly, equals it.
func requireSamePrefix(t *testing.T, want, got []string) {
	n := len(want)
	if n > 0 && strings.HasPrefix(want[n-1], "error: ") {
		n-- // the error itself may differ: skipping a non-object element finds its syntax error first
	} else {
		require.Equal(t, want, got)
		return
	}
	require.Greater(t, len(got), n)
	require.Equal(t, want[:n], got[:n])
}
