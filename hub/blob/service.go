package blob

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/exporthub/exporthub/hub/hubtype"
	gcblob "gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
)

// Service gives access to the hub's own bucket and to organization
// storages, presigns URLs for them, and serves the presigned URLs of the
// buckets the hub proxies (Handler). Create it with Open; it is safe for
// concurrent use.
type Service struct {
	cfg      *Config
	logger   *slog.Logger
	signer   *localSigner
	basePath string // path of PublicURL, without trailing slash
	// publicHost is the lower-case host[:port] of PublicURL.
	publicHost string
	hub        *Bucket
	closed     atomic.Bool

	// tagKey tags the keys of run uploads (runKeyID).
	tagKey []byte
	// putting holds the keys being written through Handler, so that two
	// PUTs to one write-once key cannot both succeed.
	putting sync.Map

	mu       sync.Mutex
	storages map[string]*cachedStorage
}

// cachedStorage is an opened organization storage and the fingerprint of
// the hubtype.Storage it was opened from.
type cachedStorage struct {
	fingerprint string
	bucket      *Bucket
}

// Open opens the hub's bucket described by cfg.BucketURL and returns a
// Service. A file:// directory is created when missing. Open does no
// network I/O for s3://, gs:// and azblob:// buckets; a wrong endpoint
// or credential shows on first use.
func Open(ctx context.Context, cfg *Config) (*Service, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	c := cfg.withDefaults()
	if c.BucketURL == "" {
		return nil, errors.New("blob: invalid config: BucketURL is required")
	}
	u, err := url.Parse(c.BucketURL)
	if err != nil {
		return nil, fmt.Errorf("blob: invalid config: BucketURL: %w", err)
	}
	hub := &Bucket{}
	switch u.Scheme {
	case "file", "mem":
		hub.proxied = true
	case "s3", "gs", "azblob":
		hub.proxied = c.Proxy
	default:
		return nil, fmt.Errorf("blob: invalid config: BucketURL scheme %q is not supported (use file, s3, gs, azblob or mem)", u.Scheme)
	}
	if err := c.validate(hub.proxied); err != nil {
		return nil, err
	}
	s := &Service{
		cfg:      c,
		logger:   c.Logger.With(logKeyComponent, "blob"),
		storages: make(map[string]*cachedStorage),
	}
	s.tagKey = deriveKey(c.SigningKey, runTagLabel)
	// The signer serves proxied organization storages too, so it is made
	// whenever the hub can sign, not only for a proxied hub bucket.
	if len(c.SigningKey) >= MinSigningKeySize && checkPublicURL(c.PublicURL) == nil {
		s.signer = newLocalSigner(c.SigningKey, c.PublicURL, c.NowFunc)
		pu, _ := url.Parse(c.PublicURL) // checked above
		s.basePath = strings.TrimRight(pu.Path, "/")
		s.publicHost = strings.ToLower(pu.Host)
	}
	hub.svc = s
	switch u.Scheme {
	case "file":
		hub.b, err = openFile(u)
	case "mem":
		hub.b = memblob.OpenBucket(nil)
	default:
		var pb *providerBucket
		if pb, err = openHubProvider(ctx, c, u); err == nil {
			hub.b, hub.name, hub.presign, hub.keyPath, hub.uploadOnly = pb.b, pb.name, pb.presign, pb.keyPath, pb.uploadOnly
			if !hub.proxied && hub.presign == nil {
				_ = hub.b.Close()
				err = fmt.Errorf("%s has no key to sign URLs with: set Proxy", u.Redacted())
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("blob: open hub bucket: %w", err)
	}
	s.hub = hub
	return s, nil
}

// providerBucket is a bucket opened on a provider (S3, GCS or Azure): the
// parts of a Bucket that depend on the provider.
type providerBucket struct {
	b          *gcblob.Bucket
	name       string
	presign    presignFunc
	keyPath    func(u *url.URL) (string, bool)
	uploadOnly bool
}

// openHubProvider opens the hub's own s3://, gs:// or azblob:// bucket
// with the credentials of the Config.
func openHubProvider(ctx context.Context, c *Config, u *url.URL) (*providerBucket, error) {
	switch u.Scheme {
	case "s3":
		p, err := parseS3URL(u)
		if err != nil {
			return nil, err
		}
		p.accessKey, p.secretKey = c.AccessKeyID, c.SecretAccessKey
		return openS3Bucket(ctx, p)
	case "gs":
		p, err := parseGSURL(u)
		if err != nil {
			return nil, err
		}
		if c.CredentialsFile != "" && !p.anonymous {
			if p.keyJSON, err = os.ReadFile(c.CredentialsFile); err != nil {
				return nil, fmt.Errorf("read CredentialsFile: %w", err)
			}
		}
		return openGCSBucket(ctx, p)
	default: // azblob
		p, err := parseAzblobURL(u)
		if err != nil {
			return nil, err
		}
		p.account, p.accountKey = c.AccessKeyID, c.SecretAccessKey
		if p.account == "" || p.accountKey == "" {
			return nil, errors.New("an azblob:// bucket needs the account name (AccessKeyID) and account key (SecretAccessKey)")
		}
		return openAzureBucket(ctx, p)
	}
}

func openS3Bucket(ctx context.Context, p *s3Params) (*providerBucket, error) {
	b, err := openS3(ctx, p)
	if err != nil {
		return nil, err
	}
	host := endpointHost(p.endpoint)
	return &providerBucket{b: b, name: p.bucket, presign: s3Presigner(b),
		keyPath: func(u *url.URL) (string, bool) { return s3KeyPath(host, p.bucket, u) }}, nil
}

func openGCSBucket(ctx context.Context, p *gcsParams) (*providerBucket, error) {
	b, presign, err := openGCS(ctx, p)
	if err != nil {
		return nil, err
	}
	return &providerBucket{b: b, name: p.bucket, presign: presign,
		keyPath: func(u *url.URL) (string, bool) { return gcsKeyPath(p.endpoint, p.bucket, u) }}, nil
}

func openAzureBucket(ctx context.Context, p *azureParams) (*providerBucket, error) {
	b, presign, err := openAzure(ctx, p)
	if err != nil {
		return nil, err
	}
	return &providerBucket{b: b, name: p.container, presign: presign, uploadOnly: true,
		keyPath: func(u *url.URL) (string, bool) { return azureKeyPath(p, u) }}, nil
}

// openFile opens a file:///abs/dir bucket, creating the directory.
// Temporary files are written next to their final path so that the rename
// that commits them never crosses file systems.
func openFile(u *url.URL) (*gcblob.Bucket, error) {
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("file URL %q must not name a host (want file:///abs/dir)", u.String())
	}
	if u.RawQuery != "" {
		return nil, fmt.Errorf("file URL %q must not have a query", u.String())
	}
	dir := filepath.FromSlash(u.Path)
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("file URL %q must hold an absolute directory", u.String())
	}
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{
		CreateDir:   true,
		DirFileMode: os.FileMode(0o750),
		NoTempDir:   true,
	})
	if err != nil {
		return nil, fmt.Errorf("open directory %s: %w", dir, err)
	}
	return b, nil
}

