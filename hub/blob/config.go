package blob

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/exporthub/exporthub/internal/egress"
	"github.com/exporthub/exporthub/internal/secretbox"
)

// DefaultSignedURLExpiry is how long a presigned URL stays valid unless
// Config.SignedURLExpiry or the call says otherwise.
const DefaultSignedURLExpiry = time.Hour

// MaxSignedURLExpiry is the longest expiry a presigned URL may have (the
// S3 signature version 4 limit). Longer expiries are an error.
const MaxSignedURLExpiry = 7 * 24 * time.Hour

// DefaultMaxObjectSize bounds an object written through the hub: 5 GiB.
const DefaultMaxObjectSize int64 = 5 << 30

// MinSigningKeySize is the shortest Config.SigningKey accepted, in bytes.
const MinSigningKeySize = 32

// HandlerPath is the path prefix under which the server mounts
// Service.Handler; the local presigned URLs are
// <PublicURL>/blob/<object key>?method=...&expires=...&sig=....
const HandlerPath = "/blob/"

// StorageHandlerPath is the path prefix under which the server mounts
// Service.StorageHandler; the presigned URLs of proxied organization
// storages are <PublicURL>/storage-blob/<storage id>/<object key>?....
const StorageHandlerPath = "/storage-blob/"

// Config configures a Service. Its zero value is not usable: BucketURL is
// required, and SigningKey and PublicURL are required when the hub serves
// presigned URLs itself. Every other field has a default. Fields are read
// once by Open; the caller's Config is never modified.
type Config struct {
	// AccessKeyID and SecretAccessKey are the credentials for an s3://
	// BucketURL (when both are empty, the AWS SDK's default chain is used:
	// environment, shared config files, instance role), or the account
	// name and account key of an azblob:// BucketURL (required). They are
	// ignored for other schemes.
	AccessKeyID string

	// CredentialsFile is the service-account JSON key file of a gs://
	// BucketURL; the key also signs its presigned URLs. Required for gs://
	// unless the URL says anonymous=true (then presigned URLs need Proxy).
	// Ignored for other schemes.
	CredentialsFile string

	// BucketURL is the hub's own bucket:
	//
	//   - file:///abs/dir: a directory (created if missing); the embedded
	//     default, under the data dir.
	//   - s3://bucket?endpoint=http://host:port&region=us-east-1&use_path_style=true:
	//     an S3-compatible bucket. endpoint, region and use_path_style are
	//     optional (AWS S3 and us-east-1 by default).
	//   - gs://bucket?endpoint=http://host:port&anonymous=true: a Google
	//     Cloud Storage bucket; endpoint (a GCS-compatible server) and
	//     anonymous (no credentials) are optional.
	//   - azblob://container?endpoint=https://account.blob.core.windows.net:
	//     an Azure Blob container; endpoint (the blob service URL, for
	//     Azure-compatible servers) is optional.
	//   - mem://: an in-memory bucket, for tests.
	//
	// Required.
	BucketURL string

	// Logger receives the events of the presigned-URL handler. Presigned
	// URLs and secrets are never logged. Defaults to slog.Default().
	Logger *slog.Logger

	// MaxObjectSize bounds every object written through the hub (Bucket.Write
	// and PUTs to the hub's own presigned URLs), in bytes, and is the limit
	// Bucket.CheckUploaded enforces for uploads that went straight to S3.
	// Defaults to DefaultMaxObjectSize.
	MaxObjectSize int64

	// NowFunc returns the current time; tests inject a clock to expire
	// presigned URLs without sleeping. It governs the hub's own presigned
	// URLs only (S3 servers check their own). Defaults to time.Now.
	NowFunc func() time.Time

	// Proxy makes the hub serve presigned URLs for an s3://, gs:// or
	// azblob:// BucketURL itself (through Handler) instead of handing out
	// the provider's own presigned URLs, for deployments whose storage
	// endpoint plugins cannot reach. The
	// file:// and mem:// buckets are always served by the hub. Defaults to
	// false.
	Proxy bool

	// PublicURL is the hub's base URL as plugins and browsers reach it,
	// e.g. http://127.0.0.1:7420. Presigned URLs served by the hub are
	// PublicURL + HandlerPath + key. Required when the hub serves presigned
	// URLs itself.
	PublicURL string

	// RunActiveFunc reports whether the run runID of organization orgID
	// may still upload: the PUT URLs the hub serves for a run's upload
	// (UploadURLParams.RunID) answer 403 once it returns false. Defaults
	// to a function that always says yes.
	RunActiveFunc func(ctx context.Context, orgID, runID string) (bool, error)

	// StoragePolicy, when set, checks every connection to an organization
	// storage (not the hub's own bucket): at connect time, after DNS
	// resolution and on every redirect, so that a tenant cannot point the
	// hub at loopback, link-local or private addresses. Errors then wrap
	// egress.ErrRefused and say "refused by policy". Defaults to none.
	StoragePolicy *egress.Policy

	// SecretAccessKey goes with AccessKeyID.
	SecretAccessKey string

	// SecretBox decrypts the secret keys of organization storages
	// (store.Storage.SecretKeyEnc). Required to use organization storages;
	// without it, Service.Bucket returns ErrInvalidStorage for them.
	SecretBox *secretbox.Box

	// SignedURLExpiry is how long presigned URLs stay valid when a call
	// does not say. At most MaxSignedURLExpiry. Defaults to
	// DefaultSignedURLExpiry.
	SignedURLExpiry time.Duration

	// SigningKey is the secret the hub's own presigned URLs are signed with
	// (HMAC-SHA256 over a key derived from it), at least MinSigningKeySize
	// bytes; pass the hub key. Required when the hub serves presigned URLs
	// itself.
	SigningKey []byte
}

