package hub

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/internal/secretbox"
)

// TestWriteZipEntry checks the export zip: a reader of the stored object
// finds the one entry with exactly the bytes written (several pipeline
// chunks of them), and a write that fails part-way stores nothing and
// returns its error.
func TestWriteZipEntry(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	svc, err := blob.Open(ctx, &blob.Config{BucketURL: "file://" + t.TempDir(), PublicURL: "http://127.0.0.1:1", SigningKey: secretbox.NewKey(), Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { svc.Close() })
	bk := svc.Hub()

	var want bytes.Buffer
	for i := range 40_000 {
		want.WriteString(`{"externalId":"img-`)
		want.WriteString(strings.Repeat("x", i%37))
		want.WriteString("\"}\n")
	}
	require.Greater(t, want.Len(), 3*pipelineChunk)
	key, err := blob.NewKey("o", "p", blob.TypeExports, "export.zip", time.Now())
	require.NoError(t, err)
	n, err := writeZipEntry(ctx, bk, key.String(), "p.ndjson", func(_ context.Context, w io.Writer) (int64, error) {
		_, err := w.Write(want.Bytes())
		return 40_000, err
	})
	require.NoError(t, err)
	require.EqualValues(t, 40_000, n)
	r, err := bk.NewReader(ctx, key.String())
	require.NoError(t, err)
	data, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	require.Len(t, zr.File, 1)
	require.Equal(t, "p.ndjson", zr.File[0].Name)
	require.Equal(t, zip.Deflate, zr.File[0].Method)
	f, err := zr.File[0].Open()
	require.NoError(t, err)
	got, err := io.ReadAll(f)
	require.NoError(t, err)
	require.True(t, bytes.Equal(want.Bytes(), got), "entry differs from what was written")

	failed, err := blob.NewKey("o", "p", blob.TypeExports, "failed.zip", time.Now())
	require.NoError(t, err)
	boom := errors.New("store scan failed")
	_, err = writeZipEntry(ctx, bk, failed.String(), "p.ndjson", func(_ context.Context, w io.Writer) (int64, error) {
		if _, err := w.Write(want.Bytes()); err != nil {
			return 0, err
		}
		return 1, boom
	})
	require.ErrorIs(t, err, boom)
	exists, err := bk.Exists(ctx, failed.String())
	require.NoError(t, err)
	require.False(t, exists, "a failed export left an object")
}
