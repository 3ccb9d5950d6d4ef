// Package blobtest holds the behaviour suite every blob backend passes
// (Run) and real storage servers for tests, started on loopback ports:
// S3 (StartS3, versitygw), Google Cloud Storage (StartGCS,
// fake-gcs-server) and Azure Blob (StartAzurite, Azurite).
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/secretbox"
	"github.com/stretchr/testify/require"
)

// MaxObjectSize is the Config.MaxObjectSize the suite runs with.
const MaxObjectSize = 64 << 10

// Backend is one hub bucket configuration the suite runs against.
type Backend struct {
	// Config holds BucketURL and, for a provider's bucket, the
	// credentials and Proxy. Run sets MaxObjectSize, NowFunc, PublicURL,
	// SecretBox, SigningKey and Logger.
	Config blob.Config
	// ListFiles lists everything stored in the hub bucket (for a
	// directory: every file, temporary and metadata files included), so
	// the suite can check that failed writes leave nothing behind.
	ListFiles func(t *testing.T) []string
	// Storages are the servers organization storages are created on, each
	// tested with the provider's own URLs and proxied through the hub;
	// none skips the organization storage subtests.
	Storages []StorageServer
	// PutHeader is sent with every PUT to the hub bucket's provider URLs:
	// what the provider requires besides the URL (Azure: x-ms-blob-type).
	PutHeader http.Header
	// VerifyURL, for a server that accepts any signature
	// (fake-gcs-server), checks the hub bucket's provider URLs in its
	// place: where the suite expects the server to refuse a tampered,
	// expired, other-object or other-method URL with 403, it expects
	// VerifyURL to refuse it.
	VerifyURL func(rawURL, method string, now time.Time) error
}

// StorageServer is a real storage server organization storages are
// created on (S3Server, GCSServer, AzureServer).
type StorageServer interface {
	// StorageInput returns the input of an organization storage on a
	// new, empty bucket of the server.
	StorageInput(t testing.TB) *blob.StorageInput
	// ObjectKeys lists the keys in a bucket.
	ObjectKeys(t testing.TB, bucket string) []string
	// ObjectURLPrefix is how the server's own URLs of a bucket's
	// objects start.
	ObjectURLPrefix(bucket string) string
	// PutHeader is what a client must send with a PUT to the server's
	// presigned URLs besides the URL; nil when nothing.
	PutHeader() http.Header
	// ChecksCredentials reports whether the server refuses wrong
	// credentials.
	ChecksCredentials() bool
}

// Clock is a settable clock for Config.NowFunc. It is safe for concurrent
// use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type testBundle struct {
	backend   *Backend
	box       *secretbox.Box
	clock     *Clock
	client    *http.Client
	native    bool // hub URLs are the provider's own
	publicURL string
	svc       *blob.Service
	// storages are the organization storages the hub's storage handler
	// serves, by id.
	storages sync.Map
}

