package web_test

import (
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/web"
)

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see where the UI sends the browser.
type browser struct {
	*http.Client
	base string
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{base: base, Client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// get fetches a page and returns the response with its body read.
func (b *browser) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	resp, err := b.Get(b.base + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

// post posts a form and returns the response with its body read.
func (b *browser) post(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := b.PostForm(b.base+path, form)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

// token returns the CSRF token of the form on a page.
func token(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	require.NotNil(t, m, "page has a form with a CSRF token")
	return m[1]
}

// signIn signs in with an API key, following the sign-in form, and
// returns where the hub sent the browser.
func (b *browser) signIn(t *testing.T, key, next string) string {
	t.Helper()
	_, page := b.get(t, "/signin")
	resp, _ := b.post(t, "/signin", url.Values{"csrf_token": {token(t, page)}, "api_key": {key}, "next": {next}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	return resp.Header.Get("Location")
}

func TestUI_SignIn(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)

	t.Run("NextStaysOnTheHub", func(t *testing.T) {
		t.Parallel()
		for next, want := range map[string]string{
			"/org/keys":          "/org/keys",
			"//evil.example/x":   "/projects",
			"https://evil.test/": "/projects",
			"/\\evil.example":    "/projects",
			"":                   "/projects",
		} {
			require.Equal(t, want, newBrowser(t, h.URL).signIn(t, h.AdminKey, next), "next %q", next)
		}
	})

	t.Run("ExpiredSession", func(t *testing.T) {
		t.Parallel()
		value := "expired-session-cookie-value-0123456789abcdef"
		sum := sha256.Sum256([]byte(value))
		require.NoError(t, h.Server.Store().WebSessionInsert(context.Background(), &store.WebSession{
			Hash: sum[:], UserID: h.AdminID, OrgID: h.OrgID, CSRFToken: "t", ExpiresAt: time.Now().Add(-time.Minute),
		}))
		b := newBrowser(t, h.URL)
		u, _ := url.Parse(h.URL)
		b.Jar.SetCookies(u, []*http.Cookie{{Name: web.SessionCookie, Value: value}})
		resp, _ := b.get(t, "/projects")
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.Equal(t, "/signin?next=%2Fprojects", resp.Header.Get("Location"))
		resp, body := b.get(t, "/api/projects")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		require.Contains(t, body, "the browser session expired: sign in again")
	})

	t.Run("SignOutEndsTheSessionOnTheHub", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t, h.URL)
		b.signIn(t, h.AdminKey, "")
		u, _ := url.Parse(h.URL)
		stolen := b.Jar.Cookies(u)
		_, page := b.get(t, "/projects")
		resp, _ := b.post(t, "/signout", url.Values{"csrf_token": {token(t, page)}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)

		replay := newBrowser(t, h.URL)
		replay.Jar.SetCookies(u, stolen)
		resp, _ = replay.get(t, "/projects")
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, "the old cookie no longer works")
	})

	t.Run("FormsNeedTheSessionToken", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t, h.URL)
		b.signIn(t, h.AdminKey, "")
		resp, body := b.post(t, "/org/keys", url.Values{"name": {"no token"}})
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		require.Contains(t, body, "missing or wrong CSRF token")
		_, page := b.get(t, "/org/keys")
		resp, body = b.post(t, "/org/keys", url.Values{"name": {"with token"}, "csrf_token": {token(t, page)}})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Regexp(t, `<code id="new-key" class="secret">ehk_[a-z2-7]{52}</code>`, body, "the new key is shown once")
		require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	})

	t.Run("SecurityHeaders", func(t *testing.T) {
		t.Parallel()
		resp, _ := newBrowser(t, h.URL).get(t, "/signin")
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'")
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
		require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
		require.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"))
	})

	t.Run("CrossSiteFormIsRefused", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t, h.URL)
		b.signIn(t, h.AdminKey, "")
		_, page := b.get(t, "/org/keys")
		req, err := http.NewRequest("POST", h.URL+"/org/keys", strings.NewReader(url.Values{"name": {"x"}, "csrf_token": {token(t, page)}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := b.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
	})
}

func TestUI_SecureCookieOverHTTPS(t *testing.T) {
	t.Parallel()
	// The hub is served over plain http here, but its public URL says
	// https (TLS ends at a proxy): the cookies must be Secure.
	h := hubtest.Start(t, &hubtest.Options{Configure: func(c *hub.Config) { c.PublicURL = "https://hub.example.test" }})
	b := newBrowser(t, h.URL)
	resp, page := b.get(t, "/signin")
	for _, c := range resp.Cookies() {
		require.True(t, c.Secure, "cookie %s is Secure", c.Name)
	}
	// The jar does not send Secure cookies over http: post the form by hand.
	req, err := http.NewRequest("POST", h.URL+"/signin", strings.NewReader(url.Values{"csrf_token": {token(t, page)}, "api_key": {h.AdminKey}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "exporthub_signin", Value: token(t, page)})
	resp, err = http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == web.SessionCookie {
			session = c
		}
	}
	require.NotNil(t, session)
	require.True(t, session.Secure)
	require.True(t, session.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, session.SameSite)
}
