package blobtest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/blob"
)

// FakeGCSModule is what to `go install` to get the GCS server the tests
// use.
const FakeGCSModule = "github.com/fsouza/fake-gcs-server@v1.56.1"

// GCSServer is a real GCS-compatible server (fake-gcs-server, JSON and
// XML APIs, in memory) on a free 127.0.0.1 port, for the duration of one
// test. It accepts any credentials and does not check the signature or
// the expiry of presigned URLs: VerifyURL checks those.
type GCSServer struct {
	// Endpoint is the server's base URL, e.g. http://127.0.0.1:41234.
	Endpoint string
	// Key is a service-account JSON key made for the test (a fresh RSA
	// key); its public half is what VerifyURL checks signatures with.
	Key    []byte
	public *rsa.PublicKey
	email  string
}

// StartGCS starts fake-gcs-server for t and stops it when t and its
// subtests end. It looks for the binary on PATH, then in $(go env
// GOPATH)/bin. When it is missing the test is skipped, or fails when the
// environment variable CI is "true".
func StartGCS(t testing.TB) *GCSServer {
	t.Helper()
	bin := requireBinary(t, "fake-gcs-server", "go install "+FakeGCSModule)
	sp := &serverProcess{
		name: "fake-gcs-server",
		args: func(port string) []string {
			return []string{"-scheme", "http", "-host", "127.0.0.1", "-port", port, "-backend", "memory",
				"-public-host", "127.0.0.1:" + port, "-external-url", "http://127.0.0.1:" + port, "-log-level", "warn"}
		},
		dir:   t.TempDir(),
		probe: func(port string) string { return "http://127.0.0.1:" + port + "/storage/v1/b" },
	}
	port := sp.start(t, bin)
	key := serviceAccountKey(t)
	return &GCSServer{Endpoint: "http://127.0.0.1:" + port, Key: key.json, public: &key.rsa.PublicKey, email: key.email}
}

// CreateBucket creates a new, empty bucket with a random name and returns
// its name.
func (s *GCSServer) CreateBucket(t testing.TB) string {
	t.Helper()
	name := "test-" + randomHex(8)
	body, _ := json.Marshal(map[string]string{"name": name})
	resp, err := http.Post(s.Endpoint+"/storage/v1/b", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "create bucket %s", name)
	return name
}

// BucketURL returns the gs:// URL of a bucket of this server, for
// blob.Config.BucketURL (the key goes in a CredentialsFile).
func (s *GCSServer) BucketURL(bucket string) string {
	return "gs://" + bucket + "?endpoint=" + url.QueryEscape(s.Endpoint)
}