// Run runs the blob behaviour suite. newBackend is called once per subtest
// and returns a fresh, empty hub bucket.
func Run(t *testing.T, newBackend func(t *testing.T) *Backend) {
	t.Helper()

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		be := newBackend(t)
		b := &testBundle{
			backend: be,
			clock:   &Clock{now: time.Now()},
			client:  &http.Client{Timeout: 30 * time.Second},
		}
		box, err := secretbox.New(secretbox.NewKey())
		require.NoError(t, err)
		b.box = box
		var handler http.Handler = http.NotFoundHandler()
		var hmu sync.RWMutex
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hmu.RLock()
			h := handler
			hmu.RUnlock()
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		cfg := be.Config
		cfg.MaxObjectSize = MaxObjectSize
		cfg.NowFunc = b.clock.Now
		cfg.PublicURL = srv.URL
		cfg.SecretBox = box
		cfg.SigningKey = secretbox.NewKey()
		cfg.Logger = slog.New(slog.NewTextHandler(newTestWriter(t), &slog.HandlerOptions{Level: slog.LevelDebug}))
		svc, err := blob.Open(context.Background(), &cfg)
		require.NoError(t, err)
		t.Cleanup(func() { _ = svc.Close() })
		mux := http.NewServeMux()
		mux.Handle(blob.HandlerPath, svc.Handler())
		mux.Handle(blob.StorageHandlerPath, svc.StorageHandler(func(_ context.Context, orgID, id string) (*store.Storage, error) {
			if st, ok := b.storages.Load(id); ok && st.(*store.Storage).OrgID == orgID {
				return st.(*store.Storage), nil
			}
			return nil, store.ErrNotFound
		}))
		hmu.Lock()
		handler = mux
		hmu.Unlock()
		b.svc = svc
		b.publicURL = srv.URL
		b.native = !strings.HasPrefix(mustUploadURL(t, b, "probe.zip").URL, srv.URL)
		return b
	}

	t.Run("WriteRead", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := context.Background()
		hub := b.svc.Hub()
		key := newKey(t, "o1", "p1", "export.zip")
		content := randomBytes(MaxObjectSize)
		res, err := hub.Write(ctx, key, bytes.NewReader(content))
		require.NoError(t, err)
		sum := sha256.Sum256(content)
		require.Equal(t, int64(len(content)), res.Size, "got size %d, want %d", res.Size, len(content))
		require.Equal(t, hex.EncodeToString(sum[:]), res.SHA256)

		attrs, err := hub.Attributes(ctx, key)
		require.NoError(t, err)
		require.Equal(t, int64(len(content)), attrs.Size)
		require.Equal(t, "application/zip", attrs.ContentType)

		r, err := hub.NewReader(ctx, key)
		require.NoError(t, err)
		require.Equal(t, int64(len(content)), r.Size())
		got, err := io.ReadAll(r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		require.True(t, bytes.Equal(content, got), "read content differs from written content")

		ok, err := hub.Exists(ctx, key)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, hub.Delete(ctx, key))
		ok, err = hub.Exists(ctx, key)
		require.NoError(t, err)
		require.False(t, ok)
		require.NoError(t, hub.Delete(ctx, key), "deleting a missing object is not an error")
		_, err = hub.NewReader(ctx, key)
		require.ErrorIs(t, err, blob.ErrNotFound)
		_, err = hub.Attributes(ctx, key)
		require.ErrorIs(t, err, blob.ErrNotFound)
	})

	t.Run("WriteEmpty", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		key := newKey(t, "o1", "p1", "empty.json")
		res, err := b.svc.Hub().Write(context.Background(), key, strings.NewReader(""))
		require.NoError(t, err)
		require.Equal(t, int64(0), res.Size)
		attrs, err := b.svc.Hub().Attributes(context.Background(), key)
		require.NoError(t, err)
		require.Equal(t, int64(0), attrs.Size)
		require.Equal(t, "application/json", attrs.ContentType)
	})

	t.Run("WriteTooLarge", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		key := newKey(t, "o1", "p1", "big.zip")
		_, err := b.svc.Hub().Write(context.Background(), key, bytes.NewReader(randomBytes(MaxObjectSize+1)))
		require.ErrorIs(t, err, blob.ErrTooLarge)
		require.Empty(t, b.backend.ListFiles(t), "a refused write must leave nothing behind")
	})

	t.Run("WriteSourceFails", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := context.Background()
		hub := b.svc.Hub()
		key := newKey(t, "o1", "p1", "export.zip")
		_, err := hub.Write(ctx, key, strings.NewReader("version 1"))
		require.NoError(t, err)
		before := b.backend.ListFiles(t)

		errBroken := errors.New("connection reset")
		_, err = hub.Write(ctx, key, io.MultiReader(bytes.NewReader(randomBytes(20000)), &failingReader{err: errBroken}))
		require.ErrorIs(t, err, errBroken)
		got := readAll(t, hub, key)
		require.Equal(t, "version 1", string(got), "a failed write must keep the previous object")
		require.ElementsMatch(t, before, b.backend.ListFiles(t), "a failed write must leave no extra file")
	})

	t.Run("WriteCancelled", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx, cancel := context.WithCancel(context.Background())
		key := newKey(t, "o1", "p1", "export.zip")
		src := io.MultiReader(bytes.NewReader(randomBytes(20000)), &funcReader{f: func() { cancel() }})
		_, err := b.svc.Hub().Write(ctx, key, io.MultiReader(src, bytes.NewReader(randomBytes(1000))))
		require.Error(t, err)
		require.Empty(t, b.backend.ListFiles(t), "a cancelled write must leave nothing behind")
	})

	t.Run("InvalidKey", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := context.Background()
		for _, key := range []string{"", "/abs", "a/../b", "a//b", "a/b/", "sp ace", "ü", "a/b.attrs"} {
			_, err := b.svc.Hub().Write(ctx, key, strings.NewReader("x"))
			require.ErrorIs(t, err, blob.ErrInvalidKey, "key %q", key)
			_, err = b.svc.Hub().NewReader(ctx, key)
			require.ErrorIs(t, err, blob.ErrInvalidKey, "key %q", key)
			_, _, err = b.svc.Hub().SignedURL(ctx, key, http.MethodGet, 0)
			require.ErrorIs(t, err, blob.ErrInvalidKey, "key %q", key)
		}
	})

	t.Run("PresignedPutThenGet", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := context.Background()
		up := mustUploadURL(t, b, "Run 1: export (final).zip")
		require.Equal(t, "Run_1_export_final.zip", up.Key.FileName)
		require.WithinDuration(t, b.clock.Now().Add(blob.DefaultSignedURLExpiry), up.ExpiresAt, 2*time.Second)
		content := randomBytes(5000)
		resp := b.do(t, http.MethodPut, up.URL, content, b.putHeader(nil))
		requireCreated(t, resp)

		bare, _, _ := strings.Cut(up.URL, "?")
		cut, _, _ := strings.Cut(up.URL, "&")
		for name, ref := range map[string]string{"UploadURL": up.URL, "CutAtAmpersand": cut, "BareURL": bare, "Key": up.Key.String()} {
			down, err := b.svc.DownloadURL(ctx, &blob.DownloadURLParams{OrgID: "o1", ProjectID: "p1", Name: ref})
			require.NoError(t, err, "name form %s", name)
			require.Equal(t, up.Key, down.Key, "name form %s", name)
			resp := b.do(t, http.MethodGet, down.URL, nil, nil)
			require.Equal(t, http.StatusOK, resp.status, "GET (%s): %s", name, resp.body)
			require.True(t, bytes.Equal(content, resp.body), "GET (%s) returned other content", name)
			require.Equal(t, "5000", resp.header.Get("Content-Length"))
			require.Equal(t, "attachment; filename=Run_1_export_final.zip", resp.header.Get("Content-Disposition"))
		}
		res, err := b.svc.Hub().CheckUploaded(ctx, up.Key.String())
		require.NoError(t, err)
		require.Equal(t, int64(5000), res.Size)
	})

	t.Run("PresignedPutWithContentType", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		up := mustUploadURL(t, b, "export.zip")
		resp := b.do(t, http.MethodPut, up.URL, []byte("zip bytes"), b.putHeader(http.Header{"Content-Type": {"application/zip"}}))
		requireCreated(t, resp)
		require.Equal(t, "zip bytes", string(readAll(t, b.svc.Hub(), up.Key.String())))
	})

	t.Run("PresignedPutFromPythonRequests", func(t *testing.T) {
		t.Parallel()
		requirePythonRequests(t)
		b := setup(t)
		up := mustUploadURL(t, b, "export.zip")
		// What the imerit-ango SDK does: requests.put(upload_url, data=zip_bytes).
		out, err := pythonPut(up.URL, nil)
		if b.native && b.backend.PutHeader != nil {
			// Azure refuses a PUT that does not say the blob type; such
			// plugins need the hub to proxy the bucket. With the header
			// the same upload works.
			require.Error(t, err, "a plain PUT must fail where the provider needs %v: %s", b.backend.PutHeader, out)
			require.Contains(t, string(out), "400")
			out, err = pythonPut(up.URL, b.backend.PutHeader)
		}
		require.NoError(t, err, "python requests.put: %s", out)
		require.Equal(t, "PK from python", string(readAll(t, b.svc.Hub(), up.Key.String())))
	})

	t.Run("HeadAndRange", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		key := writeObject(t, b, "o1", "p1", "export.zip", []byte("0123456789"))
		u, _, err := b.svc.Hub().SignedURL(context.Background(), key, http.MethodGet, 0)
		require.NoError(t, err)
		if !b.native {
			// S3 signs the method, so HEAD needs a URL of its own there.
			head := b.do(t, http.MethodHead, u, nil, nil)
			require.Equal(t, http.StatusOK, head.status)
			require.Equal(t, "10", head.header.Get("Content-Length"))
			require.Empty(t, head.body)
		}
		rng := b.do(t, http.MethodGet, u, nil, http.Header{"Range": {"bytes=2-5"}})
		require.Equal(t, http.StatusPartialContent, rng.status)
		require.Equal(t, "2345", string(rng.body))
	})

	t.Run("Expired", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		key := writeObject(t, b, "o1", "p1", "export.zip", []byte("data"))
		if b.native && b.backend.VerifyURL != nil {
			// The server checks no expiry: the URL says when it ends.
			u, exp, err := b.svc.Hub().SignedURL(context.Background(), key, http.MethodGet, time.Minute)
			require.NoError(t, err)
			require.WithinDuration(t, time.Now().Add(time.Minute), exp, 2*time.Second)
			require.NoError(t, b.backend.VerifyURL(u, http.MethodGet, time.Now()))
			require.NoError(t, b.backend.VerifyURL(u, http.MethodGet, time.Now().Add(58*time.Second)), "valid until its expiry")
			require.ErrorContains(t, b.backend.VerifyURL(u, http.MethodGet, time.Now().Add(61*time.Second)), "expired")
			return
		}
		if b.native {
			// Provider servers check expiry against their own clock: sign
			// for 3 s, see the URL work, and poll until the same URL is
			// refused (Azurite's 403 does not say why, so working first is
			// what shows the 403 is for expiry).
			u, _, err := b.svc.Hub().SignedURL(context.Background(), key, http.MethodGet, 3*time.Second)
			require.NoError(t, err)
			first := b.do(t, http.MethodGet, u, nil, nil)
			require.Equal(t, http.StatusOK, first.status, "before its expiry: %s", first.body)
			require.Eventually(t, func() bool {
				return b.do(t, http.MethodGet, u, nil, nil).status == http.StatusForbidden
			}, 15*time.Second, 200*time.Millisecond, "the provider's presigned URL never expired")
			return
		}
		u, _, err := b.svc.Hub().SignedURL(context.Background(), key, http.MethodGet, time.Minute)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, u, nil, nil).status)
		b.clock.Advance(59 * time.Second)
		require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, u, nil, nil).status, "URL must work until its expiry")
		b.clock.Advance(time.Second)
		resp := b.do(t, http.MethodGet, u, nil, nil)
		requireFail(t, resp, http.StatusForbidden, "url_expired")
	})

	t.Run("TamperedSignature", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		key := writeObject(t, b, "o1", "p1", "export.zip", []byte("data"))
		u, _, err := b.svc.Hub().SignedURL(context.Background(), key, http.MethodGet, 0)
		require.NoError(t, err)
		tampered := 0
		for _, param := range []string{"sig", "X-Amz-Signature", "X-Goog-Signature"} {
			parsed, err := url.Parse(u)
			require.NoError(t, err)
			q := parsed.Query()
			if q.Get(param) == "" {
				continue
			}
			tampered++
			sig := []byte(q.Get(param))
			if sig[0] == '0' { // a character valid in hex and base64 either way
				sig[0] = '1'
			} else {
				sig[0] = '0'
			}
			q.Set(param, string(sig))
			parsed.RawQuery = q.Encode()
			if b.native && b.backend.VerifyURL != nil {
				require.Error(t, b.backend.VerifyURL(parsed.String(), http.MethodGet, time.Now()), "tampered %s", param)
				continue
			}
			resp := b.do(t, http.MethodGet, parsed.String(), nil, nil)
			require.Equal(t, http.StatusForbidden, resp.status, "tampered %s: %s", param, resp.body)
			require.NotEqual(t, "data", string(resp.body))
			if !b.native {
				requireFail(t, resp, http.StatusForbidden, "invalid_signature")
			}
		}
		require.Equal(t, 1, tampered, "the URL has one known signature parameter: %s", u)
		// A later expiry with the old signature.
		parsed, _ := url.Parse(u)
		q := parsed.Query()
		switch {
		case q.Get("expires") != "":
			q.Set("expires", "99999999999")
		case q.Get("X-Amz-Expires") != "":
			q.Set("X-Amz-Expires", "604800")
		case q.Get("X-Goog-Expires") != "":
			q.Set("X-Goog-Expires", "604800")
		case q.Get("se") != "":
			q.Set("se", time.Now().UTC().Add(72*time.Hour).Format(time.RFC3339))
		}
		parsed.RawQuery = q.Encode()
		if b.native && b.backend.VerifyURL != nil {
			require.Error(t, b.backend.VerifyURL(parsed.String(), http.MethodGet, time.Now()), "extended expiry")
			return
		}
		require.Equal(t, http.StatusForbidden, b.do(t, http.MethodGet, parsed.String(), nil, nil).status, "extended expiry")
	})

	t.Run("URLForOtherKey", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := context.Background()
		keyA := writeObject(t, b, "o1", "p1", "a.zip", []byte("object A"))
		keyB := writeObject(t, b, "o2", "p9", "b.zip", []byte("object B"))
		u, _, err := b.svc.Hub().SignedURL(ctx, keyA, http.MethodGet, 0)
		require.NoError(t, err)
		other := strings.Replace(u, keyA, keyB, 1)
		require.NotEqual(t, u, other)
		up, _, err := b.svc.Hub().SignedURL(ctx, keyA, http.MethodPut, 0)
		require.NoError(t, err)
		if b.native && b.backend.VerifyURL != nil {
			require.NoError(t, b.backend.VerifyURL(u, http.MethodGet, time.Now()))
			require.Error(t, b.backend.VerifyURL(other, http.MethodGet, time.Now()), "URL of key A used for key B")
			require.Error(t, b.backend.VerifyURL(strings.Replace(up, keyA, keyB, 1), http.MethodPut, time.Now()), "PUT URL of key A used for key B")
			return
		}
		resp := b.do(t, http.MethodGet, other, nil, nil)
		require.Equal(t, http.StatusForbidden, resp.status, "URL of key A used for key B: %s", resp.body)
		require.NotContains(t, string(resp.body), "object B")

		resp = b.do(t, http.MethodPut, strings.Replace(up, keyA, keyB, 1), []byte("overwritten"), b.putHeader(nil))
		require.Equal(t, http.StatusForbidden, resp.status, "PUT URL of key A used for key B")
		require.Equal(t, "object B", string(readAll(t, b.svc.Hub(), keyB)))
	})

	t.Run("WrongMethod", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := context.Background()
		key := writeObject(t, b, "o1", "p1", "export.zip", []byte("original"))
		put, _, err := b.svc.Hub().SignedURL(ctx, key, http.MethodPut, 0)
		require.NoError(t, err)
		get, _, err := b.svc.Hub().SignedURL(ctx, key, http.MethodGet, 0)
		require.NoError(t, err)
		if b.native && b.backend.VerifyURL != nil {
			require.NoError(t, b.backend.VerifyURL(put, http.MethodPut, time.Now()))
			require.Error(t, b.backend.VerifyURL(put, http.MethodGet, time.Now()), "GET on a PUT URL")
			require.Error(t, b.backend.VerifyURL(get, http.MethodPut, time.Now()), "PUT on a GET URL")
			return
		}
		resp := b.do(t, http.MethodGet, put, nil, nil)
		require.Equal(t, http.StatusForbidden, resp.status, "GET on a PUT URL: %s", resp.body)
		require.NotEqual(t, "original", string(resp.body))

		resp = b.do(t, http.MethodPut, get, []byte("overwritten"), b.putHeader(nil))
		require.Equal(t, http.StatusForbidden, resp.status, "PUT on a GET URL: %s", resp.body)
		require.Equal(t, "original", string(readAll(t, b.svc.Hub(), key)))
		if !b.native {
			requireFail(t, resp, http.StatusForbidden, "method_mismatch")
		}
	})

	t.Run("OversizePut", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := context.Background()
		up := mustUploadURL(t, b, "big.zip")
		content := randomBytes(MaxObjectSize + 1)
		if b.native {
			// Provider presigned PUTs cannot bound the size; CheckUploaded enforces it afterwards.
			resp := b.do(t, http.MethodPut, up.URL, content, b.putHeader(nil))
			requireCreated(t, resp)
			_, err := b.svc.Hub().CheckUploaded(ctx, up.Key.String())
			require.ErrorIs(t, err, blob.ErrTooLarge)
			require.Empty(t, b.backend.ListFiles(t), "CheckUploaded must delete an oversize upload")
			return
		}
		resp := b.do(t, http.MethodPut, up.URL, content, nil)
		requireFail(t, resp, http.StatusRequestEntityTooLarge, "too_large")
		// Without Content-Length (chunked) the limit is found while streaming.
		resp = b.do(t, http.MethodPut, up.URL, io.MultiReader(bytes.NewReader(content)), nil)
		requireFail(t, resp, http.StatusRequestEntityTooLarge, "too_large")
		require.Empty(t, b.backend.ListFiles(t), "a refused upload must leave nothing behind")
		_, err := b.svc.Hub().CheckUploaded(ctx, up.Key.String())
		require.ErrorIs(t, err, blob.ErrNotFound)
		// Exactly the limit is fine.
		resp = b.do(t, http.MethodPut, up.URL, content[:MaxObjectSize], nil)
		require.Equal(t, http.StatusOK, resp.status, "PUT of MaxObjectSize bytes: %s", resp.body)
	})

	t.Run("DownloadURLIsolation", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := context.Background()
		up := mustUploadURL(t, b, "export.zip")
		_, err := b.svc.DownloadURL(ctx, &blob.DownloadURLParams{OrgID: "o2", Name: up.URL})
		require.ErrorIs(t, err, blob.ErrForbidden, "other organization")
		_, err = b.svc.DownloadURL(ctx, &blob.DownloadURLParams{OrgID: "o1", ProjectID: "p2", Name: up.URL})
		require.ErrorIs(t, err, blob.ErrForbidden, "other project")
		for _, name := range []string{"", "not a url", "ftp://host/orgs/o1/x", "http://127.0.0.1:1/elsewhere/orgs/o1/projects/p1/exports/2024/x/y.zip", "orgs/o1/projects/p1/exports/2024/../../secret"} {
			_, err = b.svc.DownloadURL(ctx, &blob.DownloadURLParams{OrgID: "o1", Name: name})
			require.ErrorIs(t, err, blob.ErrInvalidKey, "name %q", name)
		}
	})

	t.Run("UploadURLValidation", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := context.Background()
		for _, p := range []*blob.UploadURLParams{
			{OrgID: "o1", ProjectID: "p1", Type: "exportz", Name: "a.zip"},
			{OrgID: "o1", ProjectID: "p1", Type: blob.TypeExports, Name: ""},
			{OrgID: "", ProjectID: "p1", Type: blob.TypeExports, Name: "a.zip"},
			{OrgID: "o1", ProjectID: "../p1", Type: blob.TypeExports, Name: "a.zip"},
		} {
			_, err := b.svc.UploadURL(ctx, p)
			require.ErrorIs(t, err, blob.ErrInvalidKey, "params %+v", p)
		}
		for _, typ := range blob.Types {
			up, err := b.svc.UploadURL(ctx, &blob.UploadURLParams{OrgID: "o1", ProjectID: "p1", Type: typ, Name: "f.png"})
			require.NoError(t, err, "type %s", typ)
			require.Equal(t, typ, up.Key.Type)
		}
		_, err := b.svc.UploadURL(ctx, &blob.UploadURLParams{OrgID: "o1", ProjectID: "p1", Type: blob.TypeExports, Name: "a.zip", Expiry: 8 * 24 * time.Hour})
		require.Error(t, err, "expiry beyond 7 days")
	})

	t.Run("HandlerErrors", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		up := mustUploadURL(t, b, "export.zip")
		if b.native {
			// The hub serves no URLs for a bucket it does not proxy.
			resp := b.do(t, http.MethodGet, b.publicURL+blob.HandlerPath+up.Key.String(), nil, nil)
			requireFail(t, resp, http.StatusNotFound, "not_found")
			return
		}
		bare, _, _ := strings.Cut(up.URL, "?")
		requireFail(t, b.do(t, http.MethodGet, bare, nil, nil), http.StatusForbidden, "invalid_signature")
		requireFail(t, b.do(t, http.MethodPost, up.URL, []byte("x"), nil), http.StatusMethodNotAllowed, "method_not_allowed")
		get, _, err := b.svc.Hub().SignedURL(context.Background(), up.Key.String(), http.MethodGet, 0)
		require.NoError(t, err)
		requireFail(t, b.do(t, http.MethodGet, get, nil, nil), http.StatusNotFound, "not_found")
	})

	t.Run("OrgStorage", func(t *testing.T) {
		t.Parallel()
		for _, proxied := range []bool{false, true} {
			name := "Native"
			if proxied {
				name = "Proxied"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				b := setup(t)
				if len(b.backend.Storages) == 0 {
					t.Skip("no storage servers for organization storages with this backend")
				}
				for _, srv := range b.backend.Storages {
					in := srv.StorageInput(t)
					in.Proxied = proxied
					t.Run(in.Provider, func(t *testing.T) { testOrgStorage(t, b, srv, in) })
				}
			})
		}
	})

	t.Run("Close", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NoError(t, b.svc.Close())
		require.NoError(t, b.svc.Close(), "a second Close returns nil")
		_, err := b.svc.Hub().Write(context.Background(), newKey(t, "o1", "p1", "a.zip"), strings.NewReader("x"))
		require.ErrorIs(t, err, blob.ErrClosed)
		_, err = b.svc.Bucket(context.Background(), nil)
		require.ErrorIs(t, err, blob.ErrClosed)
	})
}

