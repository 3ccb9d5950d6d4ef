package hub

import (
	"fmt"
	"net/http"
	"net/mail"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/store"
)

// Limits of user and key fields.
const (
	minPasswordLen = 8
	maxPasswordLen = 72 // bcrypt's limit
	maxNameLen     = 200
)

// NewUserResponse converts a stored user to its wire form.
func NewUserResponse(u *store.User) *hubapi.UserResponse {
	return &hubapi.UserResponse{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, CreatedAt: u.CreatedAt}
}

// handleMe serves GET /api/me.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	p := Principal(r)
	u, err := s.store.UserGet(r.Context(), p.OrgID, p.UserID)
	if err != nil {
		s.WriteError(w, r, fmt.Errorf("get user: %w", err))
		return
	}
	o, err := s.store.OrgGet(r.Context(), p.OrgID)
	if err != nil {
		s.WriteError(w, r, fmt.Errorf("get organization: %w", err))
		return
	}
	WriteJSON(w, http.StatusOK, hubapi.MeResponse{User: NewUserResponse(u), Org: &hubapi.OrgResponse{ID: o.ID, Name: o.Name}})
}

// handleUserList serves GET /api/users (admins).
func (s *Server) handleUserList(w http.ResponseWriter, r *http.Request) {
	us, err := s.store.UserList(r.Context(), Principal(r).OrgID)
	if err != nil {
		s.WriteError(w, r, fmt.Errorf("list users: %w", err))
		return
	}
	out := hubapi.UserListResponse{Users: make([]*hubapi.UserResponse, 0, len(us))}
	for _, u := range us {
		out.Users = append(out.Users, NewUserResponse(u))
	}
	WriteJSON(w, http.StatusOK, out)
}

// handleUserCreate serves POST /api/users (admins).
func (s *Server) handleUserCreate(w http.ResponseWriter, r *http.Request) {
	var req hubapi.UserCreateRequest
	if err := DecodeJSON(r, &req); err != nil {
		s.WriteError(w, r, err)
		return
	}
	p := Principal(r)
	u := &store.User{ID: store.NewID(), OrgID: p.OrgID, Email: strings.TrimSpace(req.Email), Name: strings.TrimSpace(req.Name), Role: req.Role}
	if u.Role == "" {
		u.Role = store.RoleMember
	}
	if err := validateUser(u, req.Password); err != nil {
		s.WriteError(w, r, err)
		return
	}
	if req.Password != "" {
		h, err := bcrypt.GenerateFromPassword([]byte(req.Password), bcrypt.DefaultCost)
		if err != nil {
			s.WriteError(w, r, fmt.Errorf("hash password: %w", err))
			return
		}
		u.PasswordHash = string(h)
	}
	if err := s.store.UserInsert(r.Context(), u); err != nil {
		if isConflict(err) {
			s.WriteError(w, r, Errorf(http.StatusConflict, hubapi.CodeConflict, "a user with e-mail %q already exists", u.Email))
			return
		}
		s.WriteError(w, r, fmt.Errorf("insert user: %w", err))
		return
	}
	out := hubapi.UserCreateResponse{User: NewUserResponse(u)}
	if req.CreateKey {
		key, k, err := s.IssueKey(r.Context(), &IssueKeyParams{OrgID: u.OrgID, UserID: u.ID, Name: "initial"})
		if err != nil {
			s.WriteError(w, r, err)
			return
		}
		out.Key = newKeyCreateResponse(k, key)
	}
	WriteJSON(w, http.StatusCreated, out)
}

// handleUserDelete serves DELETE /api/users/{id} (admins). An admin
// cannot delete themself, so an organization keeps an admin.
func (s *Server) handleUserDelete(w http.ResponseWriter, r *http.Request) {
	p := Principal(r)
	id := r.PathValue("id")
	if id == p.UserID {
		s.WriteError(w, r, Errorf(http.StatusConflict, hubapi.CodeConflict, "you cannot delete your own user"))
		return
	}
	if err := s.store.UserDelete(r.Context(), p.OrgID, id); err != nil {
		s.WriteError(w, r, fmt.Errorf("delete user: %w", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// validateUser checks a new user's fields; errors name the field.
func validateUser(u *store.User, password string) error {
	if u.Email == "" {
		return badRequest("email is required")
	}
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
		return badRequest("email %q is not a valid e-mail address", u.Email)
	}
	if len(u.Name) > maxNameLen {
		return badRequest("name is longer than %d characters", maxNameLen)
	}
	if !slices.Contains([]store.Role{store.RoleAdmin, store.RoleMember}, u.Role) {
		return badRequest("role %q is not one of admin, member", u.Role)
	}
	if password != "" && (len(password) < minPasswordLen || len(password) > maxPasswordLen) {
		return badRequest("password must be %d to %d bytes long", minPasswordLen, maxPasswordLen)
	}
	return nil
}
