package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	gcblob "gocloud.dev/blob"
)

// maxKeyLength bounds object keys, in bytes (S3's limit).
const maxKeyLength = 1024

// Bucket is one bucket the hub stores objects in: its own (StorageID "")
// or an organization storage. Get one from Service.Hub or Service.Bucket.
// A Bucket is safe for concurrent use and stays usable until Service.Close,
// even after its storage was changed or forgotten.
type Bucket struct {
	svc       *Service
	b         *gcblob.Bucket
	storageID string
	orgID     string // owner of an organization storage; "" for the hub bucket
	name      string
	// proxied buckets have presigned URLs served by the hub.
	proxied bool
	// presign makes the provider's own presigned URLs; nil when the
	// provider cannot sign (no key), which needs proxied.
	presign presignFunc
	// keyPath returns the object key part of a provider URL of this
	// bucket; nil for the local and in-memory buckets.
	keyPath func(u *url.URL) (string, bool)
	// uploadOnly buckets are written with one Upload call: the streaming
	// writer of gocloud's azureblob (v0.47.0) panics when Close follows a
	// failed upload.
	uploadOnly bool
}

// presignFunc makes a provider's presigned URL allowing method (GET or
// PUT) on key for expiry; disposition, when set, is the Content-Disposition
// a GET answers with.
type presignFunc func(ctx context.Context, key, method string, expiry time.Duration, disposition string) (string, error)

// StorageID returns the organization storage id, or "" for the hub's own
// bucket (the value of store.Export.StorageID).
func (b *Bucket) StorageID() string { return b.storageID }

// Name returns the bucket (or Azure container) name, or "" for the hub's
// local bucket (the value of store.Export.Bucket).
func (b *Bucket) Name() string { return b.name }

// Attributes describes a stored object.
type Attributes struct {
	// Size is the object's size in bytes.
	Size int64
	// ContentType is the object's MIME type.
	ContentType string
	// ModTime is when the object was last written.
	ModTime time.Time
	// ETag is the server's entity tag, when it gives one.
	ETag string
}

// Attributes returns the attributes of the object at key. It returns
// ErrNotFound when there is none and an error wrapping ErrInvalidKey for a
// malformed key.
func (b *Bucket) Attributes(ctx context.Context, key string) (*Attributes, error) {
	if err := b.check(key); err != nil {
		return nil, err
	}
	a, err := b.b.Attributes(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("get attributes of %s: %w", key, interpretError(err))
	}
	return &Attributes{Size: a.Size, ContentType: a.ContentType, ModTime: a.ModTime, ETag: a.ETag}, nil
}

// Exists reports whether an object exists at key.
func (b *Bucket) Exists(ctx context.Context, key string) (bool, error) {
	_, err := b.Attributes(ctx, key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	}
	return false, err
}

// Delete deletes the object at key. Deleting a missing object is not an
// error, so cleanups can be retried.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := b.check(key); err != nil {
		return err
	}
	if err := interpretError(b.b.Delete(ctx, key)); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// Reader streams an object. It is an io.ReadSeekCloser: seeking reopens
// the object at the new offset on the next Read. A Reader is not safe for
// concurrent use.
type Reader struct {
	r *gcblob.Reader
}

// Read reads from the object; errors other than io.EOF are mapped to this
// package's errors.
func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = interpretError(err)
	}
	return n, err
}

// Seek sets the offset of the next Read (io.Seeker).
func (r *Reader) Seek(offset int64, whence int) (int64, error) {
	n, err := r.r.Seek(offset, whence)
	return n, interpretError(err)
}

// Close releases the reader. A second call returns an error.
func (r *Reader) Close() error { return interpretError(r.r.Close()) }

// Size returns the object's size in bytes.
func (r *Reader) Size() int64 { return r.r.Size() }

// ContentType returns the object's MIME type.
func (r *Reader) ContentType() string { return r.r.ContentType() }

// ModTime returns when the object was last written.
func (r *Reader) ModTime() time.Time { return r.r.ModTime() }

