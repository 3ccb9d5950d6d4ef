package hub

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/egress"
	"github.com/exporthub/exporthub/internal/secretbox"
)

// blobURL returns the hub bucket URL: Config.BlobURL, or the directory
// BlobDir in DataDir.
func blobURL(cfg *Config) (string, error) {
	if cfg.BlobURL != "" {
		return cfg.BlobURL, nil
	}
	dir, err := filepath.Abs(filepath.Join(cfg.DataDir, BlobDir))
	if err != nil {
		return "", fmt.Errorf("resolve blob directory: %w", err)
	}
	return "file://" + filepath.ToSlash(dir), nil
}

// openBlobs opens the blob service: the hub's bucket, organization
// storages, and the signer of hub-served presigned URLs (keyed with the
// hub key).
func openBlobs(ctx context.Context, cfg *Config, hubKey []byte, box *secretbox.Box, st store.Store, policy *egress.Policy) (*blob.Service, error) {
	u, err := blobURL(cfg)
	if err != nil {
		return nil, err
	}
	svc, err := blob.Open(ctx, &blob.Config{
		BucketURL:       u,
		AccessKeyID:     cfg.BlobAccessKeyID,
		SecretAccessKey: cfg.BlobSecretAccessKey,
		CredentialsFile: cfg.BlobCredentialsFile,
		Proxy:           cfg.BlobProxy,
		PublicURL:       cfg.PublicURL,
		SigningKey:      hubKey,
		SecretBox:       box,
		SignedURLExpiry: cfg.SignedURLExpiry,
		MaxObjectSize:   cfg.MaxObjectBytes,
		StoragePolicy:   policy,
		RunActiveFunc: func(ctx context.Context, orgID, runID string) (bool, error) {
			return runMayUpload(ctx, st, orgID, runID)
		},
		Logger: cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("open blob storage: %w", err)
	}
	return svc, nil
}

// runMayUpload reports whether a run may still upload its export: only
// while it is dispatched or running. Once its plugin answered (uploaded)
// or it ended, its upload URLs stop working.
func runMayUpload(ctx context.Context, st store.Store, orgID, runID string) (bool, error) {
	run, err := st.RunGet(ctx, orgID, runID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return run.Status == store.RunDispatched || run.Status == store.RunRunning, nil
}

// pingBlobs checks that the hub's bucket answers (a missing object is an
// answer).
func (s *Server) pingBlobs(ctx context.Context) error {
	_, err := s.blobs.Hub().Exists(ctx, "healthz")
	return err
}

// Blob returns the blob service: the hub's bucket (Blob().Hub()),
// organization storages (Blob().Bucket(ctx, storage)) and presigned URLs.
func (s *Server) Blob() *blob.Service { return s.blobs }