// testOrgStorage runs an organization storage on srv, made from in,
// through the service of b: presigned URLs (the server's own, or the
// hub's when proxied), isolation, the bucket check, reopening a changed
// storage, and refusing storages that cannot be used.
func testOrgStorage(t *testing.T, b *testBundle, srv StorageServer, in *StorageInput) {
	ctx := context.Background()
	st, err := blob.NewStorage(in, b.box)
	require.NoError(t, err)
	st.ID, st.OrgID, st.Name = store.NewID(), "o1", "team bucket"
	b.storages.Store(st.ID, st)
	require.NoError(t, b.svc.CheckStorage(ctx, st), "the bucket check passes")
	require.Empty(t, srv.ObjectKeys(t, st.Bucket), "the bucket check leaves nothing behind")

	bk, err := b.svc.Bucket(ctx, st)
	require.NoError(t, err)
	require.Equal(t, st.ID, bk.StorageID())
	require.Equal(t, st.Bucket, bk.Name())
	again, err := b.svc.Bucket(ctx, st)
	require.NoError(t, err)
	require.Same(t, bk, again, "an unchanged storage is served from the cache")

	up, err := b.svc.UploadURL(ctx, &blob.UploadURLParams{OrgID: "o1", ProjectID: "p1", Type: blob.TypeExports, Name: "org.zip", Storage: st})
	require.NoError(t, err)
	require.Equal(t, st.ID, up.StorageID)
	require.Equal(t, st.Bucket, up.Bucket)
	now := time.Now() // the provider signs with the real clock
	if in.Proxied {
		now = b.clock.Now()
	}
	require.WithinDuration(t, now.Add(blob.DefaultSignedURLExpiry), up.ExpiresAt, 2*time.Second)
	putHeader := srv.PutHeader()
	if in.Proxied {
		require.True(t, strings.HasPrefix(up.URL, b.publicURL+blob.StorageHandlerPath+st.ID+"/"), "proxied storage URLs are the hub's: %s", up.URL)
		putHeader = nil // the hub needs no header
	} else {
		require.True(t, strings.HasPrefix(up.URL, srv.ObjectURLPrefix(st.Bucket)), "storage URLs are the storage's own: %s", up.URL)
	}
	resp := b.do(t, http.MethodPut, up.URL, []byte("in the org bucket"), putHeader)
	requireCreated(t, resp)
	down, err := b.svc.DownloadURL(ctx, &blob.DownloadURLParams{OrgID: "o1", ProjectID: "p1", Name: up.URL, Storage: st})
	require.NoError(t, err)
	resp = b.do(t, http.MethodGet, down.URL, nil, nil)
	require.Equal(t, http.StatusOK, resp.status, "GET: %s", resp.body)
	require.Equal(t, "in the org bucket", string(resp.body))
	require.Equal(t, "attachment; filename=org.zip", resp.header.Get("Content-Disposition"))
	require.Equal(t, []string{up.Key.String()}, srv.ObjectKeys(t, st.Bucket))
	exists, err := b.svc.Hub().Exists(ctx, up.Key.String())
	require.NoError(t, err)
	require.False(t, exists, "an org storage upload must not land in the hub bucket")
	a, err := bk.CheckUploaded(ctx, up.Key.String())
	require.NoError(t, err)
	require.Equal(t, int64(len("in the org bucket")), a.Size)
	loc, err := b.svc.Locate(ctx, &blob.LocateParams{OrgID: "o1", ProjectID: "p1", Name: down.URL, Storages: []*store.Storage{st}})
	require.NoError(t, err)
	require.Equal(t, st.ID, loc.Bucket.StorageID(), "the signed URL is located in the storage")
	require.True(t, b.svc.MayServe(st, mustParseURL(t, down.URL)))
	if in.Proxied {
		// A URL of the storage is no URL of the hub bucket, and the other
		// way round: the signature names the bucket.
		swapped := strings.Replace(down.URL, blob.StorageHandlerPath+st.ID+"/", blob.HandlerPath, 1)
		require.Equal(t, http.StatusForbidden, b.do(t, http.MethodGet, swapped, nil, nil).status, "storage URL used for the hub bucket")
		// A storage no longer proxied serves no hub URLs.
		b.storages.Store(st.ID, &store.Storage{ID: st.ID, OrgID: st.OrgID})
		requireFail(t, b.do(t, http.MethodGet, down.URL, nil, nil), http.StatusNotFound, "not_found")
		b.storages.Store(st.ID, st)
		b.clock.Advance(blob.DefaultSignedURLExpiry)
		requireFail(t, b.do(t, http.MethodGet, down.URL, nil, nil), http.StatusForbidden, "url_expired")
	}

	// Another organization may not use the storage.
	_, err = b.svc.UploadURL(ctx, &blob.UploadURLParams{OrgID: "o2", ProjectID: "p1", Type: blob.TypeExports, Name: "x.zip", Storage: st})
	require.ErrorIs(t, err, blob.ErrForbidden)
	_, err = b.svc.DownloadURL(ctx, &blob.DownloadURLParams{OrgID: "o2", Name: up.URL, Storage: st})
	require.ErrorIs(t, err, blob.ErrForbidden)

	// A changed storage is reopened: the write lands in the new bucket.
	changed := *st
	changed.Bucket = srv.StorageInput(t).Bucket
	bk2, err := b.svc.Bucket(ctx, &changed)
	require.NoError(t, err)
	require.NotSame(t, bk, bk2)
	key := newKey(t, "o1", "p1", "moved.zip")
	_, err = bk2.Write(ctx, key, strings.NewReader("moved"))
	require.NoError(t, err)
	require.Equal(t, []string{key}, srv.ObjectKeys(t, changed.Bucket))
	b.svc.ForgetStorage(st.ID)
	bk3, err := b.svc.Bucket(ctx, &changed)
	require.NoError(t, err)
	require.NotSame(t, bk2, bk3, "a forgotten storage is opened again")

	// A bucket that does not exist fails the check.
	missing := *st
	missing.ID, missing.Bucket = store.NewID(), "not-created-"+randomHex(4)
	var ce *blob.StorageCheckError
	require.ErrorAs(t, b.svc.CheckStorage(ctx, &missing), &ce)
	require.Equal(t, "the bucket does not exist", ce.Reason)

	// Secrets that do not decrypt, and bad settings, are refused.
	other, err := secretbox.New(secretbox.NewKey())
	require.NoError(t, err)
	secret, err := b.box.Open(st.SecretKeyEnc)
	require.NoError(t, err)
	for name, mutate := range map[string]func(*store.Storage){
		"OtherHubKey":    func(s *store.Storage) { s.SecretKeyEnc = other.Seal(secret) },
		"Provider":       func(s *store.Storage) { s.Provider = "gcs" },
		"CredentialType": func(s *store.Storage) { s.CredentialType = "password" },
		"NoBucket":       func(s *store.Storage) { s.Bucket = "" },
		"BadEndpoint":    func(s *store.Storage) { s.Endpoint = "file:///etc" },
		"NoAccessKey":    func(s *store.Storage) { s.AccessKey = "" },
		"NoOrg":          func(s *store.Storage) { s.OrgID = "" },
		"CorruptSecret":  func(s *store.Storage) { s.SecretKeyEnc = []byte("garbage") },
	} {
		bad := *st
		bad.ID = store.NewID()
		mutate(&bad)
		_, err := b.svc.Bucket(ctx, &bad)
		require.ErrorIs(t, err, blob.ErrInvalidStorage, "case %s", name)
	}
	if !srv.ChecksCredentials() {
		return
	}
	// Wrong credentials only show on use, as a plain error, and fail the
	// bucket check.
	wrong, err := blob.NewStorage(wrongCredentials(in), b.box)
	require.NoError(t, err)
	wrong.ID, wrong.OrgID = store.NewID(), "o1"
	wb, err := b.svc.Bucket(ctx, wrong)
	require.NoError(t, err)
	_, err = wb.Write(ctx, newKey(t, "o1", "p1", "x.zip"), strings.NewReader("x"))
	require.Error(t, err)
	require.ErrorAs(t, b.svc.CheckStorage(ctx, wrong), &ce)
	require.NotEqual(t, "the bucket does not exist", ce.Reason)
}

