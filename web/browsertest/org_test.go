package browsertest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/blob/blobtest"
	"github.com/exporthub/exporthub/hub/store"
)

// acceptDialogs accepts the tab's confirm() dialogs (destructive forms
// ask first) until the test ends.
func (b *tab) acceptDialogs(t *testing.T) {
	t.Helper()
	dialogs := chromedp.Events(b.ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true}) // the tab may be closing
		}
	}()
}

// submitForm submits a form of the page and waits for a flash message;
// it returns the message.
func (b *tab) submitForm(t *testing.T, formSel string) string {
	t.Helper()
	b.do(t,
		// The flash of the previous answer goes first, so the wait below
		// sees the new page's.
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll(".flash").forEach(e => e.remove())`),
		chromedp.Click(chromedp.CSS(formSel+` button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	return b.text(t, ".flash")
}

func TestUI_OrgAdmin(t *testing.T) {
	t.Parallel()
	b := setup(t)

	t.Run("Members", func(t *testing.T) {
		t.Parallel()
		tb := b.newTab(t)
		tb.acceptDialogs(t)
		tb.signInWithKey(t, b.hub.AdminKey)
		tb.navigate(t, "/org/members")
		tb.do(t,
			chromedp.SendKeys(chromedp.ID("m-email"), "ann@example.test"),
			chromedp.SendKeys(chromedp.ID("m-name"), "Ann"),
			chromedp.SendKeys(chromedp.ID("m-password"), "ann's password"),
		)
		require.Equal(t, "ann@example.test was added.", tb.submitForm(t, `form[action="/org/members"]`))
		require.Contains(t, tb.text(t, "tbody"), "ann@example.test")

		tb.do(t, chromedp.SendKeys(chromedp.ID("m-email"), "ann@example.test"))
		require.Equal(t, `Cannot add the member: a user with e-mail "ann@example.test" already exists`, tb.submitForm(t, `form[action="/org/members"]`))

		id := eval[string](t, tb, `[...document.querySelectorAll("tbody tr")].find(r => r.textContent.includes("ann@example.test")).querySelector("select").id.slice(5)`)
		tb.do(t, chromedp.SetValue(chromedp.ID("role-"+id), "admin"))
		require.Equal(t, "ann@example.test is now admin.", tb.submitForm(t, `form[action="/org/members/`+id+`/role"]`))
		require.Equal(t, "ann@example.test was removed.", tb.submitForm(t, `form[action="/org/members/`+id+`/delete"]`))
		require.NotContains(t, tb.text(t, "tbody"), "ann@example.test")
	})

	t.Run("APIKeys", func(t *testing.T) {
		t.Parallel()
		tb := b.newTab(t)
		tb.acceptDialogs(t)
		tb.signInWithKey(t, b.hub.AdminKey)
		tb.navigate(t, "/org/keys")
		tb.do(t,
			chromedp.SendKeys(chromedp.ID("k-name"), "ci pipeline"),
			chromedp.Click(chromedp.CSS(`form[action="/org/keys"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("new-key")),
		)
		key := tb.text(t, "#new-key")
		require.Regexp(t, `^ehk_[a-z2-7]{52}$`, key)
		tb.screenshot(t, "14-org-api-key-created")
		tb.navigate(t, "/org/keys")
		require.NotContains(t, tb.text(t, "body"), key, "the key is shown once")
		require.Contains(t, tb.text(t, "tbody"), key[:12]+"…")

		// The new key signs in; once revoked it no longer does.
		other := b.newTab(t)
		other.signInWithKey(t, key)
		require.Equal(t, "admin@localhost", other.text(t, ".user-name"))
		id := eval[string](t, tb, `[...document.querySelectorAll("tbody tr")].find(r => r.textContent.includes("ci pipeline")).querySelector("form").action.split("/").slice(-2)[0]`)
		require.Equal(t, "The key was revoked.", tb.submitForm(t, `form[action="/org/keys/`+id+`/revoke"]`))
		require.Contains(t, tb.text(t, "tbody"), "revoked")
		third := b.newTab(t)
		third.signInWithKey(t, key)
		require.Contains(t, third.text(t, ".flash-error"), "That API key is not valid")
	})

	// The key rules are the user service's, the same as the API's
	// (hub TestServer_KeyRulesOfTheWebUI): a key needs a name, and a run
	// token is not a key of this page, not even for an admin.
	t.Run("KeyRules", func(t *testing.T) {
		t.Parallel()
		tb := b.newTab(t)
		tb.signInWithKey(t, b.hub.AdminKey)
		tb.navigate(t, "/org/keys")
		tb.do(t, chromedp.SendKeys(chromedp.ID("k-name"), "   "))
		require.Equal(t, "The key needs a name of 1 to 200 characters.", tb.submitForm(t, `form[action="/org/keys"]`))

		pid := newProject(t, b, "Run token")
		exp := time.Now().Add(time.Hour)
		token, rt, err := b.hub.Server.IssueKey(context.Background(), &hub.IssueKeyParams{OrgID: b.hub.OrgID, UserID: b.hub.AdminID,
			Name: "run", ProjectID: pid, RunID: "run-of-the-browser-key-rules", ExpiresAt: &exp})
		require.NoError(t, err)
		tb.navigate(t, "/org/keys")
		require.NotContains(t, tb.text(t, "body"), rt.Prefix, "run tokens are not listed")
		csrf := eval[string](t, tb, `document.querySelector('input[name="csrf_token"]').value`)
		got := tb.fetchStatus(t, "POST", "/org/keys/"+rt.ID+"/revoke", map[string]string{"X-CSRF-Token": csrf}, "")
		require.True(t, strings.HasPrefix(got, "404 "), "revoking a run token from the keys page: got %.80s", got)
		b.hub.JSON(t, "GET", "/v2/project/"+pid, token, nil, http.StatusOK, nil)
	})

	t.Run("Storages", func(t *testing.T) {
		t.Parallel()
		s3 := blobtest.StartS3(t)
		bucket := s3.CreateBucket(t)
		tb := b.newTab(t)
		tb.acceptDialogs(t)
		tb.signInWithKey(t, b.hub.AdminKey)
		tb.navigate(t, "/org/storages")
		fill := func(name, bucket, secret string) {
			tb.do(t,
				chromedp.SendKeys(chromedp.ID("s-name"), name),
				chromedp.SendKeys(chromedp.ID("s-bucket"), bucket),
				chromedp.SendKeys(chromedp.ID("s-endpoint"), s3.Endpoint),
				chromedp.SendKeys(chromedp.ID("s-access"), s3.AccessKey),
				chromedp.SendKeys(chromedp.ID("s-secret"), secret),
			)
		}
		value := func(id string) string {
			return eval[string](t, tb, `document.getElementById("`+id+`").value`)
		}
		// A wrong secret: the bucket does not answer. The message speaks
		// of the form (not of the API's skipCheck), and the form keeps
		// what was typed but the secret key.
		fill("Team bucket", bucket, "not the secret")
		msg := tb.submitForm(t, `form[action="/org/storages"]`)
		require.True(t, strings.HasPrefix(msg, `Cannot add the storage: bucket "`+bucket+`" at `+s3.Endpoint+` does not answer with these credentials`), msg)
		require.True(t, strings.HasSuffix(msg, `Check the bucket, endpoint, region and credentials, or tick "Save without checking the bucket" to save it as it is.`), msg)
		require.NotContains(t, msg, "skipCheck")
		require.Equal(t, "Team bucket", value("s-name"))
		require.Equal(t, bucket, value("s-bucket"))
		require.Equal(t, s3.Endpoint, value("s-endpoint"))
		require.Empty(t, value("s-secret"))
		tb.do(t, chromedp.SendKeys(chromedp.ID("s-secret"), s3.SecretKey))
		require.Equal(t, "Storage Team bucket was added.", tb.submitForm(t, `form[action="/org/storages"]`))
		row := tb.text(t, "tbody tr")
		require.Contains(t, row, bucket)
		require.NotContains(t, tb.text(t, "body"), s3.SecretKey, "the secret key is never shown")
		tb.screenshot(t, "15-org-storages")

		// "Save without checking the bucket" stores one that does not
		// answer (yet).
		fill("Later bucket", "not-created-yet", "not the secret")
		tb.do(t, chromedp.Click(chromedp.ID("s-skip-check")))
		require.Equal(t, "Storage Later bucket was added.", tb.submitForm(t, `form[action="/org/storages"]`))

		// An Azure storage: choosing the provider shows its credentials
		// and hides the others'.
		az := blobtest.StartAzurite(t)
		container := az.CreateContainer(t)
		hidden := func(provider string) bool {
			return eval[bool](t, tb, `document.querySelector('fieldset[data-provider="`+provider+`"]').hidden`)
		}
		require.False(t, hidden("AWS"))
		require.True(t, hidden("AZURE"))
		tb.do(t, chromedp.SetValue(chromedp.ID("s-provider"), "AZURE"))
		eval[bool](t, tb, `document.getElementById("s-provider").dispatchEvent(new Event("change"))`)
		require.True(t, hidden("AWS"))
		require.True(t, hidden("GCP"))
		require.False(t, hidden("AZURE"))
		tb.do(t,
			chromedp.SendKeys(chromedp.ID("s-name"), "Team Azure"),
			chromedp.SendKeys(chromedp.ID("s-bucket"), container),
			chromedp.SendKeys(chromedp.ID("s-endpoint"), az.Endpoint),
			chromedp.SendKeys(chromedp.ID("s-account"), az.Account),
			chromedp.SendKeys(chromedp.ID("s-account-key"), az.Key),
		)
		require.Equal(t, "Storage Team Azure was added.", tb.submitForm(t, `form[action="/org/storages"]`))
		require.Contains(t, tb.text(t, "tbody"), "AZURE")
		require.NotContains(t, tb.text(t, "body"), az.Key, "the account key is never shown")
		sts, err := b.hub.Server.Store().StorageList(context.Background(), b.hub.OrgID)
		require.NoError(t, err)
		require.Len(t, sts, 3)
		for _, st := range sts {
			require.Equal(t, "The storage was deleted.", tb.submitForm(t, `form[action="/org/storages/`+st.ID+`/delete"]`))
		}
		require.Contains(t, tb.text(t, ".card"), "No storages")
	})

	t.Run("MemberSeesNoAdminPages", func(t *testing.T) {
		t.Parallel()
		_, key := b.hub.NewUser(t, b.hub.OrgID, store.RoleMember)
		pid := newProject(t, b, "Member view")
		tb := b.newTab(t)
		tb.signInWithKey(t, key)
		require.NotContains(t, tb.text(t, ".site-nav"), "Organization")
		tb.navigate(t, "/org/members")
		require.Equal(t, "Not allowed", tb.text(t, "h1"))
		tb.navigate(t, "/projects/"+pid+"/settings/plugins")
		require.Contains(t, tb.text(t, "#tabpanel"), "Ask an organization admin to add one.")
		require.Equal(t, 0, tb.nodeCount(t, "#add-plugin"))
		// A member's own plugin shows its Development box; another's does not.
		plugID := tb.createPlugin(t, "Mine", "", "{}")
		require.Equal(t, 1, tb.nodeCount(t, "#dev-title"))
		admin := b.newTab(t)
		admin.signInWithKey(t, b.hub.AdminKey)
		other := admin.createPlugin(t, "Theirs", "", "{}")
		tb.navigate(t, "/plugins/"+other)
		require.Equal(t, 0, tb.nodeCount(t, "#dev-title"))
		require.Contains(t, tb.text(t, "main"), "Only the plugin's owner and organization admins see its development settings.")
		require.Equal(t, "403 this needs an organization admin or the plugin's owner", tb.fetchStatus(t, "GET", "/ui/plugins/"+other+"/instances", nil, ""))
		require.Equal(t, `200 `, tb.fetchStatus(t, "GET", "/ui/plugins/"+plugID+"/instances", nil, ""))
	})
}
