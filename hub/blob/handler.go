package blob

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/exporthub/exporthub/hub/hubtype"
)

// Error codes of the JSON errors Handler answers with.
const (
	codeAlreadyUploaded  = "already_uploaded"
	codeBadRequest       = "bad_request"
	codeExpired          = "url_expired"
	codeInternal         = "internal"
	codeInvalidSignature = "invalid_signature"
	codeMethodMismatch   = "method_mismatch"
	codeMethodNotAllowed = "method_not_allowed"
	codeNotFound         = "not_found"
	codeRunEnded         = "run_ended"
	codeTooLarge         = "too_large"
)

// httpError is an error answer of Handler.
type httpError struct {
	status  int
	code    string
	message string
}

// errorBody is the JSON shape of every hub error.
type errorBody struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Code    string `json:"code"`
}

// Handler serves the hub's own presigned URLs: GET (and HEAD, with Range
// support) streams the object as an attachment, PUT stores the request
// body, bounded by Config.MaxObjectSize (413 above it; nothing is stored
// when an upload fails or is cut short). Mount it at HandlerPath:
//
//	mux.Handle(blob.HandlerPath, svc.Handler())
//
// A tampered, expired, wrong-method or other-object URL gets 403. Errors
// are JSON {"status":"fail","message":...,"code":...}. It is safe for
// concurrent use. When the hub bucket is not proxied (native S3 URLs),
// every request gets 404.
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(s.serveHTTP)
}

func (s *Service) serveHTTP(w http.ResponseWriter, r *http.Request) {
	key, ok := strings.CutPrefix(r.URL.Path, HandlerPath)
	if !ok || !s.hub.proxied || s.closed.Load() {
		s.writeError(w, r, &httpError{http.StatusNotFound, codeNotFound, "no such presigned URL"})
		return
	}
	if !s.checkRequest(w, r, hubBucketID, key) {
		return
	}
	s.serveObject(w, r, s.hub, key)
}

// StorageLookupFunc returns the organization storage id of orgID, or an
// error wrapping hubtype.ErrNotFound.
type StorageLookupFunc func(ctx context.Context, orgID, id string) (*hubtype.Storage, error)

// StorageHandler serves the presigned URLs of proxied organization
// storages, <PublicURL>/storage-blob/<storage id>/<key>?..., as Handler
// serves the hub's own: the signature names the storage, and the object
// is read from or written to the storage's bucket through its client.
// lookup finds the storage (of the organization in the key) once the
// signature is checked. Mount it at StorageHandlerPath. A storage that
// no longer exists or is no longer proxied answers 404. It is safe for
// concurrent use.
func (s *Service) StorageHandler(lookup StorageLookupFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, _ := strings.CutPrefix(r.URL.Path, StorageHandlerPath)
		id, key, ok := strings.Cut(rest, "/")
		if !ok || id == "" || s.signer == nil || s.closed.Load() {
			s.writeError(w, r, &httpError{http.StatusNotFound, codeNotFound, "no such presigned URL"})
			return
		}
		if !s.checkRequest(w, r, "storage/"+id, key) {
			return
		}
		k, err := ParseKey(key)
		if err != nil {
			s.writeError(w, r, &httpError{http.StatusBadRequest, codeBadRequest, err.Error()})
			return
		}
		st, err := lookup(r.Context(), k.OrgID, id)
		if errors.Is(err, hubtype.ErrNotFound) || (err == nil && !st.Proxied) {
			s.writeError(w, r, &httpError{http.StatusNotFound, codeNotFound, "the storage of this URL no longer exists or is no longer proxied"})
			return
		}
		var b *Bucket
		if err == nil {
			b, err = s.Bucket(r.Context(), st)
		}
		if err != nil {
			s.internalError(w, r, key, err)
			return
		}
		s.serveObject(w, r, b, key)
	})
}

// checkRequest checks the method, the signature (for bucketID) and the
// key of a request to a presigned URL, and answers it when one is wrong.
func (s *Service) checkRequest(w http.ResponseWriter, r *http.Request, bucketID, key string) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut:
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT")
		s.writeError(w, r, &httpError{http.StatusMethodNotAllowed, codeMethodNotAllowed, "presigned URLs accept GET, HEAD and PUT"})
		return false
	}
	if herr := s.signer.verify(r.Method, bucketID, key, r.URL.Query()); herr != nil {
		s.writeError(w, r, herr)
		return false
	}
	if err := CheckObjectKey(key); err != nil {
		s.writeError(w, r, &httpError{http.StatusBadRequest, codeBadRequest, err.Error()})
		return false
	}
	return true
}

// serveObject answers a checked request for key of bucket b.
func (s *Service) serveObject(w http.ResponseWriter, r *http.Request, b *Bucket, key string) {
	if r.Method == http.MethodPut {
		s.servePut(w, r, b, key)
		return
	}
	s.serveGet(w, r, b, key)
}

