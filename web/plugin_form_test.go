package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
)

// TestUI_PluginFormKeepsTheRunTimeout: the plugin form shows a plugin's
// run timeout as it is (1 h as 60 minutes, also for a plugin created
// without one), and saving other fields leaves it alone.
func TestUI_PluginFormKeepsTheRunTimeout(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	b := newBrowser(t, h.URL)
	b.signIn(t, h.AdminKey, "")
	for _, tc := range []struct {
		name    string
		timeout any // runTimeout of the create request; nil for none
		want    time.Duration
		shown   string
	}{
		{"OneHour", "1h", time.Hour, `value="60"`},
		{"HubDefault", nil, time.Hour, `value="60"`},
		{"NotWholeMinutes", "90s", 90 * time.Second, `value="1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := map[string]any{"name": "timeout " + tc.name}
			if tc.timeout != nil {
				req["runTimeout"] = tc.timeout
			}
			var p hubapi.PluginSecretResponse
			h.JSON(t, http.MethodPost, "/api/plugins", h.AdminKey, req, http.StatusCreated, &p)
			_, page := b.get(t, "/plugins/"+p.ID)
			require.Contains(t, page, `name="timeout_minutes" value=`)
			require.Regexp(t, `id="timeout_minutes" name="timeout_minutes" `+tc.shown, page)

			// Save only a new description, as the form sends it.
			form := url.Values{"csrf_token": {token(t, page)}, "name": {"timeout " + tc.name}, "description": {"new words"},
				"default_config": {"{}"}, "connector": {"ws"}, "base_url": {""}}
			form.Set("timeout_minutes", regexpValue(t, page, "timeout_minutes"))
			form.Set("timeout_shown", regexpValue(t, page, "timeout_shown"))
			resp, body := b.post(t, "/plugins/"+p.ID, form)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
			var got hubapi.PluginResponse
			h.JSON(t, http.MethodGet, "/api/plugins/"+p.ID, h.AdminKey, nil, http.StatusOK, &got)
			require.Equal(t, "new words", got.Description)
			require.Equal(t, tc.want, time.Duration(got.RunTimeout), "the run timeout is left alone")

			// Changing the field changes it.
			form.Set("timeout_minutes", "45")
			resp, body = b.post(t, "/plugins/"+p.ID, form)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
			h.JSON(t, http.MethodGet, "/api/plugins/"+p.ID, h.AdminKey, nil, http.StatusOK, &got)
			require.Equal(t, 45*time.Minute, time.Duration(got.RunTimeout))
		})
	}
}

// regexpValue returns the value of the input named name on a page.
func regexpValue(t *testing.T, page, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(page)
	require.NotNil(t, m, "input %s on the page", name)
	return m[1]
}
