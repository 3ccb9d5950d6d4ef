package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/web"
)

// FuzzSignin posts arbitrary sign-in forms, with a valid form token, to
// a real hub: whatever the fields hold, the answer is a refusal (never a
// 5xx, never a session), or, for the admin's key, a redirect that stays
// on the hub.
func FuzzSignin(f *testing.F) {
	h := hubtest.Start(f, nil)
	f.Add("admin@localhost", "wrong", "", "/projects")
	f.Add("", "", "ehk_nope", "//evil.example/")
	f.Add("x\x00@y", "\xff\xfe", "", "/\t/evil.example")
	f.Add("", "", "ADMIN", "/\\evil.example")
	f.Add("", "", "ADMIN", "/\t/evil.example")
	f.Add("", "", "ADMIN", "/\n/evil.example/")
	f.Add("a@b", strings.Repeat("p", 5000), "", "https://evil.example/")
	f.Fuzz(func(t *testing.T, email, password, key, next string) {
		if key == "ADMIN" {
			key = h.AdminKey
		}
		b := newBrowser(t, h.URL)
		_, page := b.get(t, "/signin")
		resp, _ := b.post(t, "/signin", url.Values{"csrf_token": {token(t, page)}, "email": {email}, "password": {password}, "api_key": {key}, "next": {next}})
		if resp.StatusCode == http.StatusSeeOther {
			require.Equal(t, h.AdminKey, strings.TrimSpace(key), "only the valid key signs in")
			loc := resp.Header.Get("Location")
			// Browsers drop tabs and newlines from URLs: what they would
			// follow must stay on the hub.
			clean := strings.Map(func(r rune) rune {
				if r == '\t' || r == '\n' || r == '\r' {
					return -1
				}
				return r
			}, loc)
			base, _ := url.Parse(h.URL + "/")
			u, err := base.Parse(clean)
			require.NoError(t, err, "location %q", loc)
			require.Equal(t, base.Host, u.Host, "location %q leaves the hub", loc)
			return
		}
		require.Contains(t, []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests, http.StatusBadRequest}, resp.StatusCode)
		for _, c := range b.Jar.Cookies(base(t, h.URL)) {
			require.NotEqual(t, web.SessionCookie, c.Name, "a refused sign-in gets no session")
		}
	})
}

func base(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}
