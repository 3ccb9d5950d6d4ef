package hub

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/store"
)

// MaxKeyLifetime bounds the expiry a caller may give a key.
const MaxKeyLifetime = 10 * 365 * 24 * time.Hour

// NewKeyResponse converts a stored key to its wire form.
func NewKeyResponse(k *store.APIKey) *hubapi.KeyResponse {
	return &hubapi.KeyResponse{ID: k.ID, Name: k.Name, UserID: k.UserID, Prefix: k.Prefix, CreatedAt: k.CreatedAt,
		ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt, LastUsedAt: k.LastUsedAt}
}

func newKeyCreateResponse(k *store.APIKey, key string) *hubapi.KeyCreateResponse {
	return &hubapi.KeyCreateResponse{KeyResponse: *NewKeyResponse(k), Key: key}
}

// handleKeyCreate serves POST /api/keys: members create keys for
// themselves, admins for any user of the organization.
func (s *Server) handleKeyCreate(w http.ResponseWriter, r *http.Request) {
	var req hubapi.KeyCreateRequest
	if err := DecodeJSON(r, &req); err != nil {
		s.WriteError(w, r, err)
		return
	}
	p := Principal(r)
	params := &IssueKeyParams{OrgID: p.OrgID, UserID: p.UserID, Name: strings.TrimSpace(req.Name)}
	if len(params.Name) > maxNameLen {
		s.WriteError(w, r, Errorf(http.StatusBadRequest, hubapi.CodeBadRequest, "name is longer than %d characters", maxNameLen))
		return
	}
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d <= 0 || d > MaxKeyLifetime {
			s.WriteError(w, r, Errorf(http.StatusBadRequest, hubapi.CodeBadRequest,
				"expiresIn %q must be a positive duration such as \"720h\", at most %s", req.ExpiresIn, MaxKeyLifetime))
			return
		}
		at := time.Now().Add(d).UTC()
		params.ExpiresAt = &at
	}
	if req.UserID != "" && req.UserID != p.UserID {
		if !p.IsAdmin() {
			s.WriteError(w, r, Errorf(http.StatusForbidden, hubapi.CodeForbidden, "only an admin may create keys for another user"))
			return
		}
		if _, err := s.store.UserGet(r.Context(), p.OrgID, req.UserID); err != nil {
			s.WriteError(w, r, fmt.Errorf("get user: %w", err))
			return
		}
		params.UserID = req.UserID
	}
	key, k, err := s.IssueKey(r.Context(), params)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusCreated, newKeyCreateResponse(k, key))
}

// handleKeyList serves GET /api/keys: a member sees their own keys, an
// admin every key of the organization. Run tokens are never listed.
func (s *Server) handleKeyList(w http.ResponseWriter, r *http.Request) {
	p := Principal(r)
	ks, err := s.store.APIKeyList(r.Context(), p.OrgID)
	if err != nil {
		s.WriteError(w, r, fmt.Errorf("list keys: %w", err))
		return
	}
	out := hubapi.KeyListResponse{Keys: []*hubapi.KeyResponse{}}
	for _, k := range ks {
		if p.IsAdmin() || k.UserID == p.UserID {
			out.Keys = append(out.Keys, NewKeyResponse(k))
		}
	}
	WriteJSON(w, http.StatusOK, out)
}

// handleKeyRevoke serves DELETE /api/keys/{id}: members revoke their own
// keys, admins any key of the organization.
func (s *Server) handleKeyRevoke(w http.ResponseWriter, r *http.Request) {
	p := Principal(r)
	id := r.PathValue("id")
	ks, err := s.store.APIKeyList(r.Context(), p.OrgID)
	if err != nil {
		s.WriteError(w, r, fmt.Errorf("list keys: %w", err))
		return
	}
	var found *store.APIKey
	for _, k := range ks {
		if k.ID == id && (p.IsAdmin() || k.UserID == p.UserID) {
			found = k
		}
	}
	if found == nil {
		s.WriteError(w, r, store.ErrNotFound)
		return
	}
	if err := s.store.APIKeyRevoke(r.Context(), p.OrgID, id, time.Now().UTC()); err != nil {
		s.WriteError(w, r, fmt.Errorf("revoke key: %w", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// isConflict reports whether err is a store conflict.
func isConflict(err error) bool { return errors.Is(err, store.ErrConflict) }
