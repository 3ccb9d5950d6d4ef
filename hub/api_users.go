package hub

import (
	"net/http"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/users"
)

// NewUserResponse converts a stored user to its wire form.
func NewUserResponse(u *store.User) *hubapi.UserResponse {
	return &hubapi.UserResponse{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, CreatedAt: u.CreatedAt}
}

// Users returns the user service (users, API keys, browser sessions).
func (s *Server) Users() *users.Service { return s.users }

// handleMe serves GET /api/me.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	u, o, err := s.users.Me(r.Context(), Principal(r))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, hubapi.MeResponse{User: NewUserResponse(u), Org: &hubapi.OrgResponse{ID: o.ID, Name: o.Name}})
}

// handleUserList serves GET /api/users (admins).
func (s *Server) handleUserList(w http.ResponseWriter, r *http.Request) {
	us, err := s.users.List(r.Context(), Principal(r))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	out := hubapi.UserListResponse{Users: make([]*hubapi.UserResponse, 0, len(us))}
	for _, u := range us {
		out.Users = append(out.Users, NewUserResponse(u))
	}
	WriteJSON(w, http.StatusOK, out)
}

// handleUserCreate serves POST /api/users (admins); with createKey the
// new user gets an API key named "initial".
func (s *Server) handleUserCreate(w http.ResponseWriter, r *http.Request) {
	var req hubapi.UserCreateRequest
	if err := DecodeJSON(r, &req); err != nil {
		s.WriteError(w, r, err)
		return
	}
	p := Principal(r)
	u, err := s.users.Create(r.Context(), p, &users.CreateParams{Email: req.Email, Name: req.Name, Role: req.Role, Password: req.Password})
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	out := hubapi.UserCreateResponse{User: NewUserResponse(u)}
	if req.CreateKey {
		key, k, err := s.users.CreateKey(r.Context(), p, &users.CreateKeyParams{Name: "initial", UserID: u.ID})
		if err != nil {
			s.WriteError(w, r, err)
			return
		}
		out.Key = newKeyCreateResponse(k, key)
	}
	WriteJSON(w, http.StatusCreated, out)
}

// handleUserDelete serves DELETE /api/users/{id} (admins).
func (s *Server) handleUserDelete(w http.ResponseWriter, r *http.Request) {
	if _, err := s.users.Delete(r.Context(), Principal(r), r.PathValue("id")); err != nil {
		s.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
