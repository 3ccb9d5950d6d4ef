package hub

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/store"
)

// storageCheckTimeout bounds the reachability check of a new storage.
const storageCheckTimeout = 15 * time.Second

// NewStorageResponse converts a stored storage to its wire form.
func NewStorageResponse(st *store.Storage) *hubapi.StorageResponse {
	return &hubapi.StorageResponse{ID: st.ID, Name: st.Name, Provider: st.Provider, Endpoint: st.Endpoint, Region: st.Region,
		Bucket: st.Bucket, AccessKey: st.AccessKey, CreatedAt: st.CreatedAt}
}

// handleStorageCreate serves POST /api/storages (admins): it checks that
// the bucket answers with the given credentials (unless skipCheck), then
// stores the storage with its secret key sealed by the hub key.
func (s *Server) handleStorageCreate(w http.ResponseWriter, r *http.Request) {
	var req hubapi.StorageCreateRequest
	if err := DecodeJSON(r, &req); err != nil {
		s.WriteError(w, r, err)
		return
	}
	st := &store.Storage{
		ID:        store.NewID(),
		OrgID:     Principal(r).OrgID,
		Name:      strings.TrimSpace(req.Name),
		Provider:  strings.ToLower(strings.TrimSpace(req.Provider)),
		Endpoint:  strings.TrimRight(strings.TrimSpace(req.Endpoint), "/"),
		Region:    strings.TrimSpace(req.Region),
		Bucket:    strings.TrimSpace(req.Bucket),
		AccessKey: strings.TrimSpace(req.AccessKey),
	}
	if st.Provider == "" {
		st.Provider = "s3"
	}
	if err := validateStorage(st, req.SecretKey); err != nil {
		s.WriteError(w, r, err)
		return
	}
	st.SecretKeyEnc = s.box.Seal([]byte(req.SecretKey))
	if !req.SkipCheck {
		if err := s.checkStorage(r.Context(), st); err != nil {
			s.WriteError(w, r, err)
			return
		}
	}
	if err := s.store.StorageInsert(r.Context(), st); err != nil {
		if isConflict(err) {
			s.WriteError(w, r, Errorf(http.StatusConflict, hubapi.CodeConflict, "a storage named %q already exists", st.Name))
			return
		}
		s.WriteError(w, r, fmt.Errorf("insert storage: %w", err))
		return
	}
	WriteJSON(w, http.StatusCreated, NewStorageResponse(st))
}

// checkStorage opens a storage and asks the bucket for an object; an
// answer (even "not found") proves the endpoint, bucket and credentials.
func (s *Server) checkStorage(ctx context.Context, st *store.Storage) error {
	ctx, cancel := context.WithTimeout(ctx, storageCheckTimeout)
	defer cancel()
	b, err := s.blobs.Bucket(ctx, st)
	if err == nil {
		_, err = b.Exists(ctx, "exporthub-storage-check")
		s.blobs.ForgetStorage(st.ID)
	}
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Code: "storage_unreachable", Err: err,
			Message: fmt.Sprintf("bucket %q at %s does not answer with these credentials: %v (send skipCheck to store it anyway)",
				st.Bucket, endpointOrAWS(st.Endpoint), err)}
	}
	return nil
}

func endpointOrAWS(e string) string {
	if e == "" {
		return "AWS S3"
	}
	return e
}

// handleStorageList serves GET /api/storages.
func (s *Server) handleStorageList(w http.ResponseWriter, r *http.Request) {
	sts, err := s.store.StorageList(r.Context(), Principal(r).OrgID)
	if err != nil {
		s.WriteError(w, r, fmt.Errorf("list storages: %w", err))
		return
	}
	out := hubapi.StorageListResponse{Storages: make([]*hubapi.StorageResponse, 0, len(sts))}
	for _, st := range sts {
		out.Storages = append(out.Storages, NewStorageResponse(st))
	}
	WriteJSON(w, http.StatusOK, out)
}

// handleStorageGet serves GET /api/storages/{id}.
func (s *Server) handleStorageGet(w http.ResponseWriter, r *http.Request) {
	st, err := s.store.StorageGet(r.Context(), Principal(r).OrgID, r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, NewStorageResponse(st))
}

// handleStorageDelete serves DELETE /api/storages/{id} (admins). Objects
// in the bucket are left alone.
func (s *Server) handleStorageDelete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.store.StorageDelete(r.Context(), Principal(r).OrgID, id); err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.blobs.ForgetStorage(id)
	w.WriteHeader(http.StatusNoContent)
}

// validateStorage checks a new storage's fields; errors name the field.
func validateStorage(st *store.Storage, secret string) error {
	switch {
	case st.Name == "":
		return badRequest("name is required")
	case len(st.Name) > maxNameLen:
		return badRequest("name is longer than %d characters", maxNameLen)
	case st.Provider != "s3":
		return badRequest("provider %q is not supported (only s3, for any S3-compatible service)", st.Provider)
	case st.Bucket == "":
		return badRequest("bucket is required")
	case st.AccessKey == "":
		return badRequest("accessKey is required")
	case secret == "":
		return badRequest("secretKey is required")
	}
	if st.Endpoint != "" {
		u, err := url.Parse(st.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return badRequest("endpoint %q must be an http(s) URL such as https://s3.example.com", st.Endpoint)
		}
	}
	return nil
}