func (s *Service) serveGet(w http.ResponseWriter, r *http.Request, b *Bucket, key string) {
	rd, err := b.NewReader(r.Context(), key)
	if errors.Is(err, ErrNotFound) {
		s.writeError(w, r, &httpError{http.StatusNotFound, codeNotFound, "no object at this URL"})
		return
	}
	if err != nil {
		s.internalError(w, r, key, err)
		return
	}
	defer rd.Close()
	h := w.Header()
	h.Set("Content-Type", ContentTypeFor(key))
	h.Set("Content-Disposition", attachment(path.Base(key)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	// ServeContent sets Content-Length and handles HEAD, Range and
	// conditional requests; the reader reopens the object on Seek.
	http.ServeContent(w, r, "", rd.ModTime(), rd)
}

func (s *Service) servePut(w http.ResponseWriter, r *http.Request, b *Bucket, key string) {
	max := s.cfg.MaxObjectSize
	if r.ContentLength > max {
		s.writeError(w, r, &httpError{http.StatusRequestEntityTooLarge, codeTooLarge,
			"the body is " + strconv.FormatInt(r.ContentLength, 10) + " bytes; the limit is " + strconv.FormatInt(max, 10)})
		return
	}
	if runID := r.URL.Query().Get(paramRun); runID != "" {
		k, err := ParseKey(key)
		if err != nil {
			s.writeError(w, r, &httpError{http.StatusBadRequest, codeBadRequest, err.Error()})
			return
		}
		active, err := s.cfg.RunActiveFunc(r.Context(), k.OrgID, runID)
		if err != nil {
			s.internalError(w, r, key, err)
			return
		}
		if !active {
			s.writeError(w, r, &httpError{http.StatusForbidden, codeRunEnded, "the run this upload URL was made for has ended; upload URLs die with their run"})
			return
		}
	}
	// Write-once: one PUT at a time per key, and none once an object is
	// there.
	slot := b.signerID() + "\n" + key
	if _, busy := s.putting.LoadOrStore(slot, struct{}{}); busy {
		s.writeError(w, r, &httpError{http.StatusConflict, codeAlreadyUploaded, "another upload to this URL is in progress; upload URLs are single-use"})
		return
	}
	defer s.putting.Delete(slot)
	switch exists, err := b.Exists(r.Context(), key); {
	case err != nil:
		s.internalError(w, r, key, err)
		return
	case exists:
		s.writeError(w, r, &httpError{http.StatusConflict, codeAlreadyUploaded, "a file was already uploaded to this URL; upload URLs are single-use and uploaded files are never overwritten"})
		return
	}
	res, err := b.Write(r.Context(), key, r.Body)
	switch {
	case errors.Is(err, ErrTooLarge):
		s.writeError(w, r, &httpError{http.StatusRequestEntityTooLarge, codeTooLarge,
			"the body is larger than the limit of " + strconv.FormatInt(max, 10) + " bytes"})
		return
	case err != nil && (r.Context().Err() != nil || errors.Is(err, context.Canceled)):
		// The client went away; there is nobody to answer.
		s.logger.DebugContext(r.Context(), "upload aborted by client", slog.String(logKeyKey, key))
		return
	case err != nil && isBodyError(err):
		s.writeError(w, r, &httpError{http.StatusBadRequest, codeBadRequest, "the upload body could not be read completely; nothing was stored"})
		return
	case err != nil:
		s.internalError(w, r, key, err)
		return
	}
	s.logger.InfoContext(r.Context(), "object uploaded",
		slog.String(logKeyStorageID, b.storageID), slog.String(logKeyKey, key), slog.Int64(logKeySize, res.Size))
	w.WriteHeader(http.StatusOK)
}

// isBodyError reports whether a Write error came from reading the request
// body (a truncated or malformed upload) rather than from the bucket.
func isBodyError(err error) bool {
	var se *sourceError
	return errors.As(err, &se)
}

func (s *Service) internalError(w http.ResponseWriter, r *http.Request, key string, err error) {
	s.logger.ErrorContext(r.Context(), "presigned URL request failed",
		slog.String(logKeyMethod, r.Method), slog.String(logKeyKey, key), slog.String(logKeyError, err.Error()))
	s.writeError(w, r, &httpError{http.StatusInternalServerError, codeInternal, "the object store failed; try again"})
}

func (s *Service) writeError(w http.ResponseWriter, r *http.Request, e *httpError) {
	if e.status != http.StatusNotFound {
		s.logger.DebugContext(r.Context(), "presigned URL refused",
			slog.String(logKeyMethod, r.Method), slog.Int(logKeyStatus, e.status), slog.String(logKeyCode, e.code))
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.status)
	if r.Method == http.MethodHead {
		return
	}
	_ = json.NewEncoder(w).Encode(errorBody{Status: "fail", Message: e.message, Code: e.code})
}
