package blob_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/internal/secretbox"
	"github.com/stretchr/testify/require"
	gcblob "gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
)

// BenchmarkWrite measures storing an 8 MiB object in a local directory:
// Baseline is gocloud's fileblob Upload with nothing added; Write adds
// the size bound and the SHA-256; PresignedPut adds HTTP and the
// signature check (a PUT through Handler over loopback).
func BenchmarkWrite(b *testing.B) {
	const size = 8 << 20
	content := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	ctx := context.Background()

	b.Run("Baseline", func(b *testing.B) {
		bk, err := fileblob.OpenBucket(b.TempDir(), &fileblob.Options{NoTempDir: true})
		require.NoError(b, err)
		defer bk.Close()
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			require.NoError(b, bk.Upload(ctx, "orgs/o/projects/p/exports/2025/x/export.zip", bytes.NewReader(content), &gcblob.WriterOptions{ContentType: "application/zip"}))
		}
	})

	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	defer srv.Close()
	svc, err := blob.Open(ctx, &blob.Config{BucketURL: "file://" + b.TempDir(), PublicURL: srv.URL, SigningKey: secretbox.NewKey(), Logger: slog.New(slog.DiscardHandler)})
	require.NoError(b, err)
	defer svc.Close()
	handler = svc.Handler()
	key, err := blob.NewKey("o", "p", blob.TypeExports, "export.zip", time.Now())
	require.NoError(b, err)

	b.Run("Write", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			_, err := svc.Hub().Write(ctx, key.String(), bytes.NewReader(content))
			require.NoError(b, err)
		}
	})

	b.Run("PresignedPut", func(b *testing.B) {
		u, _, err := svc.Hub().SignedURL(ctx, key.String(), http.MethodPut, 0)
		require.NoError(b, err)
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader(content))
			require.NoError(b, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(b, err)
			resp.Body.Close()
			require.Equal(b, http.StatusOK, resp.StatusCode)
		}
	})
}
