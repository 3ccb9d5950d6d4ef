package hubapi

import "time"

// KeyResponse is an API key on the wire: never the key itself.
type KeyResponse struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	UserID     string     `json:"userId"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
}

// KeyCreateRequest is the body of POST /api/keys.
type KeyCreateRequest struct {
	Name string `json:"name"`
	// ExpiresIn is a Go duration ("720h"); empty for no expiry.
	ExpiresIn string `json:"expiresIn,omitempty"`
	// UserID creates the key for another user of the organization (admins
	// only); defaults to the caller.
	UserID string `json:"userId,omitempty"`
}

// KeyCreateResponse is the body of a successful POST /api/keys: the only
// time the key is shown.
type KeyCreateResponse struct {
	KeyResponse
	Key string `json:"key"`
}

// KeyListResponse is the body of GET /api/keys.
type KeyListResponse struct {
	Keys []*KeyResponse `json:"keys"`
}
