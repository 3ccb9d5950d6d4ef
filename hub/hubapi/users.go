package hubapi

import (
	"time"

	"github.com/exporthub/exporthub/hub/hubtype"
)

// UserResponse is a user on the wire (never the password hash).
type UserResponse struct {
	ID        string       `json:"id"`
	Email     string       `json:"email"`
	Name      string       `json:"name"`
	Role      hubtype.Role `json:"role"`
	CreatedAt time.Time    `json:"createdAt"`
}

// UserListResponse is the body of GET /api/users.
type UserListResponse struct {
	Users []*UserResponse `json:"users"`
}

// UserCreateRequest is the body of POST /api/users.
type UserCreateRequest struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	// Role is "admin" or "member"; defaults to "member".
	Role hubtype.Role `json:"role"`
	// Password, when set, lets the user sign in to the web UI (8 to 72
	// bytes); it is stored as a bcrypt hash.
	Password string `json:"password,omitempty"`
	// CreateKey also creates an API key for the new user, returned once.
	CreateKey bool `json:"createKey,omitempty"`
}

// UserCreateResponse is the body of a successful POST /api/users.
type UserCreateResponse struct {
	User *UserResponse `json:"user"`
	// Key is set when the request asked for one; shown only here.
	Key *KeyCreateResponse `json:"key,omitempty"`
}

// MeResponse is the body of GET /api/me: who the caller is.
type MeResponse struct {
	User *UserResponse `json:"user"`
	Org  *OrgResponse  `json:"org"`
}

// OrgResponse is an organization on the wire.
type OrgResponse struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}
