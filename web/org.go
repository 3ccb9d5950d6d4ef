package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/hub/users"
)

// Form bounds, as the user service enforces them.
const (
	minPasswordLen = users.MinPasswordLen
	maxPasswordLen = users.MaxPasswordLen
	maxKeyNameLen  = users.MaxNameLen
)

// membersData is the data of the members page.
type membersData struct {
	Section     string
	Users       []*hubtype.User
	MinPassword int
}

// handleMembers lists the organization's users.
func (ui *UI) handleMembers(q *request) {
	us, err := ui.users.List(q.r.Context(), q.principal())
	if err != nil {
		ui.fail(q, err)
		return
	}
	q.show(ui, http.StatusOK, "org_members", "Members", "org", &membersData{Section: "members", Users: us, MinPassword: minPasswordLen})
}

// handleMemberCreate adds a user to the organization.
func (ui *UI) handleMemberCreate(q *request) {
	f := q.r.PostFormValue
	u, err := ui.users.Create(q.r.Context(), q.principal(), &users.CreateParams{
		Email: f("email"), Name: f("name"), Role: hubtype.Role(cmp.Or(f("role"), string(hubtype.RoleMember))), Password: f("password"),
	})
	if err != nil {
		ui.redirect(q.w, q.r, "/org/members", "error", "Cannot add the member: "+ui.userMessage(q.r, err))
		return
	}
	ui.redirect(q.w, q.r, "/org/members", "ok", u.Email+" was added.")
}

// handleMemberRole changes a user's role (not one's own).
func (ui *UI) handleMemberRole(q *request) {
	u, err := ui.users.SetRole(q.r.Context(), q.principal(), &users.SetRoleParams{UserID: q.r.PathValue("id"), Role: hubtype.Role(q.r.PostFormValue("role"))})
	switch {
	case errors.Is(err, hubtype.ErrNotFound):
		ui.fail(q, err)
		return
	case err != nil:
		ui.redirect(q.w, q.r, "/org/members", "error", "Cannot change the role: "+ui.userMessage(q.r, err))
		return
	}
	ui.redirect(q.w, q.r, "/org/members", "ok", fmt.Sprintf("%s is now %s.", u.Email, u.Role))
}

// handleMemberDelete removes a user (not oneself, so an admin remains).
func (ui *UI) handleMemberDelete(q *request) {
	u, err := ui.users.Delete(q.r.Context(), q.principal(), q.r.PathValue("id"))
	switch {
	case errors.Is(err, hubtype.ErrNotFound):
		ui.fail(q, err)
		return
	case err != nil:
		ui.redirect(q.w, q.r, "/org/members", "error", "Cannot remove the member: "+ui.userMessage(q.r, err))
		return
	}
	ui.redirect(q.w, q.r, "/org/members", "ok", u.Email+" was removed.")
}

// keyRow is a line of the API keys page.
type keyRow struct {
	ID         string
	Name       string
	Prefix     string
	User       string
	LastUsedAt *time.Time
	// State is "active", "revoked" or "expired".
	State string
}

// keysData is the data of the API keys page.
type keysData struct {
	Section string
	Keys    []*keyRow
	// NewKey is a key just created, shown once.
	NewKey string
}

// showKeys renders the API keys page.
func (ui *UI) showKeys(q *request, newKey string) {
	ks, err := ui.users.Keys(q.r.Context(), q.principal())
	if err != nil {
		ui.fail(q, err)
		return
	}
	users, err := ui.users.Emails(q.r.Context(), q.principal())
	if err != nil {
		ui.fail(q, err)
		return
	}
	now := time.Now()
	d := &keysData{Section: "keys", NewKey: newKey}
	for _, k := range ks {
		row := &keyRow{ID: k.ID, Name: k.Name, Prefix: k.Prefix, User: users[k.UserID], LastUsedAt: k.LastUsedAt, State: "active"}
		switch {
		case k.RevokedAt != nil:
			row.State = "revoked"
		case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
			row.State = "expired"
		}
		d.Keys = append(d.Keys, row)
	}
	if newKey != "" {
		q.w.Header().Set("Cache-Control", "no-store")
	}
	q.show(ui, http.StatusOK, "org_keys", "API keys", "org", d)
}

// handleKeys lists the organization's API keys.
func (ui *UI) handleKeys(q *request) { ui.showKeys(q, "") }