// withDefaults returns a copy of c with defaults filled in.
func (c *Config) withDefaults() *Config {
	out := *c
	out.Logger = cmp.Or(out.Logger, slog.Default())
	out.MaxObjectSize = cmp.Or(out.MaxObjectSize, DefaultMaxObjectSize)
	if out.NowFunc == nil {
		out.NowFunc = time.Now
	}
	if out.RunActiveFunc == nil {
		out.RunActiveFunc = func(context.Context, string, string) (bool, error) { return true, nil }
	}
	out.SignedURLExpiry = cmp.Or(out.SignedURLExpiry, DefaultSignedURLExpiry)
	out.SigningKey = append([]byte(nil), c.SigningKey...)
	return &out
}

// validate checks a Config returned by withDefaults. proxied says whether
// the hub serves the bucket's presigned URLs itself.
func (c *Config) validate(proxied bool) error {
	var errs []error
	if c.MaxObjectSize < 0 {
		errs = append(errs, fmt.Errorf("MaxObjectSize must not be negative, got %d", c.MaxObjectSize))
	}
	if c.SignedURLExpiry < 0 || c.SignedURLExpiry > MaxSignedURLExpiry {
		errs = append(errs, fmt.Errorf("SignedURLExpiry must be between 0 and %v, got %v", MaxSignedURLExpiry, c.SignedURLExpiry))
	}
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		errs = append(errs, errors.New("AccessKeyID and SecretAccessKey must be set together"))
	}
	if proxied {
		if len(c.SigningKey) < MinSigningKeySize {
			errs = append(errs, fmt.Errorf("SigningKey must be at least %d bytes when the hub serves presigned URLs, got %d", MinSigningKeySize, len(c.SigningKey)))
		}
		if err := checkPublicURL(c.PublicURL); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("blob: invalid config: %w", err)
	}
	return nil
}

func checkPublicURL(s string) error {
	if s == "" {
		return errors.New("PublicURL is required when the hub serves presigned URLs")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("PublicURL %q must be an http(s) URL with a host and no query", s)
	}
	return nil
}

// publicBase returns PublicURL without a trailing slash.
func publicBase(s string) string { return strings.TrimRight(s, "/") }