// StorageInput is blob.StorageInput, named here for the suite's helpers.
type StorageInput = blob.StorageInput

// wrongCredentials returns in with a secret that is not the server's.
func wrongCredentials(in *StorageInput) *StorageInput {
	w := *in
	switch {
	case w.SecretKey != "":
		w.SecretKey = "not the secret"
	case w.AccountKey != "":
		w.AccountKey = base64.StdEncoding.EncodeToString([]byte("not the account key of this account"))
	}
	return &w
}

func mustParseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

// putHeader adds to h what the hub bucket's provider needs with a PUT to
// its own URLs (Backend.PutHeader).
func (b *testBundle) putHeader(h http.Header) http.Header {
	if !b.native || b.backend.PutHeader == nil {
		return h
	}
	out := http.Header{}
	for k, v := range h {
		out[k] = v
	}
	for k, v := range b.backend.PutHeader {
		out[k] = v
	}
	return out
}

// pythonPut PUTs a few bytes to u with /usr/bin/python3's requests, as
// the imerit-ango SDK uploads, adding header when it is not nil.
func pythonPut(u string, header http.Header) ([]byte, error) {
	h := map[string]string{}
	for k, v := range header {
		h[k] = strings.Join(v, ", ")
	}
	hj, _ := json.Marshal(h)
	cmd := exec.Command("/usr/bin/python3", "-c",
		"import json, os, requests; h = json.loads(os.environ['PUT_HEADERS']); "+
			"r = requests.put(os.environ['UPLOAD_URL'], data=b'PK from python', headers=h or None); print(r.status_code, r.text); r.raise_for_status()")
	cmd.Env = append(os.Environ(), "UPLOAD_URL="+u, "PUT_HEADERS="+string(hj), "NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1")
	return cmd.CombinedOutput()
}