// Close closes the hub bucket and every opened organization storage.
// Afterwards every method returns ErrClosed. A second call returns nil.
func (s *Service) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	errs := []error{s.hub.b.Close()}
	for id, c := range s.storages {
		errs = append(errs, c.bucket.b.Close())
		delete(s.storages, id)
	}
	if err := interpretError(errors.Join(errs...)); err != nil {
		return fmt.Errorf("close buckets: %w", err)
	}
	return nil
}

// Hub returns the hub's own bucket.
func (s *Service) Hub() *Bucket { return s.hub }

// Bucket returns the bucket of an organization storage, or the hub's own
// bucket when st is nil. Opened storages are cached by id; a storage whose
// settings or credentials changed is reopened. The secret is decrypted
// with Config.SecretBox and passed to the provider's client explicitly;
// nothing is read from the environment. Errors wrap
// ErrInvalidStorage (bad storage) or ErrClosed.
func (s *Service) Bucket(ctx context.Context, st *hubtype.Storage) (*Bucket, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if st == nil {
		return s.hub, nil
	}
	fp := storageFingerprint(st)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() { // Close may have run since the check above
		return nil, ErrClosed
	}
	if c, ok := s.storages[st.ID]; ok && c.fingerprint == fp {
		return c.bucket, nil
	}
	b, err := s.openStorage(ctx, st)
	if err != nil {
		return nil, err
	}
	// A replaced bucket is not closed: callers may still hold it. S3
	// buckets hold no resources beyond idle connections.
	s.storages[st.ID] = &cachedStorage{fingerprint: fp, bucket: b}
	return b, nil
}

// ForgetStorage drops an opened organization storage from the cache; call
// it when the storage is deleted. Forgetting an unknown id does nothing.
func (s *Service) ForgetStorage(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.storages, id)
}

