package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"time"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/hub/users"
)

// Cookie and header names.
const (
	// SessionCookie holds the browser session's random value.
	SessionCookie = "exporthub_session"
	// preSessionCookie holds the CSRF token of the sign-in form, before
	// there is a session (double-submit cookie).
	preSessionCookie = "exporthub_signin"
	// flashCookie carries a one-time message to the next page.
	flashCookie = "exporthub_flash"
	// CSRFHeader is the header JavaScript POSTs carry the CSRF token in.
	CSRFHeader = "X-CSRF-Token"
	// csrfField is the form field forms carry the CSRF token in.
	csrfField = "csrf_token"
)

// ErrNoSession is returned by [SessionPrincipal] when a request has a
// session cookie that is unknown or expired, or whose key or password no
// longer holds.
var ErrNoSession = users.ErrNoSession

// ErrCSRF is returned by [SessionPrincipal] when an unsafe request
// authenticated by the session cookie lacks the matching CSRF header.
var ErrCSRF = errors.New("web: missing or wrong CSRF token")

// randomToken returns n random bytes, base64url encoded.
func randomToken(n int) string { return users.RandomToken(n) }

// tokensEqual compares two tokens in constant time; empty never matches.
func tokensEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// session is a signed-in browser: the stored session with its user and
// organization.
type session struct {
	ws   *hubtype.WebSession
	user *hubtype.User
	org  *hubtype.Org
}

// principal returns the caller as the hub's handlers see it.
func (s *session) principal() *auth.Principal {
	return &auth.Principal{OrgID: s.org.ID, UserID: s.user.ID, Role: s.user.Role}
}

// isAdmin reports whether the user is an organization admin.
func (s *session) isAdmin() bool { return s.user.Role == hubtype.RoleAdmin }

// loadSession returns the session of r's cookie: ErrNoSession when there
// is no cookie, or it is unknown or expired, or its user was deleted.
func loadSession(ctx context.Context, us *users.Service, r *http.Request) (*session, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, ErrNoSession
	}
	s, err := us.Session(ctx, c.Value)
	if err != nil {
		return nil, err
	}
	return &session{ws: s.Web, user: s.User, org: s.Org}, nil
}

// SessionPrincipal authenticates r by its browser session cookie, for the
// hub's API routes that the browser calls. It returns (nil, nil) when r
// has no session cookie, ErrNoSession when the session is unknown or
// expired, and ErrCSRF when r is an unsafe method (not GET, HEAD or
// OPTIONS) without the session's CSRF token in the X-CSRF-Token header.
func SessionPrincipal(r *http.Request, us *users.Service) (*auth.Principal, error) {
	if c, err := r.Cookie(SessionCookie); err != nil || c.Value == "" {
		return nil, nil
	}
	s, err := loadSession(r.Context(), us, r)
	if err != nil {
		return nil, err
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if !tokensEqual(r.Header.Get(CSRFHeader), s.ws.CSRFToken) {
			return nil, ErrCSRF
		}
	}
	return s.principal(), nil
}

// startSession stores a new session for u, signed in with key k (nil for
// a password), and sets its cookie.
func (ui *UI) startSession(w http.ResponseWriter, r *http.Request, u *hubtype.User, k *hubtype.APIKey) error {
	value, ws, err := ui.users.StartSession(r.Context(), u, k, ui.cfg.SessionTTL)
	if err != nil {
		return err
	}
	http.SetCookie(w, ui.cookie(r, SessionCookie, value, ws.ExpiresAt))
	ui.clearCookie(w, r, preSessionCookie)
	return nil
}

// endSession deletes r's session (if any) and clears its cookie.
func (ui *UI) endSession(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		if err := ui.users.EndSession(r.Context(), c.Value); err != nil {
			return err
		}
	}
	ui.clearCookie(w, r, SessionCookie)
	return nil
}

// secureRequest reports whether cookies for r must be Secure: the hub's
// public URL is https, or r itself came over TLS. On plain http (a hub on
// localhost) the flag is left off, because browsers other than Chromium
// and Firefox drop Secure cookies set over http.
func (ui *UI) secureRequest(r *http.Request) bool { return ui.secure || r.TLS != nil }

// cookie returns a session-scoped cookie: HttpOnly, SameSite=Lax, Path=/,
// Secure over https.
func (ui *UI) cookie(r *http.Request, name, value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   ui.secureRequest(r),
		SameSite: http.SameSiteLaxMode,
	}
	if !expires.IsZero() {
		c.Expires = expires
		c.MaxAge = int(time.Until(expires).Seconds())
	}
	return c
}

// clearCookie deletes a cookie in the browser.
func (ui *UI) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	c := ui.cookie(r, name, "", time.Time{})
	c.MaxAge = -1
	http.SetCookie(w, c)
}

// signinCSRF returns the CSRF token of the sign-in form, setting its
// cookie when the browser has none yet.
func (ui *UI) signinCSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preSessionCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	v := randomToken(32)
	http.SetCookie(w, ui.cookie(r, preSessionCookie, v, time.Now().Add(time.Hour)))
	return v
}

// checkFormCSRF reports whether r carries the expected token in the form
// field or the X-CSRF-Token header.
func checkFormCSRF(r *http.Request, want string) bool {
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.PostFormValue(csrfField)
	}
	return tokensEqual(got, want)
}