// response is an HTTP answer read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; body may be nil, a []byte (sent with
// Content-Length) or an io.Reader (sent chunked).
func (b *testBundle) do(t *testing.T, method, u string, body any, header http.Header) *response {
	t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case []byte:
		rd = bytes.NewReader(v)
	case io.Reader:
		rd = v
	}
	req, err := http.NewRequest(method, u, rd)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return &response{status: resp.StatusCode, header: resp.Header, body: data}
}

// requireCreated checks the answer to a PUT that stores an object: 200
// (the hub, S3, GCS) or 201 (Azure).
func requireCreated(t *testing.T, resp *response) {
	t.Helper()
	require.True(t, resp.status == http.StatusOK || resp.status == http.StatusCreated, "PUT: got %d, want 200 or 201: %s", resp.status, resp.body)
}

// requireFail checks a hub JSON error answer.
func requireFail(t *testing.T, resp *response, status int, code string) {
	t.Helper()
	require.Equal(t, status, resp.status, "body: %s", resp.body)
	require.Equal(t, "application/json", resp.header.Get("Content-Type"))
	var e struct {
		Status  string `json:"status"`
		Message string `json:"message"`
		Code    string `json:"code"`
	}
	require.NoError(t, json.Unmarshal(resp.body, &e), "body: %s", resp.body)
	require.Equal(t, "fail", e.Status)
	require.Equal(t, code, e.Code, "message: %s", e.Message)
	require.NotEmpty(t, e.Message)
}

