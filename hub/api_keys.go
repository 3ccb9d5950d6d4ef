package hub

import (
	"net/http"
	"time"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/users"
)

// MaxKeyLifetime bounds the expiry a caller may give a key.
const MaxKeyLifetime = users.MaxKeyLifetime

// NewKeyResponse converts a stored key to its wire form.
func NewKeyResponse(k *store.APIKey) *hubapi.KeyResponse {
	return &hubapi.KeyResponse{ID: k.ID, Name: k.Name, UserID: k.UserID, Prefix: k.Prefix, CreatedAt: k.CreatedAt,
		ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt, LastUsedAt: k.LastUsedAt}
}

func newKeyCreateResponse(k *store.APIKey, key string) *hubapi.KeyCreateResponse {
	return &hubapi.KeyCreateResponse{KeyResponse: *NewKeyResponse(k), Key: key}
}

// handleKeyCreate serves POST /api/keys (users.Service.CreateKey).
func (s *Server) handleKeyCreate(w http.ResponseWriter, r *http.Request) {
	var req hubapi.KeyCreateRequest
	if err := DecodeJSON(r, &req); err != nil {
		s.WriteError(w, r, err)
		return
	}
	params := &users.CreateKeyParams{Name: req.Name, UserID: req.UserID}
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d <= 0 || d > MaxKeyLifetime {
			s.WriteError(w, r, hubtype.Fieldf("expiresIn", "expiresIn %q must be a positive duration such as \"720h\", at most %s", req.ExpiresIn, MaxKeyLifetime))
			return
		}
		params.ExpiresIn = d
	}
	key, k, err := s.users.CreateKey(r.Context(), Principal(r), params)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusCreated, newKeyCreateResponse(k, key))
}

// handleKeyList serves GET /api/keys (users.Service.Keys).
func (s *Server) handleKeyList(w http.ResponseWriter, r *http.Request) {
	ks, err := s.users.Keys(r.Context(), Principal(r))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	out := hubapi.KeyListResponse{Keys: make([]*hubapi.KeyResponse, 0, len(ks))}
	for _, k := range ks {
		out.Keys = append(out.Keys, NewKeyResponse(k))
	}
	WriteJSON(w, http.StatusOK, out)
}

// handleKeyRevoke serves DELETE /api/keys/{id} (users.Service.RevokeKey).
func (s *Server) handleKeyRevoke(w http.ResponseWriter, r *http.Request) {
	if _, err := s.users.RevokeKey(r.Context(), Principal(r), r.PathValue("id")); err != nil {
		s.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