// handleKeyCreate creates an API key for the caller and shows it once.
func (ui *UI) handleKeyCreate(q *request) {
	key, _, err := ui.users.CreateKey(q.r.Context(), q.principal(), &users.CreateKeyParams{Name: q.r.PostFormValue("name")})
	var fe *hubtype.FieldError
	switch {
	case errors.As(err, &fe) && fe.Field == "name":
		ui.redirect(q.w, q.r, "/org/keys", "error", fmt.Sprintf("The key needs a name of 1 to %d characters.", maxKeyNameLen))
		return
	case err != nil:
		ui.redirect(q.w, q.r, "/org/keys", "error", "Cannot create the key: "+ui.userMessage(q.r, err))
		return
	}
	ui.showKeys(q, key)
}

// handleKeyRevoke revokes an API key of the organization.
func (ui *UI) handleKeyRevoke(q *request) {
	if _, err := ui.users.RevokeKey(q.r.Context(), q.principal(), q.r.PathValue("id")); err != nil {
		ui.fail(q, err)
		return
	}
	ui.redirect(q.w, q.r, "/org/keys", "ok", "The key was revoked.")
}

// storagesData is the data of the storages page.
type storagesData struct {
	Section  string
	Storages []*hubtype.Storage
	// Form holds what was typed into the add form when adding failed
	// (never the secret key); nil for an empty form.
	Form *storageForm
	// Error says why adding failed.
	Error string
}

// storageForm is the add form of the storages page.
type storageForm struct {
	Name string
	// Provider is AWS, GCP or AZURE.
	Provider    string
	Bucket      string
	Endpoint    string
	Region      string
	AccessKey   string
	AccountName string
	// Proxied is the "Serve its URLs through the hub" checkbox.
	Proxied bool
	// SkipCheck is the "Save without checking the bucket" checkbox.
	SkipCheck bool
}

// storageSecrets are the secret fields of the add form, never shown
// again.
type storageSecrets struct {
	SecretKey, Credentials, AccountKey, SASToken string
}

// missing names the first required field of the form left empty, in the
// form's words; "" when all are there. The hub checks the rest.
func (f *storageForm) missing(sec *storageSecrets) string {
	fields := []struct{ label, value string }{{"Name", f.Name}, {"Bucket", f.Bucket}}
	switch f.Provider {
	case blob.ProviderGCP:
		fields = append(fields, struct{ label, value string }{"Service account key", sec.Credentials})
	case blob.ProviderAzure:
		fields = append(fields, struct{ label, value string }{"Account name", f.AccountName},
			struct{ label, value string }{"Account key or SAS token", sec.AccountKey + sec.SASToken})
	default:
		fields = append(fields, struct{ label, value string }{"Access key", f.AccessKey},
			struct{ label, value string }{"Secret key", sec.SecretKey})
	}
	for _, field := range fields {
		if strings.TrimSpace(field.value) == "" {
			return field.label + " is required."
		}
	}
	return ""
}

// handleStorages lists the organization's storages.
func (ui *UI) handleStorages(q *request) {
	ui.showStorages(q, http.StatusOK, nil, "")
}

// showStorages renders the storages page, with the add form filled and
// its error when adding failed.
func (ui *UI) showStorages(q *request, status int, form *storageForm, errText string) {
	ss, err := ui.hub.Storages(q.r.Context(), q.principal())
	if err != nil {
		ui.fail(q, err)
		return
	}
	q.show(ui, status, "org_storages", "Storages", "org", &storagesData{Section: "storages", Storages: ss, Form: form, Error: errText})
}

// handleStorageCreate registers a storage on AWS (or any S3-compatible
// service), GCP or Azure. When the bucket does not answer (or a field is
// wrong) the page comes back with the form as typed, except the secrets,
// and says what to do.
func (ui *UI) handleStorageCreate(q *request) {
	f := q.r.PostFormValue
	form := &storageForm{
		Name:        strings.TrimSpace(f("name")),
		Provider:    cmp.Or(strings.TrimSpace(f("provider")), blob.ProviderAWS),
		Bucket:      strings.TrimSpace(f("bucket")),
		Endpoint:    strings.TrimSpace(f("endpoint")),
		Region:      strings.TrimSpace(f("region")),
		AccessKey:   strings.TrimSpace(f("access_key")),
		AccountName: strings.TrimSpace(f("account_name")),
		Proxied:     f("proxied") != "",
		SkipCheck:   f("skip_check") != "",
	}
	sec := &storageSecrets{SecretKey: f("secret_key"), Credentials: f("credentials"), AccountKey: f("account_key"), SASToken: f("sas_token")}
	if msg := form.missing(sec); msg != "" {
		ui.showStorages(q, http.StatusBadRequest, form, "Cannot add the storage: "+msg)
		return
	}
	in := &blob.StorageInput{Provider: form.Provider, Endpoint: form.Endpoint, Region: form.Region, Bucket: form.Bucket, Proxied: form.Proxied}
	switch form.Provider {
	case blob.ProviderGCP:
		in.Credentials = sec.Credentials
	case blob.ProviderAzure:
		in.AccountName, in.AccountKey, in.SASToken = form.AccountName, sec.AccountKey, sec.SASToken
	default:
		in.AccessKey, in.SecretKey = form.AccessKey, sec.SecretKey
	}
	st, err := ui.hub.CreateStorage(q.r.Context(), q.org.ID, form.Name, in, form.SkipCheck)
	if err != nil {
		ui.showStorages(q, statusFor(err), form, "Cannot add the storage: "+ui.storageMessage(q, err))
		return
	}
	ui.redirect(q.w, q.r, "/org/storages", "ok", "Storage "+st.Name+" was added.")
}

