//go:build unix

package hub

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/sqlite"
	"github.com/exporthub/exporthub/internal/secretbox"
)

// BenchmarkExportZip measures the hub's export zip (/v2/export and the
// run exports) of 20,000 generated image assets (aaf gen, no stage
// history) on SQLite, in MB/s of NDJSON produced. Scan is the baseline:
// the store scan and NDJSON writing alone (WriteExport to io.Discard).
// Zip is the whole path into a local bucket: scan, deflate and store.
// Each case also reports MB per CPU second (user + system).
func BenchmarkExportZip(b *testing.B) {
	const n = 20_000
	ctx := b.Context()
	st, err := sqlite.New(ctx, &sqlite.Config{Path: filepath.Join(b.TempDir(), "hub.db")})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, st.Close()) })
	o := &store.Org{ID: store.NewID(), Name: "bench"}
	require.NoError(b, st.OrgInsert(ctx, o))
	p := &store.Project{ID: store.NewID(), OrgID: o.ID, Name: "bench"}
	require.NoError(b, st.ProjectInsert(ctx, p))
	rows := func(yield func(*store.Asset, error) bool) {
		var buf bytes.Buffer
		for a := range aaf.GenerateAssets(aaf.GenOptions{Assets: n, Seed: 1, NoHistory: true}) {
			buf.Reset()
			enc := aaf.NewEncoder(&buf, aaf.FormatNDJSON)
			if err := enc.Encode(a); err != nil {
				yield(nil, err)
				return
			}
			if err := enc.Close(); err != nil {
				yield(nil, err)
				return
			}
			if !yield(&store.Asset{ExternalID: a.ExternalID, Data: bytes.TrimSpace(bytes.Clone(buf.Bytes()))}, nil) {
				return
			}
		}
	}
	_, err = st.AssetImport(ctx, &store.AssetImportParams{ProjectID: p.ID, Rows: rows})
	require.NoError(b, err)
	lp := store.AssetListParams{ProjectID: p.ID}
	var cd countingDiscard
	count, err := WriteExport(ctx, &cd, st, lp, aaf.FormatNDJSON, AssetShape{})
	require.NoError(b, err)
	require.EqualValues(b, n, count)

	svc, err := blob.Open(ctx, &blob.Config{BucketURL: "file://" + b.TempDir(), PublicURL: "http://127.0.0.1:1", SigningKey: secretbox.NewKey(), Logger: slog.New(slog.DiscardHandler)})
	require.NoError(b, err)
	b.Cleanup(func() { svc.Close() })
	key, err := blob.NewKey(o.ID, p.ID, blob.TypeExports, "export.zip", time.Now())
	require.NoError(b, err)
	write := func(ctx context.Context, w io.Writer) (int64, error) {
		return WriteExport(ctx, w, st, lp, aaf.FormatNDJSON, AssetShape{})
	}

	b.Run("Scan", func(b *testing.B) {
		b.SetBytes(cd.n)
		cpu0 := cpuTime(b)
		for b.Loop() {
			_, err := write(ctx, io.Discard)
			require.NoError(b, err)
		}
		reportCPU(b, cd.n, cpuTime(b)-cpu0)
	})
	b.Run("Zip", func(b *testing.B) {
		b.SetBytes(cd.n)
		cpu0 := cpuTime(b)
		for b.Loop() {
			_, err := writeZipEntry(ctx, svc.Hub(), key.String(), "bench.ndjson", write)
			require.NoError(b, err)
		}
		reportCPU(b, cd.n, cpuTime(b)-cpu0)
	})
}

// countingDiscard counts the bytes written to it and keeps none.
type countingDiscard struct{ n int64 }

func (c *countingDiscard) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// cpuTime returns the user and system CPU time of the process so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the MB of NDJSON produced per second of CPU time
// (user + system, all goroutines): the steadier figure on a loaded
// machine.
func reportCPU(b *testing.B, size int64, cpu time.Duration) {
	b.ReportMetric(float64(size)*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
}
