package blob_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/blob/blobtest"
	"github.com/stretchr/testify/require"
)

func TestService_File(t *testing.T) {
	t.Parallel()
	blobtest.Run(t, func(t *testing.T) *blobtest.Backend {
		dir := t.TempDir()
		return &blobtest.Backend{
			Config:    blob.Config{BucketURL: "file://" + filepath.ToSlash(dir)},
			ListFiles: func(t *testing.T) []string { return listFiles(t, dir) },
		}
	})
}

func TestService_S3(t *testing.T) {
	t.Parallel()
	s3 := blobtest.StartS3(t)
	backend := func(proxy bool) func(t *testing.T) *blobtest.Backend {
		return func(t *testing.T) *blobtest.Backend {
			bucket := s3.CreateBucket(t)
			return &blobtest.Backend{
				Config: blob.Config{
					BucketURL:       s3.BucketURL(bucket),
					AccessKeyID:     s3.AccessKey,
					SecretAccessKey: s3.SecretKey,
					Proxy:           proxy,
				},
				ListFiles: func(t *testing.T) []string { return s3.ObjectKeys(t, bucket) },
			}
		}
	}
	runProviderBackends(t, backend, s3)
}

// TestService_GCS runs the suite on fake-gcs-server. It accepts any
// signature, so the V4 signatures of the bucket's own URLs are checked by
// blobtest.GCSServer.VerifyURL with the key's public half instead.
func TestService_GCS(t *testing.T) {
	t.Parallel()
	gcs := blobtest.StartGCS(t)
	keyFile := filepath.Join(t.TempDir(), "key.json")
	require.NoError(t, os.WriteFile(keyFile, gcs.Key, 0o600))
	backend := func(proxy bool) func(t *testing.T) *blobtest.Backend {
		return func(t *testing.T) *blobtest.Backend {
			bucket := gcs.CreateBucket(t)
			be := &blobtest.Backend{
				Config:    blob.Config{BucketURL: gcs.BucketURL(bucket), CredentialsFile: keyFile, Proxy: proxy},
				ListFiles: func(t *testing.T) []string { return gcs.ObjectKeys(t, bucket) },
				VerifyURL: gcs.VerifyURL,
			}
			if proxy { // a proxied bucket needs no key: no credentials at all
				be.Config.BucketURL += "&anonymous=true"
				be.Config.CredentialsFile = ""
			}
			return be
		}
	}
	runProviderBackends(t, backend, gcs)
}

func TestService_Azure(t *testing.T) {
	t.Parallel()
	az := blobtest.StartAzurite(t)
	backend := func(proxy bool) func(t *testing.T) *blobtest.Backend {
		return func(t *testing.T) *blobtest.Backend {
			container := az.CreateContainer(t)
			return &blobtest.Backend{
				Config: blob.Config{
					BucketURL:       az.BucketURL(container),
					AccessKeyID:     az.Account,
					SecretAccessKey: az.Key,
					Proxy:           proxy,
				},
				ListFiles: func(t *testing.T) []string { return az.ObjectKeys(t, container) },
				PutHeader: az.PutHeader(),
			}
		}
	}
	runProviderBackends(t, backend, az)
}

// runProviderBackends runs the suite on a provider's bucket as the hub's
// own with the provider's URLs (Native) and with the hub's (Proxied), and
// on the embedded default (a local directory) with organization storages
// on the provider (FileHub).
func runProviderBackends(t *testing.T, backend func(proxy bool) func(t *testing.T) *blobtest.Backend, srv blobtest.StorageServer) {
	t.Run("Native", func(t *testing.T) {
		t.Parallel()
		blobtest.Run(t, backend(false))
	})
	t.Run("Proxied", func(t *testing.T) {
		t.Parallel()
		blobtest.Run(t, backend(true))
	})
	t.Run("FileHub", func(t *testing.T) {
		t.Parallel()
		blobtest.Run(t, func(t *testing.T) *blobtest.Backend {
			dir := t.TempDir()
			return &blobtest.Backend{
				Config:    blob.Config{BucketURL: "file://" + filepath.ToSlash(dir)},
				ListFiles: func(t *testing.T) []string { return listFiles(t, dir) },
				Storages:  []blobtest.StorageServer{srv},
			}
		})
	})
}

// listFiles returns every regular file under dir, relative to it.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	require.NoError(t, err)
	return files
}
