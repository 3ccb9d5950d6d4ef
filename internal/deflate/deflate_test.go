package deflate_test

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/internal/deflate"
	"github.com/exporthub/exporthub/internal/zipstream"
)

// sample is JSON text like the SDK's and the formats' zip entries.
var sample = func() []byte {
	var b bytes.Buffer
	for i := range 20000 {
		fmt.Fprintf(&b, "    {\n        \"externalId\": \"img-%07d.jpg\",\n        \"URL\": \"https://assets.example.com/gen/img-%07d.jpg\",\n        \"Annotations\": \"Car %d %d %d %d;Bus %d %d 40 12\"\n    },\n",
			i, i, i%1000, i%733, i%97, i%53, i%311, i%17)
	}
	return b.Bytes()
}()

// TestNewCompressor checks that compress/flate inflates what the
// compressor writes, after a Reset too.
func TestNewCompressor(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	c, err := deflate.NewCompressor(io.Discard, 5)
	require.NoError(t, err)
	for range 2 {
		out.Reset()
		c.Reset(&out)
		_, err = c.Write(sample)
		require.NoError(t, err)
		require.NoError(t, c.Close())
		got, err := io.ReadAll(flate.NewReader(&out))
		require.NoError(t, err)
		require.True(t, bytes.Equal(sample, got), "inflated data differs")
	}
}

// BenchmarkCompressor compares the compressor with compress/flate at the
// levels the SDK (5) and the formats (default, 6) use.
func BenchmarkCompressor(b *testing.B) {
	stdlib := func(w io.Writer, level int) (zipstream.Compressor, error) { return flate.NewWriter(w, level) }
	for _, level := range []int{5, flate.DefaultCompression} {
		for _, c := range []struct {
			name string
			new  func(io.Writer, int) (zipstream.Compressor, error)
		}{{"compress-flate", stdlib}, {"deflate", deflate.NewCompressor}} {
			b.Run(fmt.Sprintf("%s/level%d", c.name, level), func(b *testing.B) {
				b.SetBytes(int64(len(sample)))
				w, err := c.new(io.Discard, level)
				require.NoError(b, err)
				for b.Loop() {
					w.Reset(io.Discard)
					_, _ = w.Write(sample)
					_ = w.Close()
				}
			})
		}
	}
}
