package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/store"
)

// TestUI_StorageCreate checks the messages of the storages page's add
// form: in the form's words (never the API's skipCheck), with the form
// kept as typed except the secret key, and "Save without checking the
// bucket" storing a bucket that does not answer.
func TestUI_StorageCreate(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	// Nothing listens on port 1 of the loopback address: the bucket check
	// fails at once with a refused connection.
	const deadEndpoint = "http://127.0.0.1:1"
	form := func(name, endpoint, secret string, skip bool) url.Values {
		v := url.Values{"name": {name}, "bucket": {"exports"}, "endpoint": {endpoint}, "region": {"eu-west-1"},
			"access_key": {"AKIDEXAMPLE"}, "secret_key": {secret}}
		if skip {
			v.Set("skip_check", "1")
		}
		return v
	}
	tests := []struct {
		name string
		form url.Values
		// want is the message shown above the form; "" means the storage
		// is added.
		want string
	}{
		{"BucketDoesNotAnswer", form("Dead bucket", deadEndpoint, "s3cr3t-value", false),
			`Cannot add the storage: bucket "exports" at http://127.0.0.1:1 does not answer with these credentials: `},
		{"SecretKeyMissing", form("No secret", deadEndpoint, "", false), "Cannot add the storage: Secret key is required."},
		{"NameMissing", form(" ", deadEndpoint, "s3cr3t-value", false), "Cannot add the storage: Name is required."},
		{"EndpointNotAURL", form("Bad endpoint", "s3.example.com", "s3cr3t-value", false),
			`Cannot add the storage: endpoint "s3.example.com" must be an http(s) URL such as https://s3.example.com`},
		{"SaveWithoutChecking", form("Later bucket", deadEndpoint, "s3cr3t-value", true), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBrowser(t, h.URL)
			b.signIn(t, h.AdminKey, "")
			_, page := b.get(t, "/org/storages")
			tt.form.Set("csrf_token", token(t, page))
			resp, body := b.post(t, "/org/storages", tt.form)
			sts, err := h.Server.Store().StorageList(context.Background(), h.OrgID)
			require.NoError(t, err)
			stored := slices.ContainsFunc(sts, func(s *store.Storage) bool { return s.Name == tt.form.Get("name") })
			require.Equal(t, tt.want == "", stored, "stored: got %t", stored)
			if tt.want == "" {
				require.Equal(t, http.StatusSeeOther, resp.StatusCode, "got %s", body)
				_, page = b.get(t, "/org/storages")
				require.Contains(t, page, "Storage "+tt.form.Get("name")+" was added.")
				require.NotContains(t, page, tt.form.Get("secret_key"), "the secret key is never shown")
				return
			}
			require.Equal(t, http.StatusBadRequest, resp.StatusCode)
			text := html.UnescapeString(body)
			require.Contains(t, text, tt.want)
			require.NotContains(t, text, "skipCheck")
			require.NotContains(t, text, "s3cr3t-value", "the secret key is not sent back")
			if tt.name == "BucketDoesNotAnswer" {
				require.Contains(t, text, `Check the bucket, endpoint, region and credentials, or tick "Save without checking the bucket" to save it as it is.`)
			}
			// The form comes back as typed.
			require.Contains(t, body, `id="s-bucket" name="bucket" required value="exports"`)
			require.Contains(t, body, `id="s-access" name="access_key" autocomplete="off" spellcheck="false" value="AKIDEXAMPLE"`)
			require.Contains(t, body, `name="region" placeholder="us-east-1" value="eu-west-1"`)
		})
	}
}

// TestUI_StorageCreateProviders checks the add form's messages for the
// credentials of Google Cloud and Azure storages, in the form's words.
func TestUI_StorageCreateProviders(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{"GCPNoKey", url.Values{"provider": {"GCP"}}, "Cannot add the storage: Service account key is required."},
		{"GCPNotAKey", url.Values{"provider": {"GCP"}, "credentials": {`{"type": "authorized_user"}`}},
			`Cannot add the storage: credentials is a "authorized_user" key; GCP storages need a service-account key ("type": "service_account")`},
		{"AzureNoAccount", url.Values{"provider": {"AZURE"}, "account_key": {"a2V5"}}, "Cannot add the storage: Account name is required."},
		{"AzureNoKey", url.Values{"provider": {"AZURE"}, "account_name": {"acct"}}, "Cannot add the storage: Account key or SAS token is required."},
		{"AzureSASNotProxied", url.Values{"provider": {"AZURE"}, "account_name": {"acct"}, "sas_token": {"sv=1&sig=x"}},
			"Cannot add the storage: a storage with a sasToken must be proxied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBrowser(t, h.URL)
			b.signIn(t, h.AdminKey, "")
			_, page := b.get(t, "/org/storages")
			tt.form.Set("csrf_token", token(t, page))
			tt.form.Set("name", tt.name)
			tt.form.Set("bucket", "exports")
			resp, body := b.post(t, "/org/storages", tt.form)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode)
			text := html.UnescapeString(body)
			require.Contains(t, text, tt.want)
			require.Contains(t, body, `<option value="`+tt.form.Get("provider")+`" selected>`, "the chosen provider stays selected")
			for _, secret := range []string{"a2V5", "sv=1&amp;sig=x", "authorized_user"} {
				require.NotContains(t, body, `value="`+secret+`"`, "secrets are not sent back")
			}
		})
	}
}