// storageMessage says why a storage could not be added, in the words of
// the add form.
func (ui *UI) storageMessage(q *request, err error) string {
	var ce *StorageCheckError
	if errors.As(err, &ce) {
		return ce.Error() + `. Check the bucket, endpoint, region and credentials, or tick "Save without checking the bucket" to save it as it is.`
	}
	return ui.userMessage(q.r, err)
}

// handleStorageDelete removes a storage.
func (ui *UI) handleStorageDelete(q *request) {
	if err := ui.hub.DeleteStorage(q.r.Context(), q.org.ID, q.r.PathValue("id")); err != nil {
		if errors.Is(err, hubtype.ErrNotFound) {
			ui.fail(q, err)
			return
		}
		ui.redirect(q.w, q.r, "/org/storages", "error", "Cannot delete the storage: "+ui.userMessage(q.r, err))
		return
	}
	ui.redirect(q.w, q.r, "/org/storages", "ok", "The storage was deleted.")
}

// accountData is the data of the account page.
type accountData struct {
	MinPassword int
}

// handleAccount shows the caller's account.
func (ui *UI) handleAccount(q *request) {
	q.show(ui, http.StatusOK, "account", "Account", "account", &accountData{MinPassword: minPasswordLen})
}

// handlePasswordSet sets or changes the caller's password; changing one
// needs the current password.
func (ui *UI) handlePasswordSet(q *request) {
	f := q.r.PostFormValue
	again := func(msg string) { ui.redirect(q.w, q.r, "/account", "error", msg) }
	if f("new") != f("confirm") {
		again("The two new passwords differ.")
		return
	}
	err := ui.users.SetPassword(q.r.Context(), q.principal(), &users.SetPasswordParams{Current: f("current"), New: f("new")})
	var fe *hubtype.FieldError
	switch {
	case errors.Is(err, ErrBadCredentials):
		again("The current password is wrong.")
		return
	case errors.As(err, &fe) && fe.Field == "password":
		again(fmt.Sprintf("The password must be %d to %d bytes long.", minPasswordLen, maxPasswordLen))
		return
	case err != nil:
		again("Cannot set the password: " + ui.userMessage(q.r, err))
		return
	}
	// A new password ends the sessions signed in with the old one, this
	// one included: it goes on as a new session with the new password.
	if q.ws.APIKeyID == "" {
		if err := ui.renewPasswordSession(q); err != nil {
			ui.serverError(q.w, q.r, err)
			return
		}
	}
	ui.redirect(q.w, q.r, "/account", "ok", "Your password was saved. You can sign in with your e-mail and it.")
}

// renewPasswordSession replaces q's password session, which the new
// password ended, with one for the new password.
func (ui *UI) renewPasswordSession(q *request) error {
	u, _, err := ui.users.Me(q.r.Context(), q.principal())
	if err != nil {
		return err
	}
	if c, err := q.r.Cookie(SessionCookie); err == nil {
		if err := ui.users.EndSession(q.r.Context(), c.Value); err != nil {
			return err
		}
	}
	return ui.startSession(q.w, q.r, u, nil)
}

// InstancesResponse is the body of GET /ui/plugins/{id}/instances.
type InstancesResponse struct {
	Instances []Instance `json:"instances"`
}

// handleInstances lists a plugin's connected instances for its
// Development box (owner or admin).
func (ui *UI) handleInstances(q *request) {
	insts, err := ui.plugins.Instances(q.r.Context(), q.principal(), q.r.PathValue("id"))
	if err != nil {
		ui.apiFail(q, err)
		return
	}
	writeJSON(q.w, http.StatusOK, &InstancesResponse{Instances: instances(insts)})
}
