package blob

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/internal/egress"
)

// storageCheckKey is the object the bucket check writes and deletes.
const storageCheckKey = "exporthub-storage-check"

// StorageCheckError is a storage whose bucket does not answer as the hub
// needs: What names the bucket (DescribeStorage), Reason says why in a
// few words ("the bucket does not exist", or the provider's answer), Err
// is the underlying error.
type StorageCheckError struct {
	What   string
	Reason string
	Err    error
}

func (e *StorageCheckError) Error() string { return e.Reason }

// Unwrap returns the underlying error.
func (e *StorageCheckError) Unwrap() error { return e.Err }

// CheckStorage opens an organization storage and proves that the hub can
// use its bucket: it writes a small object (exporthub-storage-check) and
// deletes it, which fails for a missing bucket, wrong credentials or
// credentials without write and delete rights, on every provider. The
// opened bucket is not cached. Errors are *StorageCheckError, or wrap
// ErrInvalidStorage for a storage that cannot be opened.
func (s *Service) CheckStorage(ctx context.Context, st *hubtype.Storage) error {
	if s.closed.Load() {
		return ErrClosed
	}
	b, err := s.openStorage(ctx, st)
	if err != nil {
		return err
	}
	defer b.b.Close()
	_, err = b.Write(ctx, storageCheckKey, strings.NewReader("exporthub checks that it can write here\n"))
	if err == nil {
		err = b.Delete(ctx, storageCheckKey)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound):
		return &StorageCheckError{What: DescribeStorage(st), Reason: "the bucket does not exist", Err: err}
	}
	if re := (*egress.RefusedError)(nil); errors.As(err, &re) {
		// Say only that the policy refused it, never what the address
		// answered.
		return &StorageCheckError{What: DescribeStorage(st), Reason: re.Error(), Err: err}
	}
	return &StorageCheckError{What: DescribeStorage(st), Reason: err.Error(), Err: err}
}

// MayServe reports whether objects of the organization storage st may
// have URLs on the host of u: the hub's own host for a proxied storage,
// the provider's host otherwise. It does no I/O; Bucket.KeyFromURL then
// decides exactly.
func (s *Service) MayServe(st *hubtype.Storage, u *url.URL) bool {
	host := strings.ToLower(u.Host)
	if st.Proxied {
		return host == s.publicHost
	}
	if st.Endpoint != "" {
		return host == endpointHost(st.Endpoint) || strings.HasSuffix(host, "."+endpointHost(st.Endpoint))
	}
	switch st.Provider {
	case ProviderGCP:
		return host == gcsHost || strings.HasSuffix(host, "."+gcsHost)
	case ProviderAzure:
		return host == strings.ToLower(st.AccessKey)+".blob.core.windows.net"
	}
	return strings.HasSuffix(host, ".amazonaws.com")
}

// DescribeStorage names a storage's bucket and endpoint in messages.
func DescribeStorage(st *hubtype.Storage) string {
	switch {
	case st.Endpoint != "":
		return fmt.Sprintf("bucket %q at %s", st.Bucket, st.Endpoint)
	case st.Provider == ProviderGCP:
		return fmt.Sprintf("bucket %q on Google Cloud Storage", st.Bucket)
	case st.Provider == ProviderAzure:
		return fmt.Sprintf("container %q of Azure account %s", st.Bucket, st.AccessKey)
	}
	return fmt.Sprintf("bucket %q at AWS S3", st.Bucket)
}
