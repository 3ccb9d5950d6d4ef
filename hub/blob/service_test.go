package blob_test

import (
	"io/fs"
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
				S3:        s3,
			}
		}
	}
	t.Run("Native", func(t *testing.T) {
		t.Parallel()
		blobtest.Run(t, backend(false))
	})
	t.Run("Proxied", func(t *testing.T) {
		t.Parallel()
		blobtest.Run(t, backend(true))
	})
	// The embedded default with organization storages on S3.
	t.Run("FileHub", func(t *testing.T) {
		t.Parallel()
		blobtest.Run(t, func(t *testing.T) *blobtest.Backend {
			dir := t.TempDir()
			return &blobtest.Backend{
				Config:    blob.Config{BucketURL: "file://" + filepath.ToSlash(dir)},
				ListFiles: func(t *testing.T) []string { return listFiles(t, dir) },
				S3:        s3,
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
