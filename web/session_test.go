package web_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/web"
)

// signInPassword signs in with an e-mail and password, following the
// sign-in form, and returns the status of the answer.
func (b *browser) signInPassword(t *testing.T, email, password string) int {
	t.Helper()
	_, page := b.get(t, "/signin")
	resp, _ := b.post(t, "/signin", url.Values{"csrf_token": {token(t, page)}, "email": {email}, "password": {password}})
	return resp.StatusCode
}

// setPassword sets the signed-in user's password through the account
// page; the browser stays signed in.
func (b *browser) setPassword(t *testing.T, current, next string) {
	t.Helper()
	_, page := b.get(t, "/account")
	resp, _ := b.post(t, "/account/password", url.Values{"csrf_token": {token(t, page)},
		"current": {current}, "new": {next}, "confirm": {next}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/account", resp.Header.Get("Location"))
	resp, body := b.get(t, "/account")
	require.Equal(t, http.StatusOK, resp.StatusCode, "still signed in after setting the password")
	require.Contains(t, body, "Your password was saved.")
}

// requireSignedIn asserts that b's session answers (or not) on a page and
// on the API.
func (b *browser) requireSignedIn(t *testing.T, want bool, why string) {
	t.Helper()
	resp, _ := b.get(t, "/api/me")
	page, _ := b.get(t, "/projects")
	if want {
		require.Equal(t, http.StatusOK, resp.StatusCode, why)
		require.Equal(t, http.StatusOK, page.StatusCode, why)
		return
	}
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, why)
	require.Equal(t, http.StatusSeeOther, page.StatusCode, why)
	require.Equal(t, "/signin?next=%2Fprojects", page.Header.Get("Location"), why)
}

// sessionCookieExpiry returns when the session cookie resp sets expires.
func sessionCookieExpiry(t *testing.T, resp *http.Response) time.Time {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == web.SessionCookie {
			return c.Expires
		}
	}
	t.Fatal("no session cookie set")
	return time.Time{}
}

// newPasswordUser creates a member of h's organization who signs in with
// a key in a browser and sets password there; it returns the user and
// that browser.
func newPasswordUser(t *testing.T, h *hubtest.Hub, password string) (*store.User, *browser) {
	t.Helper()
	id, key := h.NewUser(t, h.OrgID, store.RoleMember)
	u, err := h.Server.Store().UserGet(t.Context(), h.OrgID, id)
	require.NoError(t, err)
	byKey := newBrowser(t, h.URL)
	byKey.signIn(t, key, "")
	byKey.setPassword(t, "", password)
	return u, byKey
}

func TestUI_SessionEndsWithItsCredential(t *testing.T) {
	t.Parallel()
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			h := hubtest.Start(t, &hubtest.Options{Backend: backend})

			t.Run("KeyRevoked", func(t *testing.T) {
				t.Parallel()
				var k hubapi.KeyCreateResponse
				h.JSON(t, http.MethodPost, "/api/keys", h.AdminKey, map[string]any{"name": "browser"}, http.StatusCreated, &k)
				b := newBrowser(t, h.URL)
				b.signIn(t, k.Key, "")
				b.requireSignedIn(t, true, "signed in with the key")
				h.JSON(t, http.MethodDelete, "/api/keys/"+k.ID, h.AdminKey, nil, http.StatusNoContent, nil)
				b.requireSignedIn(t, false, "the key was revoked")
			})

			t.Run("KeyExpires", func(t *testing.T) {
				t.Parallel()
				var k hubapi.KeyCreateResponse
				h.JSON(t, http.MethodPost, "/api/keys", h.AdminKey, map[string]any{"name": "short", "expiresIn": "2s"}, http.StatusCreated, &k)
				require.NotNil(t, k.ExpiresAt)
				b := newBrowser(t, h.URL)
				_, page := b.get(t, "/signin")
				resp, _ := b.post(t, "/signin", url.Values{"csrf_token": {token(t, page)}, "api_key": {k.Key}})
				require.Equal(t, http.StatusSeeOther, resp.StatusCode)
				require.False(t, sessionCookieExpiry(t, resp).After(k.ExpiresAt.Add(time.Second)),
					"the cookie lasts no longer than the key (%s)", k.ExpiresAt)
				b.requireSignedIn(t, true, "signed in with the key")
				time.Sleep(time.Until(k.ExpiresAt.Add(100 * time.Millisecond)))
				b.requireSignedIn(t, false, "the key expired")
			})

			t.Run("PasswordChanged", func(t *testing.T) {
				t.Parallel()
				u, byKey := newPasswordUser(t, h, "first password")

				here, there := newBrowser(t, h.URL), newBrowser(t, h.URL)
				require.Equal(t, http.StatusSeeOther, here.signInPassword(t, u.Email, "first password"))
				require.Equal(t, http.StatusSeeOther, there.signInPassword(t, u.Email, "first password"))
				there.requireSignedIn(t, true, "signed in with the password")

				// here changes the password: it stays signed in, there
				// (signed in with the old one) is signed out, the key's
				// session goes on.
				here.setPassword(t, "first password", "second password")
				here.requireSignedIn(t, true, "the session that changed the password")
				there.requireSignedIn(t, false, "the password changed")
				byKey.requireSignedIn(t, true, "a key's session does not depend on the password")
				require.Equal(t, http.StatusSeeOther, there.signInPassword(t, u.Email, "second password"))
				there.requireSignedIn(t, true, "signed in with the new password")
			})

			t.Run("UserRemoved", func(t *testing.T) {
				t.Parallel()
				u, byKey := newPasswordUser(t, h, "first password")
				byPassword := newBrowser(t, h.URL)
				require.Equal(t, http.StatusSeeOther, byPassword.signInPassword(t, u.Email, "first password"))
				byPassword.requireSignedIn(t, true, "signed in with the password")

				h.JSON(t, http.MethodDelete, "/api/users/"+u.ID, h.AdminKey, nil, http.StatusNoContent, nil)
				byKey.requireSignedIn(t, false, "the user was removed")
				byPassword.requireSignedIn(t, false, "the user was removed")
			})
		})
	}
}