// ObjectKeys lists the keys in bucket.
func (s *GCSServer) ObjectKeys(t testing.TB, bucket string) []string {
	t.Helper()
	resp, err := http.Get(s.Endpoint + "/storage/v1/b/" + bucket + "/o")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "list bucket %s", bucket)
	var out struct {
		Items []struct {
			Name string `json:"name"`
		} `json:"items"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	var keys []string
	for _, it := range out.Items {
		keys = append(keys, it.Name)
	}
	return keys
}

// VerifyURL checks a V4 presigned URL as Google Cloud Storage would,
// which fake-gcs-server does not: the algorithm and credential name this
// server's key, the URL is not expired at now, and the RSA-SHA256
// signature over the canonical request (method, path, query without the
// signature, host header, UNSIGNED-PAYLOAD) verifies with the key's
// public half.
func (s *GCSServer) VerifyURL(rawURL, method string, now time.Time) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	q := u.Query()
	if q.Get("X-Goog-Algorithm") != "GOOG4-RSA-SHA256" {
		return fmt.Errorf("X-Goog-Algorithm is %q, want GOOG4-RSA-SHA256", q.Get("X-Goog-Algorithm"))
	}
	cred := q.Get("X-Goog-Credential")
	if !strings.HasPrefix(cred, s.email+"/") || !strings.HasSuffix(cred, "/auto/storage/goog4_request") {
		return fmt.Errorf("X-Goog-Credential %q does not name %s", cred, s.email)
	}
	date, err := time.Parse("20060102T150405Z", q.Get("X-Goog-Date"))
	if err != nil {
		return fmt.Errorf("X-Goog-Date: %w", err)
	}
	secs, err := strconv.Atoi(q.Get("X-Goog-Expires"))
	if err != nil || secs < 1 || secs > 604800 {
		return fmt.Errorf("X-Goog-Expires %q is not 1 to 604800 seconds", q.Get("X-Goog-Expires"))
	}
	if !now.Before(date.Add(time.Duration(secs) * time.Second)) {
		return errors.New("the URL has expired")
	}
	sig, err := hex.DecodeString(q.Get("X-Goog-Signature"))
	if err != nil {
		return fmt.Errorf("X-Goog-Signature is not hex: %w", err)
	}
	q.Del("X-Goog-Signature")
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var query []string
	for _, k := range keys {
		for _, v := range q[k] {
			query = append(query, v4Escape(k)+"="+v4Escape(v))
		}
	}
	canonical := strings.Join([]string{
		method,
		u.EscapedPath(),
		strings.Join(query, "&"),
		"host:" + u.Hostname() + "\n",
		q.Get("X-Goog-SignedHeaders"),
		"UNSIGNED-PAYLOAD",
	}, "\n")
	sum := sha256.Sum256([]byte(canonical))
	scope := strings.TrimPrefix(cred, s.email+"/")
	toSign := "GOOG4-RSA-SHA256\n" + q.Get("X-Goog-Date") + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	digest := sha256.Sum256([]byte(toSign))
	if err := rsa.VerifyPKCS1v15(s.public, crypto.SHA256, digest[:], sig); err != nil {
		return fmt.Errorf("the signature does not verify: %w", err)
	}
	return nil
}

// v4Escape percent-encodes s as V4 signing wants: everything but
// unreserved characters.
func v4Escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// ObjectURLPrefix is how the server's own URLs of a bucket's objects
// start.
func (s *GCSServer) ObjectURLPrefix(bucket string) string { return s.Endpoint + "/" + bucket + "/" }

// ChecksCredentials reports that fake-gcs-server accepts any credentials.
func (s *GCSServer) ChecksCredentials() bool { return false }

// PutHeader is nil: a plain PUT works on GCS's presigned URLs.
func (s *GCSServer) PutHeader() http.Header { return nil }

// StorageInput returns the input of a GCP organization storage on a new
// bucket of this server.
func (s *GCSServer) StorageInput(t testing.TB) *blob.StorageInput {
	return &blob.StorageInput{Provider: blob.ProviderGCP, Endpoint: s.Endpoint, Bucket: s.CreateBucket(t), Credentials: string(s.Key)}
}

// ServiceAccountKey returns a GCP service-account JSON key made for tests
// (the one GCSServer.Key holds).
func ServiceAccountKey(t testing.TB) []byte { return serviceAccountKey(t).json }

// testKey is a service-account key made for tests.
type testKey struct {
	json  []byte
	rsa   *rsa.PrivateKey
	email string
}

var (
	testKeyOnce sync.Once
	testKeyVal  *testKey
	testKeyErr  error
)

// serviceAccountKey returns a service-account JSON key with a fresh RSA
// key, made once per test binary (RSA key generation is slow under the
// race detector).
func serviceAccountKey(t testing.TB) *testKey {
	t.Helper()
	testKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			testKeyErr = err
			return
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			testKeyErr = err
			return
		}
		email := "exporthub-test@exporthub-test.iam.gserviceaccount.com"
		j, err := json.Marshal(map[string]string{
			"type":           "service_account",
			"project_id":     "exporthub-test",
			"private_key_id": randomHex(20),
			"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
			"client_email":   email,
			"client_id":      "1",
			// Never contacted: the hub signs its own JWTs.
			"token_uri": "https://oauth2.googleapis.com/token",
		})
		testKeyVal, testKeyErr = &testKey{json: j, rsa: k, email: email}, err
	})
	require.NoError(t, testKeyErr)
	return testKeyVal
}
