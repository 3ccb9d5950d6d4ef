package hub

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/store"
)

// storageCheckTimeout bounds the reachability check of a new storage.
const storageCheckTimeout = 15 * time.Second

// maxStorageNameLen bounds a storage's name, in bytes.
const maxStorageNameLen = 200

// NewStorageResponse converts a stored storage to its wire form (never
// its secret).
func NewStorageResponse(st *store.Storage) *hubapi.StorageResponse {
	return &hubapi.StorageResponse{ID: st.ID, Name: st.Name, Provider: st.Provider, Endpoint: st.Endpoint, Region: st.Region,
		Bucket: st.Bucket, AccessKey: st.AccessKey, CredentialType: st.CredentialType, Proxied: st.Proxied, CreatedAt: st.CreatedAt}
}

// handleStorageCreate serves POST /api/storages (admins): it checks that
// the hub can write to the bucket with the given credentials (unless
// skipCheck), then stores the storage with its secret sealed by the hub
// key.
func (s *Server) handleStorageCreate(w http.ResponseWriter, r *http.Request) {
	var req hubapi.StorageCreateRequest
	if err := DecodeJSON(r, &req); err != nil {
		s.WriteError(w, r, err)
		return
	}
	creds, err := storageCredentials(req.Credentials)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	in := &blob.StorageInput{Provider: cmp.Or(req.Provider, blob.ProviderAWS), Endpoint: req.Endpoint, Region: req.Region,
		Bucket: req.Bucket, AccessKey: req.AccessKey, SecretKey: req.SecretKey, Credentials: creds,
		AccountName: req.AccountName, AccountKey: req.AccountKey, SASToken: req.SASToken, Proxied: req.Proxied}
	st, err := s.createStorage(r.Context(), Principal(r).OrgID, req.Name, in, req.SkipCheck)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusCreated, NewStorageResponse(st))
}

// storageCredentials reads the credentials field: a JSON object, or a
// string holding one.
func storageCredentials(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		return str, nil
	}
	if raw[0] != '{' {
		return "", badRequest("credentials must be the service account's JSON key, as an object or a string")
	}
	return string(raw), nil
}

// createStorage validates (name here, the rest per provider in
// blob.NewStorage), checks (unless skipCheck) and stores an organization
// storage. A bucket the hub cannot write to is a 400 storage_unreachable
// wrapping the *blob.StorageCheckError.
func (s *Server) createStorage(ctx context.Context, orgID, name string, in *blob.StorageInput, skipCheck bool) (*store.Storage, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return nil, badRequest("name is required")
	case len(name) > maxStorageNameLen:
		return nil, badRequest("name is longer than %d characters", maxStorageNameLen)
	}
	st, err := blob.NewStorage(in, s.box)
	var fe *blob.FieldError
	if errors.As(err, &fe) {
		return nil, badRequest("%s", fe.Message)
	}
	if err != nil {
		return nil, err
	}
	st.ID, st.OrgID, st.Name = store.NewID(), orgID, name
	if !skipCheck {
		if err := s.checkStorage(ctx, st); err != nil {
			return nil, err
		}
	}
	if err := s.store.StorageInsert(ctx, st); err != nil {
		if isConflict(err) {
			return nil, Errorf(http.StatusConflict, hubapi.CodeConflict, "a storage named %q already exists", st.Name)
		}
		return nil, fmt.Errorf("insert storage: %w", err)
	}
	return st, nil
}

// checkStorage proves the hub can write to the storage's bucket
// (blob.Service.CheckStorage).
func (s *Server) checkStorage(ctx context.Context, st *store.Storage) error {
	ctx, cancel := context.WithTimeout(ctx, storageCheckTimeout)
	defer cancel()
	if err := s.blobs.CheckStorage(ctx, st); err != nil {
		return &Error{Status: http.StatusBadRequest, Code: "storage_unreachable", Err: err,
			Message: fmt.Sprintf("%s does not answer with these credentials: %v (send skipCheck to store it anyway)",
				blob.DescribeStorage(st), err)}
	}
	return nil
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