// NewReader opens the object at key for reading; the caller closes it.
// ctx bounds the whole read. It returns ErrNotFound when there is no
// object.
func (b *Bucket) NewReader(ctx context.Context, key string) (*Reader, error) {
	if err := b.check(key); err != nil {
		return nil, err
	}
	r, err := b.b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", key, interpretError(err))
	}
	return &Reader{r: r}, nil
}

// WriteResult describes an object written by Bucket.Write.
type WriteResult struct {
	// Size is the number of bytes written.
	Size int64
	// SHA256 is the lowercase hex SHA-256 of the content.
	SHA256 string
}

// Write streams r into the object at key, computing its size and SHA-256
// on the way, and replaces any object already there. The content type
// follows the key's extension. The write is all-or-nothing: when r fails,
// ctx is cancelled, or r holds more than Config.MaxObjectSize bytes (the
// error then wraps ErrTooLarge), no object is created and a previous
// object at key is left as it was.
func (b *Bucket) Write(ctx context.Context, key string, r io.Reader) (*WriteResult, error) {
	if err := b.check(key); err != nil {
		return nil, err
	}
	res, err := b.write(ctx, key, r)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", key, err)
	}
	return res, nil
}

func (b *Bucket) write(ctx context.Context, key string, r io.Reader) (*WriteResult, error) {
	if b.uploadOnly {
		return b.upload(ctx, key, r)
	}
	max := b.svc.cfg.MaxObjectSize
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.b.NewWriter(ctx, key, &gcblob.WriterOptions{ContentType: ContentTypeFor(key)})
	if err != nil {
		return nil, interpretError(err)
	}
	h := sha256.New()
	src := &sourceReader{r: io.TeeReader(io.LimitReader(r, max+1), h)}
	n, err := io.Copy(w, src)
	switch {
	case src.err != nil:
		err = &sourceError{err: src.err}
	case err != nil:
		err = interpretError(err)
	case n > max:
		err = fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	if err != nil {
		// Cancelling before Close makes every gocloud driver discard the
		// partial object instead of committing it.
		cancel()
		_ = w.Close()
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, interpretError(err)
	}
	return &WriteResult{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// upload is write for buckets whose streaming writer must not fail
// (uploadOnly): the object is sent by one Upload call that reads r, and a
// read error, cancellation or more than Config.MaxObjectSize bytes fail
// the upload before anything is committed.
func (b *Bucket) upload(ctx context.Context, key string, r io.Reader) (*WriteResult, error) {
	max := b.svc.cfg.MaxObjectSize
	h := sha256.New()
	src := &sourceReader{r: io.TeeReader(io.LimitReader(r, max+1), h), max: max}
	err := b.b.Upload(ctx, key, src, &gcblob.WriterOptions{ContentType: ContentTypeFor(key)})
	switch {
	case src.n > max:
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	case src.err != nil:
		return nil, &sourceError{err: src.err}
	case err != nil:
		return nil, interpretError(err)
	}
	return &WriteResult{Size: src.n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// errOverLimit fails an upload whose source holds more than the limit.
var errOverLimit = errors.New("more bytes than the limit")

// sourceReader remembers the error of the reader being stored, to tell it
// from an error of the bucket. With max set it counts the bytes and fails
// once there are more than max.
type sourceReader struct {
	r   io.Reader
	err error
	max int64 // 0: no limit (the caller limits r)
	n   int64
}

// sourceError is a failure of the reader passed to Bucket.Write.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return "read content: " + e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	if err != nil && err != io.EOF {
		s.err = err
	}
	if s.max > 0 && s.n > s.max {
		return n, errOverLimit
	}
	return n, err
}

// CheckUploaded checks an object that a client uploaded through a
// presigned URL and returns its attributes. S3's presigned PUT URLs cannot
// bound the size of what is uploaded, so an object larger than
// Config.MaxObjectSize is deleted and the error wraps ErrTooLarge. It
// returns ErrNotFound when nothing was uploaded.
func (b *Bucket) CheckUploaded(ctx context.Context, key string) (*Attributes, error) {
	a, err := b.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	if a.Size > b.svc.cfg.MaxObjectSize {
		if err := b.Delete(ctx, key); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("check upload %s: %w: %d bytes, limit %d (deleted)", key, ErrTooLarge, a.Size, b.svc.cfg.MaxObjectSize)
	}
	return a, nil
}

// SignedURL returns a presigned URL that allows method (http.MethodGet or
// http.MethodPut) on the object at key until the returned time, without
// credentials. expiry 0 means Config.SignedURLExpiry; it may not exceed
// MaxSignedURLExpiry. GET URLs make the download an attachment named after
// the key's file name. Presigning needs no object at key.
func (b *Bucket) SignedURL(ctx context.Context, key, method string, expiry time.Duration) (string, time.Time, error) {
	return b.signedURL(ctx, key, method, expiry, "")
}

// signedURL is SignedURL; runID, when set, binds a PUT URL the hub serves
// to that run (it stops working when the run is no longer active).
func (b *Bucket) signedURL(ctx context.Context, key, method string, expiry time.Duration, runID string) (string, time.Time, error) {
	if err := b.check(key); err != nil {
		return "", time.Time{}, err
	}
	if method != http.MethodGet && method != http.MethodPut {
		return "", time.Time{}, fmt.Errorf("blob: presign %s: method must be GET or PUT, got %q", key, method)
	}
	if expiry == 0 {
		expiry = b.svc.cfg.SignedURLExpiry
	}
	if expiry < time.Second || expiry > MaxSignedURLExpiry {
		return "", time.Time{}, fmt.Errorf("blob: presign %s: expiry must be between 1s and %v, got %v", key, MaxSignedURLExpiry, expiry)
	}
	if b.proxied {
		u, exp := b.svc.signer.sign(method, b.signerID(), b.urlPrefix(), key, expiry, runID)
		return u, exp, nil
	}
	if b.presign == nil {
		return "", time.Time{}, fmt.Errorf("%w: presign %s: %s has no key to sign URLs with; proxy it through the hub", ErrInvalidStorage, key, b.describe())
	}
	var disposition string
	if method == http.MethodGet {
		disposition = attachment(path.Base(key))
	}
	now := time.Now()
	u, err := b.presign(ctx, key, method, expiry, disposition)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("presign %s: %w", key, interpretError(err))
	}
	return u, now.Add(expiry).Truncate(time.Second), nil
}

// check refuses keys that are malformed or used after Close.
func (b *Bucket) check(key string) error {
	if b.svc.closed.Load() {
		return ErrClosed
	}
	return CheckObjectKey(key)
}

// CheckObjectKey reports whether key is acceptable to every method of a
// Bucket: 1 to 1024 bytes of ASCII letters, digits and "._-/", no leading
// or trailing '/', no empty, "." or ".." segment, not ending with
// ".attrs" (reserved by the local bucket). Keys made by NewKey
// always pass. Errors wrap ErrInvalidKey.
func CheckObjectKey(key string) error {
	if key == "" || len(key) > maxKeyLength {
		return fmt.Errorf("%w: key must be 1 to %d bytes, got %d", ErrInvalidKey, maxKeyLength, len(key))
	}
	for _, c := range []byte(key) {
		if !isIDByte(c) && c != '.' && c != '/' {
			return fmt.Errorf("%w: key %q may only hold letters, digits and \"._-/\"", ErrInvalidKey, key)
		}
	}
	if strings.HasSuffix(strings.ToLower(key), reservedExt) {
		return fmt.Errorf("%w: key %q ends with %s, which the local bucket reserves", ErrInvalidKey, key, reservedExt)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: key %q has an empty, \".\" or \"..\" segment", ErrInvalidKey, key)
		}
	}
	return nil
}

// ContentTypeFor returns the MIME type stored with an object at key,
// chosen by its extension; application/octet-stream when unknown.
func ContentTypeFor(key string) string {
	ext := strings.ToLower(path.Ext(key))
	switch ext {
	case ".zip":
		return "application/zip"
	case ".json":
		return "application/json"
	case ".ndjson", ".jsonl":
		return "application/x-ndjson"
	case "":
		return "application/octet-stream"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// attachment returns a Content-Disposition value that downloads the
// object as fileName.
func attachment(fileName string) string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": fileName})
}