func mustUploadURL(t *testing.T, b *testBundle, name string) *blob.SignedURLResult {
	t.Helper()
	up, err := b.svc.UploadURL(context.Background(), &blob.UploadURLParams{OrgID: "o1", ProjectID: "p1", Type: blob.TypeExports, Name: name})
	require.NoError(t, err)
	return up
}

func newKey(t *testing.T, org, project, name string) string {
	t.Helper()
	k, err := blob.NewKey(org, project, blob.TypeExports, name, time.Now())
	require.NoError(t, err)
	return k.String()
}

func writeObject(t *testing.T, b *testBundle, org, project, name string, content []byte) string {
	t.Helper()
	key := newKey(t, org, project, name)
	_, err := b.svc.Hub().Write(context.Background(), key, bytes.NewReader(content))
	require.NoError(t, err)
	return key
}

func readAll(t *testing.T, bk *blob.Bucket, key string) []byte {
	t.Helper()
	r, err := bk.NewReader(context.Background(), key)
	require.NoError(t, err)
	defer r.Close()
	data, err := io.ReadAll(r)
	require.NoError(t, err)
	return data
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// failingReader fails every Read with err.
type failingReader struct{ err error }

func (r *failingReader) Read([]byte) (int, error) { return 0, r.err }

// funcReader calls f on its first Read and then reports EOF.
type funcReader struct {
	f    func()
	done bool
}

func (r *funcReader) Read([]byte) (int, error) {
	if !r.done {
		r.done = true
		r.f()
	}
	return 0, io.EOF
}

// requirePythonRequests skips (or fails with CI=true) when Debian's
// python3-requests is missing.
func requirePythonRequests(t *testing.T) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import requests").Run(); err != nil {
		msg := "/usr/bin/python3 with python3-requests is needed (apt-get install python3-requests)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (required because CI=true)")
		}
		t.Skip(msg)
	}
}

// testWriter sends log output to t.Log until the test ends; a handler
// goroutine may still log after that, which t.Log does not allow.
type testWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func newTestWriter(t *testing.T) *testWriter {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.done = true
	})
	return w
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
