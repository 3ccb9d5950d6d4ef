package aaf_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
)

// benchAssets is the size of the benchmark input. BENCH_AAF_ASSETS
// overrides it (e.g. for a quick run).
func benchAssets() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_AAF_ASSETS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

var benchInput = sync.OnceValues(func() ([]byte, int) {
	n := benchAssets()
	var buf bytes.Buffer
	if err := aaf.Generate(&buf, aaf.FormatNDJSON, aaf.GenOptions{Assets: n, Seed: 1, Kind: aaf.AssetKindMixed}); err != nil {
		panic(err)
	}
	return buf.Bytes(), n
})

// reportPerAsset adds assets/s, allocs/asset and cpu-ns/asset (CPU time
// of all threads, GC included, which other processes on the machine do
// not disturb) to a benchmark that handles n assets per iteration.
func reportPerAsset(b *testing.B, n int, run func()) {
	b.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start, cpuStart := time.Now(), cpuTime()
	for b.Loop() {
		run()
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpuStart
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "assets/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(n*b.N), "allocs/asset")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(n*b.N), "cpu-ns/asset")
	}
}

// BenchmarkDecode compares the aaf reader (decode into the model and
// validate; sequential, and with WithWorkers) with a naive encoding/json
// decode of the same NDJSON into maps, which does no validation at all.
func BenchmarkDecode(b *testing.B) {
	data, n := benchInput()
	b.Run("Reader", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		reportPerAsset(b, n, func() {
			r := aaf.NewReader(bytes.NewReader(data))
			got := 0
			for {
				_, err := r.Next()
				if err == io.EOF {
					break
				}
				require.NoError(b, err)
				got++
			}
			require.Equal(b, n, got)
		})
	})
	for _, workers := range []int{2, 4} {
		b.Run(fmt.Sprintf("ReaderWorkers%d", workers), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			reportPerAsset(b, n, func() {
				r := aaf.NewReader(bytes.NewReader(data), aaf.WithWorkers(workers))
				got := 0
				for {
					_, err := r.Next()
					if err == io.EOF {
						break
					}
					require.NoError(b, err)
					got++
				}
				require.Equal(b, n, got)
			})
		})
	}
	// What an SDK plugin that reads only the tools gets (the hub validated
	// the export on import).
	for _, c := range []struct {
		name string
		opts []aaf.ReaderOption
	}{
		{"ReaderWithoutValidation", []aaf.ReaderOption{aaf.WithoutValidation()}},
		{"ReaderFieldTools", []aaf.ReaderOption{aaf.WithoutValidation(), aaf.WithFields(aaf.FieldTools)}},
		{"ReaderFieldToolsWorkers2", []aaf.ReaderOption{aaf.WithoutValidation(), aaf.WithFields(aaf.FieldTools), aaf.WithWorkers(2)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			reportPerAsset(b, n, func() {
				got := 0
				for _, err := range aaf.Assets(bytes.NewReader(data), c.opts...) {
					require.NoError(b, err)
					got++
				}
				require.Equal(b, n, got)
			})
		})
	}
	b.Run("ReaderWithRaw", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		reportPerAsset(b, n, func() {
			for _, err := range aaf.Assets(bytes.NewReader(data), aaf.WithRaw()) {
				require.NoError(b, err)
			}
		})
	})
	b.Run("BaselineEncodingJSONMaps", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		reportPerAsset(b, n, func() {
			dec := json.NewDecoder(bytes.NewReader(data))
			got := 0
			for dec.More() {
				var m map[string]any
				require.NoError(b, dec.Decode(&m))
				got++
			}
			require.Equal(b, n, got)
		})
	})
}

// BenchmarkEncode measures writing the model back as NDJSON.
func BenchmarkEncode(b *testing.B) {
	data, n := benchInput()
	assets := make([]*aaf.Asset, 0, min(n, 10_000))
	for a, err := range aaf.Assets(bytes.NewReader(data)) {
		require.NoError(b, err)
		if len(assets) == cap(assets) {
			break
		}
		assets = append(assets, a)
	}
	b.Run("Encoder", func(b *testing.B) {
		b.SetBytes(int64(len(data)) * int64(len(assets)) / int64(n))
		reportPerAsset(b, len(assets), func() {
			enc := aaf.NewEncoder(io.Discard, aaf.FormatNDJSON)
			for _, a := range assets {
				require.NoError(b, enc.Encode(a))
			}
			require.NoError(b, enc.Close())
		})
	})
}

// BenchmarkGenerate measures the generator writing NDJSON.
func BenchmarkGenerate(b *testing.B) {
	const n = 10_000
	for _, kind := range []aaf.AssetKind{aaf.AssetKindImage, aaf.AssetKindMixed} {
		b.Run(string(kind), func(b *testing.B) {
			var size countingWriter
			require.NoError(b, aaf.Generate(&size, aaf.FormatNDJSON, aaf.GenOptions{Assets: n, Kind: kind}))
			b.SetBytes(int64(size))
			reportPerAsset(b, n, func() {
				require.NoError(b, aaf.Generate(io.Discard, aaf.FormatNDJSON, aaf.GenOptions{Assets: n, Kind: kind}))
			})
		})
	}
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
