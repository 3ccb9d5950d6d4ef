package browsertest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

// signInWithPassword signs in through the form with e-mail and password.
func (b *tab) signInWithPassword(t *testing.T, email, password string) {
	t.Helper()
	b.navigate(t, "/signin")
	b.do(t,
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.CSS(".bell-button, .flash-error")),
	)
}

// cookies returns the tab's cookies for the hub by name.
func (b *tab) cookies(t *testing.T) map[string]*network.Cookie {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.hub.URL + "/"}})
	require.NoError(t, err)
	m := map[string]*network.Cookie{}
	for _, c := range res.Cookies {
		m[c.Name] = c
	}
	return m
}

// fetchStatus runs fetch() in the page and returns "STATUS MESSAGE".
func (b *tab) fetchStatus(t *testing.T, method, path string, headers map[string]string, body string) string {
	t.Helper()
	var hs []string
	for k, v := range headers {
		hs = append(hs, fmt.Sprintf("%q: %q", k, v))
	}
	bodyArg := "undefined"
	if body != "" {
		bodyArg = fmt.Sprintf("%q", body)
	}
	js := fmt.Sprintf(`fetch(%q, {method: %q, headers: {%s}, body: %s, redirect: "manual"})
		.then(r => r.text().then(tx => { let m = ""; try { m = JSON.parse(tx).message || ""; } catch (e) { m = tx.trim(); } return r.status + " " + m; }))`,
		path, method, strings.Join(hs, ", "), bodyArg)
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	return out
}