// openStorage opens an organization storage from its record: the one
// place every outbound connection to an organization's bucket starts
// from, whatever the provider (openS3, openGCS, openAzure build the
// clients).
func (s *Service) openStorage(ctx context.Context, st *hubtype.Storage) (*Bucket, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrInvalidStorage, st.ID, fmt.Sprintf(format, args...))
	}
	if st.ID == "" || st.OrgID == "" {
		return nil, bad("ID and OrgID are required")
	}
	if st.Bucket == "" {
		return nil, bad("bucket is empty")
	}
	if st.AccessKey == "" {
		return nil, bad("access key is empty")
	}
	if st.Proxied && s.signer == nil {
		return nil, bad("it is proxied, but the hub cannot sign URLs (Config.SigningKey and PublicURL)")
	}
	if s.cfg.SecretBox == nil {
		return nil, bad("the hub has no key to decrypt storage secrets (Config.SecretBox)")
	}
	secret, err := s.cfg.SecretBox.Open(st.SecretKeyEnc)
	if err != nil {
		return nil, bad("secret key does not decrypt with the hub key")
	}
	var pb *providerBucket
	switch {
	case st.Provider == ProviderAWS && st.CredentialType == CredentialAccessKey:
		if err := checkEndpoint(st.Endpoint); err != nil {
			return nil, bad("endpoint: %v", err)
		}
		p := &s3Params{
			bucket:    st.Bucket,
			endpoint:  st.Endpoint,
			region:    cmp.Or(st.Region, DefaultS3Region),
			pathStyle: st.Endpoint != "", // S3-compatible servers; AWS S3 prefers virtual hosts
			accessKey: st.AccessKey,
			secretKey: string(secret),
			policy:    s.cfg.StoragePolicy,
		}
		pb, err = openS3Bucket(ctx, p)
	case st.Provider == ProviderGCP && st.CredentialType == CredentialServiceAccount:
		if err := checkEndpoint(st.Endpoint); err != nil {
			return nil, bad("endpoint: %v", err)
		}
		pb, err = openGCSBucket(ctx, &gcsParams{bucket: st.Bucket, endpoint: st.Endpoint, keyJSON: secret, policy: s.cfg.StoragePolicy})
	case st.Provider == ProviderAzure && (st.CredentialType == CredentialAccountKey || st.CredentialType == CredentialSASToken):
		if err := checkAzureEndpoint(st.Endpoint); err != nil {
			return nil, bad("endpoint: %v", err)
		}
		p := &azureParams{container: st.Bucket, endpoint: st.Endpoint, account: st.AccessKey, policy: s.cfg.StoragePolicy}
		if st.CredentialType == CredentialSASToken {
			p.sasToken = string(secret)
		} else {
			p.accountKey = string(secret)
		}
		pb, err = openAzureBucket(ctx, p)
	default:
		return nil, bad("provider %q with credential type %q is not supported (AWS with accessKey, GCP with serviceAccount, AZURE with accountKey or sasToken)", st.Provider, st.CredentialType)
	}
	if err != nil {
		return nil, bad("%v", err)
	}
	if !st.Proxied && pb.presign == nil {
		_ = pb.b.Close()
		return nil, bad("its credentials cannot sign URLs, so it must be proxied")
	}
	return &Bucket{
		svc:        s,
		b:          pb.b,
		storageID:  st.ID,
		orgID:      st.OrgID,
		name:       st.Bucket,
		proxied:    st.Proxied,
		presign:    pb.presign,
		keyPath:    pb.keyPath,
		uploadOnly: pb.uploadOnly,
	}, nil
}

