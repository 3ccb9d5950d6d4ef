package blob

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	gcblob "gocloud.dev/blob"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/gcp"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/option"

	"github.com/exporthub/exporthub/internal/egress"
)

// gcsHost is Google Cloud Storage's public host, used when a GCS bucket
// has no endpoint.
const gcsHost = "storage.googleapis.com"

// gcsScope is the OAuth scope of the hub's GCS requests: read, write and
// delete objects.
const gcsScope = "https://www.googleapis.com/auth/devstorage.read_write"

// gcsParams says how to reach one GCS bucket.
type gcsParams struct {
	bucket   string
	endpoint string // "" for Google Cloud Storage
	// keyJSON is a service-account JSON key; nil with anonymous (no
	// credentials, for public buckets and emulators). Application Default
	// Credentials are never looked up: that may probe a metadata server.
	keyJSON   []byte
	anonymous bool
	// policy, when set, checks every connection (organization storages).
	policy *egress.Policy
}

// parseGSURL reads gs://bucket?endpoint=...&anonymous=true.
func parseGSURL(u *url.URL) (*gcsParams, error) {
	p := &gcsParams{bucket: u.Host}
	if p.bucket == "" {
		return nil, fmt.Errorf("BucketURL %q names no bucket (want gs://bucket?...)", u.Redacted())
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("BucketURL %q has a path; key prefixes are not supported", u.Redacted())
	}
	for name, values := range u.Query() {
		v := values[0]
		switch name {
		case "endpoint":
			if err := checkEndpoint(v); err != nil {
				return nil, fmt.Errorf("BucketURL parameter endpoint: %w", err)
			}
			p.endpoint = strings.TrimRight(v, "/")
		case "anonymous":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("BucketURL parameter anonymous=%q is not a boolean", v)
			}
			p.anonymous = b
		default:
			return nil, fmt.Errorf("BucketURL parameter %q is not supported (use endpoint, anonymous)", name)
		}
	}
	return p, nil
}

// openGCS opens a GCS bucket: the one place the hub builds a Cloud
// Storage client. With a service-account key the requests carry a JWT the
// hub signs itself (no call to Google's token endpoint, so the key's
// token_uri is never contacted) and presigned URLs are V4 signed with the
// key. No network traffic happens here.
func openGCS(ctx context.Context, p *gcsParams) (*gcblob.Bucket, presignFunc, error) {
	transport := storageTransport(p.policy)
	opts := &gcsblob.Options{ClientOptions: []option.ClientOption{
		// The HTTP client below carries the credentials: never look for
		// default ones (which may probe a metadata server).
		option.WithoutAuthentication(),
	}}
	if p.endpoint != "" {
		opts.ClientOptions = append(opts.ClientOptions, option.WithEndpoint(p.endpoint+"/storage/v1/"))
	}
	var client *gcp.HTTPClient
	switch {
	case p.anonymous:
		client = gcp.NewAnonymousHTTPClient(transport)
	case p.keyJSON != nil:
		key, err := parseServiceAccountKey(p.keyJSON)
		if err != nil {
			return nil, nil, fmt.Errorf("service-account key %s", err)
		}
		ts, err := google.JWTAccessTokenSourceWithScope(p.keyJSON, gcsScope)
		if err != nil {
			return nil, nil, fmt.Errorf("service-account key: %w", err)
		}
		if client, err = gcp.NewHTTPClient(transport, ts); err != nil {
			return nil, nil, err
		}
		opts.GoogleAccessID, opts.PrivateKey = key.ClientEmail, []byte(key.PrivateKey)
	default:
		return nil, nil, errors.New("a gs:// bucket needs a service-account JSON key (CredentialsFile) or anonymous=true")
	}
	b, err := gcsblob.OpenBucket(ctx, client, p.bucket, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("open gcs bucket %q: %w", p.bucket, err)
	}
	if opts.PrivateKey == nil {
		return b, nil, nil
	}
	return b, gcsPresigner(b, p.endpoint), nil
}

// gcsPresigner returns V4 presigned URLs made with the bucket's key, on
// the endpoint's host (http for an http endpoint); GET URLs carry
// response-content-disposition.
func gcsPresigner(b *gcblob.Bucket, endpoint string) presignFunc {
	host, insecure := gcsHost, false
	if endpoint != "" {
		u, _ := url.Parse(endpoint) // checked by the caller
		host, insecure = u.Host, u.Scheme == "http"
	}
	return func(ctx context.Context, key, method string, expiry time.Duration, disposition string) (string, error) {
		return b.SignedURL(ctx, key, &gcblob.SignedURLOptions{
			Method: method,
			Expiry: expiry,
			BeforeSign: func(asFunc func(any) bool) error {
				var o *storage.SignedURLOptions
				if asFunc(&o) {
					o.Scheme = storage.SigningSchemeV4
					o.Style = storage.PathStyle()
					o.Hostname, o.Insecure = host, insecure
					if disposition != "" {
						o.QueryParameters = url.Values{"response-content-disposition": {disposition}}
					}
				}
				return nil
			},
		})
	}
}

// gcsKeyPath returns the object key part of u when u is an object URL of
// bucket on endpoint ("" for Google Cloud Storage): path style
// (host/bucket/key) or, on Google's host, virtual-hosted style
// (bucket.storage.googleapis.com/key).
func gcsKeyPath(endpoint, bucket string, u *url.URL) (string, bool) {
	host := strings.ToLower(u.Host)
	p := strings.TrimPrefix(u.Path, "/")
	want := gcsHost
	if endpoint != "" {
		want = endpointHost(endpoint)
	}
	switch {
	case host == want:
		return strings.CutPrefix(p, bucket+"/")
	case endpoint == "" && host == bucket+"."+gcsHost:
		return p, true
	}
	return "", false
}