func TestUI_SignIn(t *testing.T) {
	t.Parallel()
	b := setup(t)

	t.Run("WrongPassword", func(t *testing.T) {
		t.Parallel()
		tb := b.newTab(t)
		tb.signInWithPassword(t, "admin@localhost", "not the password")
		require.Equal(t, "Wrong e-mail or password.", tb.text(t, ".flash-error"))
		require.Equal(t, 0, tb.nodeCount(t, ".bell-button"), "no header for a signed-out browser")
	})

	t.Run("InvalidKey", func(t *testing.T) {
		t.Parallel()
		tb := b.newTab(t)
		tb.signInWithKey(t, "ehk_"+strings.Repeat("x", 52))
		require.Contains(t, tb.text(t, ".flash-error"), "That API key is not valid")
	})

	t.Run("KeySessionCookieAndSignOut", func(t *testing.T) {
		t.Parallel()
		tb := b.newTab(t)
		tb.signInWithKey(t, b.hub.AdminKey)
		require.Equal(t, "Projects", tb.text(t, "h1"))
		require.Equal(t, "admin@localhost", tb.text(t, ".user-name"))

		c := tb.cookies(t)["exporthub_session"]
		require.NotNil(t, c, "session cookie")
		require.True(t, c.HTTPOnly, "session cookie is HttpOnly")
		require.Equal(t, network.CookieSameSiteLax, c.SameSite)
		require.False(t, c.Secure, "no Secure flag on a plain-http hub")
		require.GreaterOrEqual(t, len(c.Value), 43, "32 random bytes, base64")

		tb.do(t, chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)), chromedp.WaitVisible(chromedp.ID("email")))
		require.Equal(t, "You are signed out.", tb.text(t, ".flash-info"))
		tb.navigate(t, "/projects")
		require.Equal(t, "/signin?next=%2Fprojects", eval[string](t, tb, `location.pathname + location.search`))
	})

	t.Run("BackToThePageAskedFor", func(t *testing.T) {
		t.Parallel()
		tb := b.newTab(t)
		tb.navigate(t, "/org/keys")
		tb.do(t,
			chromedp.Click(chromedp.CSS("summary")),
			chromedp.SendKeys(chromedp.ID("api_key"), b.hub.AdminKey),
			chromedp.Submit(chromedp.ID("api_key")),
			chromedp.WaitVisible(chromedp.ID("keys-title")),
		)
		require.Equal(t, "/org/keys", eval[string](t, tb, `location.pathname`))
	})

	t.Run("SetPasswordOnAccountPage", func(t *testing.T) {
		t.Parallel()
		_, key := b.hub.NewUser(t, b.hub.OrgID, store.RoleMember)
		tb := b.newTab(t)
		tb.signInWithKey(t, key)
		email := tb.text(t, ".user-name")
		tb.navigate(t, "/account")
		require.Equal(t, "Set a password", tb.text(t, "#pw-title"))
		tb.do(t,
			chromedp.SendKeys(chromedp.ID("new"), "first password"),
			chromedp.SendKeys(chromedp.ID("confirm"), "other password"),
			chromedp.Submit(chromedp.ID("new")),
			chromedp.WaitVisible(chromedp.CSS(".flash-error")),
		)
		require.Equal(t, "The two new passwords differ.", tb.text(t, ".flash-error"))
		tb.do(t,
			chromedp.SendKeys(chromedp.ID("new"), "first password"),
			chromedp.SendKeys(chromedp.ID("confirm"), "first password"),
			chromedp.Submit(chromedp.ID("new")),
			chromedp.WaitVisible(chromedp.CSS(".flash-ok")),
		)
		require.Equal(t, "Change password", tb.text(t, "#pw-title"), "the page now asks for the current password")

		other := b.newTab(t)
		other.signInWithPassword(t, email, "first password")
		require.Equal(t, email, other.text(t, ".user-name"))
	})

	t.Run("RateLimit", func(t *testing.T) {
		t.Parallel()
		tb := b.newTab(t)
		for range 5 {
			tb.signInWithPassword(t, "nobody@example.test", "wrong password")
			require.Equal(t, "Wrong e-mail or password.", tb.text(t, ".flash-error"))
		}
		tb.signInWithPassword(t, "nobody@example.test", "wrong password")
		require.Contains(t, tb.text(t, ".flash-error"), "Too many failed sign-ins.")
	})

	t.Run("CSRF", func(t *testing.T) {
		t.Parallel()
		tb := b.newTab(t)
		tb.signInWithKey(t, b.hub.AdminKey)
		token := eval[string](t, tb, `document.querySelector('meta[name="csrf-token"]').content`)
		require.GreaterOrEqual(t, len(token), 43)
		form := "application/x-www-form-urlencoded"

		for _, tc := range []struct {
			name, method, path string
			headers            map[string]string
			body, want         string
		}{
			{"BellWithoutToken", "POST", "/ui/notifications/read", map[string]string{"Content-Type": "application/json"}, `{"all":true}`,
				"403 missing or wrong CSRF token: reload the page and try again"},
			{"BellWithWrongToken", "POST", "/ui/notifications/read", map[string]string{"X-CSRF-Token": "wrong"}, `{"all":true}`,
				"403 missing or wrong CSRF token: reload the page and try again"},
			{"BellWithToken", "POST", "/ui/notifications/read", map[string]string{"X-CSRF-Token": token}, `{"all":true}`, "200 "},
			{"FormWithWrongToken", "POST", "/org/keys", map[string]string{"Content-Type": form}, "name=x&csrf_token=wrong",
				"403 missing or wrong CSRF token: reload the page and try again"},
			{"APIGetWithCookie", "GET", "/api/projects", nil, "", "200 "},
			{"APIPostWithCookieWithoutToken", "POST", "/api/projects", nil, `{"name":"p"}`,
				"403 a request with the session cookie needs the session's CSRF token in the X-CSRF-Token header"},
			{"APIPostWithCookieAndToken", "POST", "/api/projects", map[string]string{"X-CSRF-Token": token}, `{"name":"p"}`, "201 "},
		} {
			require.Equal(t, tc.want, tb.fetchStatus(t, tc.method, tc.path, tc.headers, tc.body), tc.name)
		}
	})

	t.Run("SignedOutRequests", func(t *testing.T) {
		t.Parallel()
		require.Equal(t, http.StatusSeeOther, httpStatus(t, b.hub, "GET", "/projects"))
		require.Equal(t, http.StatusUnauthorized, httpStatus(t, b.hub, "GET", "/ui/notifications"))
		require.Equal(t, http.StatusUnauthorized, httpStatus(t, b.hub, "GET", "/api/projects"))
		require.Equal(t, http.StatusOK, httpStatus(t, b.hub, "GET", "/signin"))
		require.Equal(t, http.StatusOK, httpStatus(t, b.hub, "GET", "/static/app.css"))
		// A sign-in form posted from another site is refused.
		resp, err := http.PostForm(b.hub.URL+"/signin", url.Values{"api_key": {b.hub.AdminKey}})
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "sign-in without the form's CSRF cookie")
	})
}