// storageFingerprint identifies the settings of a storage; a change means
// the cached bucket is stale.
func storageFingerprint(st *hubtype.Storage) string {
	h := sha256.New()
	for _, f := range []string{st.OrgID, st.Provider, st.Endpoint, st.Region, st.Bucket, st.AccessKey, string(st.SecretKeyEnc),
		st.CredentialType, strconv.FormatBool(st.Proxied)} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// UploadURLParams is the input of Service.UploadURL.
type UploadURLParams struct {
	// OrgID and ProjectID place the object; required.
	OrgID     string
	ProjectID string
	// Type is the object type; required.
	Type Type
	// Name is the client's file name; it is sanitised (SanitizeFileName).
	Name string
	// Storage is the organization storage to upload to; nil for the hub's
	// own bucket. It must belong to OrgID.
	Storage *hubtype.Storage
	// Expiry is how long the URL is valid. Defaults to Config.SignedURLExpiry.
	Expiry time.Duration
	// RunID, when set, is the run the upload is for (the caller holds its
	// run token). The key then carries a tag of the run
	// (Service.UploadedForRun), and a PUT URL the hub serves works only
	// while Config.RunActiveFunc says the run is active.
	RunID string
}

// SignedURLResult is a presigned URL and where it points.
type SignedURLResult struct {
	// URL is the presigned URL. Never log it.
	URL string
	// Key is the object the URL is for; Key.String() is the object key.
	Key Key
	// StorageID is the organization storage, "" for the hub's bucket.
	StorageID string
	// Bucket is the bucket (or container) name, "" for the hub's local
	// bucket.
	Bucket string
	// ExpiresAt is when the URL stops working.
	ExpiresAt time.Time
}

// UploadURL makes a new object key for p and returns a presigned PUT URL
// for it (/v2/getUploadUrl). The client PUTs the raw bytes, with or
// without a Content-Type. Errors wrap ErrInvalidKey (bad ids, type or
// name), ErrForbidden (storage of another organization) or
// ErrInvalidStorage.
func (s *Service) UploadURL(ctx context.Context, p *UploadURLParams) (*SignedURLResult, error) {
	k, err := NewKey(p.OrgID, p.ProjectID, p.Type, p.Name, s.cfg.NowFunc())
	if err != nil {
		return nil, fmt.Errorf("make upload URL: %w", err)
	}
	if p.RunID != "" {
		k.ID = s.runKeyID(k.ID[:runNonceLen], p.RunID)
	}
	return s.signedURL(ctx, p.OrgID, p.Storage, k, http.MethodPut, p.Expiry, p.RunID)
}

// runNonceLen is how many hex characters of a run upload's key id are
// random; the rest is the run tag (see Service.UploadedForRun).
const runNonceLen = 16

// runTagLabel derives the key that tags run uploads from the signing key.
const runTagLabel = "exporthub blob run upload tag v1"

// runKeyID returns the key id of an upload for runID: nonce followed by
// a tag over the run and the nonce, so the key id alone tells which run
// it was issued to, and cannot be made for another run without the hub's
// key.
func (s *Service) runKeyID(nonce, runID string) string {
	m := hmac.New(sha256.New, s.tagKey)
	m.Write([]byte(runID + "\n" + nonce))
	return nonce + hex.EncodeToString(m.Sum(nil))[:32-runNonceLen]
}

// UploadedForRun reports whether k was made by UploadURL for the run
// runID (UploadURLParams.RunID): a plugin's response may name only the
// object uploaded for its own run.
func (s *Service) UploadedForRun(k Key, runID string) bool {
	if runID == "" || len(k.ID) != 32 {
		return false
	}
	return hmac.Equal([]byte(k.ID), []byte(s.runKeyID(k.ID[:runNonceLen], runID)))
}

// DownloadURLParams is the input of Service.DownloadURL.
type DownloadURLParams struct {
	// OrgID is the caller's organization; required. The object must
	// belong to it.
	OrgID string
	// ProjectID, when set, is the only project whose objects may be signed.
	ProjectID string
	// Name is the upload URL (query string included or not), the bare
	// object URL, or the object key.
	Name string
	// Storage is the organization storage holding the object; nil for the
	// hub's own bucket. It must belong to OrgID.
	Storage *hubtype.Storage
	// Expiry is how long the URL is valid. Defaults to Config.SignedURLExpiry.
	Expiry time.Duration
}

// DownloadURL returns a presigned GET URL for the object named by p.Name
// (/v2/getSignedUrl). The object need not exist yet: the Python SDK asks
// for it before uploading. Errors wrap ErrInvalidKey (name not one of our
// objects), ErrForbidden (object or storage of another organization or
// project) or ErrInvalidStorage.
func (s *Service) DownloadURL(ctx context.Context, p *DownloadURLParams) (*SignedURLResult, error) {
	b, err := s.bucketFor(ctx, p.OrgID, p.Storage)
	if err != nil {
		return nil, fmt.Errorf("make download URL: %w", err)
	}
	k, err := b.KeyFromURL(p.Name)
	if err != nil {
		return nil, fmt.Errorf("make download URL: %w", err)
	}
	if k.OrgID != p.OrgID || (p.ProjectID != "" && k.ProjectID != p.ProjectID) {
		return nil, fmt.Errorf("make download URL: %w", ErrForbidden)
	}
	return s.signedURL(ctx, p.OrgID, p.Storage, k, http.MethodGet, p.Expiry, "")
}

func (s *Service) signedURL(ctx context.Context, orgID string, st *hubtype.Storage, k Key, method string, expiry time.Duration, runID string) (*SignedURLResult, error) {
	b, err := s.bucketFor(ctx, orgID, st)
	if err != nil {
		return nil, fmt.Errorf("presign: %w", err)
	}
	u, exp, err := b.signedURL(ctx, k.String(), method, expiry, runID)
	if err != nil {
		return nil, err
	}
	return &SignedURLResult{URL: u, Key: k, StorageID: b.storageID, Bucket: b.name, ExpiresAt: exp}, nil
}

// bucketFor returns the bucket of st after checking it belongs to orgID.
func (s *Service) bucketFor(ctx context.Context, orgID string, st *hubtype.Storage) (*Bucket, error) {
	if st != nil && st.OrgID != orgID {
		return nil, ErrForbidden
	}
	return s.Bucket(ctx, st)
}

// deriveKey returns an HMAC key for label derived from secret, or a
// random key when there is no secret (run upload tags then do not
// survive a restart).
func deriveKey(secret []byte, label string) []byte {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret) // crypto/rand.Read never fails on supported platforms
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}
