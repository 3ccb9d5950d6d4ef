package blob

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Query parameters of the hub's own presigned URLs. None of them collides
// with the parameters of /v2/getSignedUrl (name, project, type, storageId):
// the Python SDK pastes the upload URL into that query unescaped.
const (
	paramMethod    = "method"
	paramExpires   = "expires"
	paramSignature = "sig"
	// paramRun names the run a PUT URL was made for; the URL works only
	// while Config.RunActiveFunc says that run is active.
	paramRun = "run"
)

// hubBucketID names the hub's own bucket in signatures, so that a URL
// signed for it can never be valid for another bucket the hub might serve.
const hubBucketID = "hub"

// signingKeyLabel derives the URL-signing key from the hub key, so the hub
// key itself is never used directly as an HMAC key for URLs.
const signingKeyLabel = "exporthub blob presigned URL v1"

// localSigner signs and verifies the hub's own presigned URLs:
// HMAC-SHA256 over (method, bucket id, key, expiry) with a key derived from
// the hub key. It is safe for concurrent use.
type localSigner struct {
	key  []byte
	base string // PublicURL without trailing slash
	now  func() time.Time
}

func newLocalSigner(hubKey []byte, publicURL string, now func() time.Time) *localSigner {
	m := hmac.New(sha256.New, hubKey)
	m.Write([]byte(signingKeyLabel))
	return &localSigner{key: m.Sum(nil), base: publicBase(publicURL), now: now}
}

func (s *localSigner) mac(method, bucketID, key string, expires int64, runID string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(method + "\n" + bucketID + "\n" + key + "\n" + strconv.FormatInt(expires, 10)))
	if runID != "" {
		m.Write([]byte("\n" + runID))
	}
	return m.Sum(nil)
}

// sign returns the presigned URL for method on key of the bucket bucketID
// (hubBucketID or a storage id), served under prefix, and when it
// expires. runID, when set, is signed too: the URL then works only while
// that run is active. Keys are checked by the caller and hold only
// URL-safe characters.
func (s *localSigner) sign(method, bucketID, prefix, key string, expiry time.Duration, runID string) (string, time.Time) {
	exp := s.now().Add(expiry).Truncate(time.Second)
	q := url.Values{}
	q.Set(paramMethod, method)
	q.Set(paramExpires, strconv.FormatInt(exp.Unix(), 10))
	if runID != "" {
		q.Set(paramRun, runID)
	}
	q.Set(paramSignature, base64.RawURLEncoding.EncodeToString(s.mac(method, bucketID, key, exp.Unix(), runID)))
	return s.base + prefix + key + "?" + q.Encode(), exp
}

// verify checks the query of a request for key of the bucket bucketID
// made with HTTP method reqMethod (HEAD counts as GET). It returns nil or
// the *httpError to send.
func (s *localSigner) verify(reqMethod, bucketID, key string, q url.Values) *httpError {
	method, expStr, sig := q.Get(paramMethod), q.Get(paramExpires), q.Get(paramSignature)
	if method == "" || expStr == "" || sig == "" {
		return &httpError{http.StatusForbidden, codeInvalidSignature, "the URL is not a presigned URL: method, expires or sig is missing"}
	}
	exp, err := strconv.ParseInt(expStr, 10, 64)
	got, derr := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || derr != nil || !hmac.Equal(got, s.mac(method, bucketID, key, exp, q.Get(paramRun))) {
		return &httpError{http.StatusForbidden, codeInvalidSignature, "the URL signature does not match this object, method and expiry"}
	}
	if !s.now().Before(time.Unix(exp, 0)) {
		return &httpError{http.StatusForbidden, codeExpired, "the presigned URL has expired"}
	}
	if reqMethod == http.MethodHead {
		reqMethod = http.MethodGet
	}
	if reqMethod != method {
		return &httpError{http.StatusForbidden, codeMethodMismatch, "the URL was signed for " + method + ", not " + reqMethod}
	}
	return nil
}
