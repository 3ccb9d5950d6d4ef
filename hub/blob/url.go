package blob

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/exporthub/exporthub/hub/hubtype"
)

// endpointHost returns the lower-case host[:port] of an endpoint URL, or
// "" for none (AWS S3).
func endpointHost(endpoint string) string {
	if endpoint == "" {
		return ""
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// KeyFromURL returns the key of the object of this bucket that name
// refers to: a presigned URL issued for it (query string included or not,
// possibly cut at its first '&' as the Python SDK sends it), the bare
// object URL, or the key itself. A URL must point into this bucket: the
// hub's PublicURL under HandlerPath for a bucket the hub proxies, the
// bucket on its S3 endpoint otherwise. It does no I/O and does not check
// the key's organization or project (Service.DownloadURL does). Errors
// wrap ErrInvalidKey.
func (b *Bucket) KeyFromURL(name string) (Key, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Key{}, fmt.Errorf("%w: name is empty", ErrInvalidKey)
	}
	if strings.HasPrefix(name, "orgs/") {
		k, _, _ := strings.Cut(name, "?")
		return ParseKey(k)
	}
	u, err := parseHTTPURL(name)
	if err != nil {
		return Key{}, err
	}
	p, ok := b.urlKeyPath(u)
	if !ok {
		return Key{}, fmt.Errorf("%w: URL %s://%s%s does not point into %s", ErrInvalidKey, u.Scheme, u.Host, u.Path, b.describe())
	}
	return ParseKey(p)
}

func parseHTTPURL(name string) (*url.URL, error) {
	u, err := url.Parse(name)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: name %q is neither an object key nor an http(s) URL", ErrInvalidKey, name)
	}
	return u, nil
}

// urlKeyPath returns the object key part of u when u points into b: the
// hub's own URLs for a proxied bucket, the provider's object URLs
// otherwise.
func (b *Bucket) urlKeyPath(u *url.URL) (string, bool) {
	if b.proxied {
		if strings.ToLower(u.Host) != b.svc.publicHost {
			return "", false
		}
		return strings.CutPrefix(strings.TrimPrefix(u.Path, "/"), strings.TrimPrefix(b.svc.basePath+b.urlPrefix(), "/"))
	}
	if b.keyPath == nil {
		return "", false
	}
	return b.keyPath(u)
}

// urlPrefix is the path, after PublicURL, under which the hub serves the
// presigned URLs of a proxied bucket.
func (b *Bucket) urlPrefix() string {
	if b.storageID == "" {
		return HandlerPath
	}
	return StorageHandlerPath + b.storageID + "/"
}

// signerID names the bucket in the signatures of the hub's presigned URLs.
func (b *Bucket) signerID() string {
	if b.storageID == "" {
		return hubBucketID
	}
	return "storage/" + b.storageID
}

// s3KeyPath returns the object key part of u when u is an object URL of
// bucket on endpointHost ("" for AWS S3): path or virtual-hosted style.
func s3KeyPath(endpointHost, bucket string, u *url.URL) (string, bool) {
	host := strings.ToLower(u.Host)
	p := strings.TrimPrefix(u.Path, "/")
	switch {
	case endpointHost != "" && host == endpointHost:
		// Path style: http://endpoint/bucket/key.
		return strings.CutPrefix(p, bucket+"/")
	case endpointHost != "" && host == bucket+"."+endpointHost:
		// Virtual-hosted style: http://bucket.endpoint/key.
		return p, true
	case endpointHost == "" && strings.HasPrefix(host, bucket+".s3") && strings.HasSuffix(host, ".amazonaws.com"):
		return p, true
	case endpointHost == "" && strings.HasPrefix(host, "s3") && strings.HasSuffix(host, ".amazonaws.com"):
		return strings.CutPrefix(p, bucket+"/")
	}
	return "", false
}

// describe names the bucket in error messages.
func (b *Bucket) describe() string {
	switch {
	case b.storageID != "":
		return fmt.Sprintf("storage %s (bucket %s)", b.storageID, b.name)
	case b.proxied:
		return "the hub's storage at " + b.svc.cfg.PublicURL + HandlerPath
	case b.name == "":
		return "the hub's storage"
	}
	return "the hub's bucket " + b.name
}

// LocateParams is the input of Service.Locate.
type LocateParams struct {
	// OrgID is the caller's organization; required. The object must
	// belong to it.
	OrgID string
	// ProjectID, when set, is the only project whose objects are accepted.
	ProjectID string
	// Name is a URL the hub issued for the object (presigned or bare) or
	// its key.
	Name string
	// Storages are the organization's storages to consider besides the
	// hub's own bucket (hub/store.Store.StorageList). Storages of another
	// organization are ignored.
	Storages []*hubtype.Storage
}

// Location is where an object lives.
type Location struct {
	// Bucket holds the object; Bucket.StorageID() and Bucket.Name() give
	// store.Export.StorageID and store.Export.Bucket.
	Bucket *Bucket
	// Key is the object's key.
	Key Key
}

// Locate finds the bucket and key of the object that p.Name refers to,
// among the hub's bucket and p.Storages, for a caller that does not know
// which storage a URL points into (the run dispatcher reading a plugin's
// response URL). A URL is matched by its host and path without I/O; a
// bare key is looked up (hub first, then each storage) and must exist.
// Errors wrap ErrInvalidKey (not one of our URLs or keys), ErrForbidden
// (another organization's or project's object), ErrNotFound (a bare key
// with no object) or ErrInvalidStorage.
func (s *Service) Locate(ctx context.Context, p *LocateParams) (*Location, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	buckets := []*Bucket{s.hub}
	for _, st := range p.Storages {
		if st == nil || st.OrgID != p.OrgID {
			continue
		}
		b, err := s.Bucket(ctx, st)
		if err != nil {
			return nil, fmt.Errorf("locate object: %w", err)
		}
		buckets = append(buckets, b)
	}
	name := strings.TrimSpace(p.Name)
	checkScope := func(k Key) error {
		if k.OrgID != p.OrgID || (p.ProjectID != "" && k.ProjectID != p.ProjectID) {
			return fmt.Errorf("locate object: %w", ErrForbidden)
		}
		return nil
	}
	if strings.HasPrefix(name, "orgs/") {
		k, err := buckets[0].KeyFromURL(name)
		if err != nil {
			return nil, fmt.Errorf("locate object: %w", err)
		}
		if err := checkScope(k); err != nil {
			return nil, err
		}
		for _, b := range buckets {
			ok, err := b.Exists(ctx, k.String())
			if err != nil {
				return nil, fmt.Errorf("locate object: %w", err)
			}
			if ok {
				return &Location{Bucket: b, Key: k}, nil
			}
		}
		return nil, fmt.Errorf("locate object %s: %w", k, ErrNotFound)
	}
	u, err := parseHTTPURL(name)
	if err != nil {
		return nil, fmt.Errorf("locate object: %w", err)
	}
	var keyErr error
	for _, b := range buckets {
		kp, ok := b.urlKeyPath(u)
		if !ok {
			continue
		}
		k, err := ParseKey(kp)
		if err != nil {
			keyErr = err
			continue
		}
		if err := checkScope(k); err != nil {
			return nil, err
		}
		return &Location{Bucket: b, Key: k}, nil
	}
	if keyErr != nil {
		return nil, fmt.Errorf("locate object: %w", keyErr)
	}
	return nil, fmt.Errorf("locate object: %w: URL %s://%s%s points into neither the hub's storage nor one of the organization's storages",
		ErrInvalidKey, u.Scheme, u.Host, u.Path)
}
