package web

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/hub/plugins"
)

// Plugin form bounds.
const (
	// defaultTimeoutMinutes is the hub's run timeout of a plugin created
	// without one (runs.DefaultRunTimeout, 1 h): the form shows it for
	// such a plugin and pre-fills it for a new one.
	defaultTimeoutMinutes = 60
	// maxTimeoutMinutes bounds a plugin's run timeout (one week).
	maxTimeoutMinutes = 7 * 24 * 60
)

// pluginForm is the plugin create/edit form.
type pluginForm struct {
	Name           string
	Description    string
	DefaultConfig  string
	TimeoutMinutes int
	// TimeoutShown is the run timeout the form was shown with: a save that
	// leaves the field alone leaves the plugin's timeout as it is (also
	// one that is not a whole number of minutes, or the hub's default).
	TimeoutShown      int
	MaxTimeoutMinutes int
	Connector         hubtype.Connector
	BaseURL           string
	ConfigError       string
}

// newPluginForm fills the form from a plugin.
func newPluginForm(p *hubtype.Plugin) *pluginForm {
	mins := int(p.RunTimeout / time.Minute)
	if mins <= 0 {
		mins = defaultTimeoutMinutes
	}
	return &pluginForm{
		Name:              p.Name,
		Description:       p.Description,
		DefaultConfig:     cmp.Or(p.DefaultConfig, "{}"),
		TimeoutMinutes:    mins,
		TimeoutShown:      mins,
		MaxTimeoutMinutes: maxTimeoutMinutes,
		Connector:         cmp.Or(p.Connector, hubtype.ConnectorWS),
		BaseURL:           p.BaseURL,
	}
}

// readPluginForm reads the posted form; the error says which field is
// wrong. The plugin service checks the rest (name, connector, base URL).
func readPluginForm(r *http.Request, maxConfig int) (*pluginForm, error) {
	f := &pluginForm{
		Name:              strings.TrimSpace(r.PostFormValue("name")),
		Description:       strings.TrimSpace(r.PostFormValue("description")),
		DefaultConfig:     strings.TrimSpace(r.PostFormValue("default_config")),
		MaxTimeoutMinutes: maxTimeoutMinutes,
		Connector:         hubtype.Connector(r.PostFormValue("connector")),
		BaseURL:           strings.TrimSpace(r.PostFormValue("base_url")),
	}
	f.TimeoutShown, _ = strconv.Atoi(r.PostFormValue("timeout_shown")) // 0 (changed) when missing
	mins, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("timeout_minutes")))
	f.TimeoutMinutes = mins
	if err != nil || mins < 1 || mins > maxTimeoutMinutes {
		return f, inputErrorf("Run timeout must be a whole number of minutes from 1 to %d.", maxTimeoutMinutes)
	}
	if len(f.DefaultConfig) > maxConfig {
		return f, inputErrorf("Default Config JSON is longer than %d bytes.", maxConfig)
	}
	if f.DefaultConfig == "" {
		f.DefaultConfig = "{}"
	}
	if err := CheckConfigJSON(f.DefaultConfig); err != nil {
		f.ConfigError = "Default " + err.Error()
		return f, &InputError{Message: f.ConfigError}
	}
	return f, nil
}

// timeout returns the form's run timeout.
func (f *pluginForm) timeout() time.Duration { return time.Duration(f.TimeoutMinutes) * time.Minute }

// pluginListRow is a line of the plugins list.
type pluginListRow struct {
	*pluginRow
	Owner string
}

// handlePlugins lists the organization's plugins.
func (ui *UI) handlePlugins(q *request) {
	ps, err := ui.plugins.List(q.r.Context(), q.principal())
	if err != nil {
		ui.fail(q, err)
		return
	}
	users, err := ui.users.Emails(q.r.Context(), q.principal())
	if err != nil {
		ui.fail(q, err)
		return
	}
	rows := make([]*pluginListRow, 0, len(ps))
	for _, p := range ps {
		row, err := ui.newPluginRow(q, p)
		if err != nil {
			ui.fail(q, err)
			return
		}
		rows = append(rows, &pluginListRow{pluginRow: row, Owner: users[p.OwnerID]})
	}
	q.show(ui, http.StatusOK, "plugins", "Plugins", "plugins", struct{ Plugins []*pluginListRow }{rows})
}

// pluginNewData is the data of the new plugin page.
type pluginNewData struct {
	Form  *pluginForm
	Error string
}

// handlePluginNew shows the new plugin form.
func (ui *UI) handlePluginNew(q *request) {
	q.show(ui, http.StatusOK, "plugin_new", "New plugin", "plugins", &pluginNewData{Form: newPluginForm(&hubtype.Plugin{})})
}

// handlePluginCreate creates a plugin owned by the caller; its secret is
// not shown yet: the owner reveals it once in the Development box.
func (ui *UI) handlePluginCreate(q *request) {
	f, err := readPluginForm(q.r, ui.plugins.MaxConfigLen())
	var p *hubtype.Plugin
	if err == nil {
		p, _, err = ui.plugins.Create(q.r.Context(), q.principal(), &plugins.CreateParams{
			Name: f.Name, Description: f.Description, DefaultConfig: f.DefaultConfig, RunTimeout: f.timeout(),
			Connector: f.Connector, BaseURL: f.BaseURL,
		})
	}
	if err != nil {
		q.show(ui, statusFor(err), "plugin_new", "New plugin", "plugins", &pluginNewData{Form: f, Error: ui.userMessage(q.r, err)})
		return
	}
	ui.redirect(q.w, q.r, "/plugins/"+p.ID, "ok", "Plugin created. Reveal its secret in the Development box and start your plugin process.")
}

// pluginData is the data of a plugin's page.
type pluginData struct {
	Plugin    *hubtype.Plugin
	CanEdit   bool
	Host      string
	Secret    string
	Instances []Instance
	// HasNodes is true when an instance names its hub node (several
	// replicas): the instance list then shows the node column.
	HasNodes bool
	Form     *pluginForm
	Error    string
}

// loadPlugin returns the plugin of the path's {id} and whether the caller
// may edit it (its owner or an admin).
func (ui *UI) loadPlugin(q *request) (*hubtype.Plugin, bool, error) {
	p, err := ui.plugins.Get(q.r.Context(), q.principal(), q.r.PathValue("id"))
	if err != nil {
		return nil, false, err
	}
	return p, plugins.CanChange(q.principal(), p), nil
}

// showPlugin renders a plugin's page.
func (ui *UI) showPlugin(q *request, status int, d *pluginData) {
	if d.CanEdit {
		insts := instances(ui.plugins.OnlineInstances(q.r.Context(), d.Plugin))
		d.Instances = insts
		d.HasNodes = slices.ContainsFunc(insts, func(i Instance) bool { return i.Node != "" })
		d.Host = ui.hub.PublicURL()
		if d.Form == nil {
			d.Form = newPluginForm(d.Plugin)
		}
	}
	if d.Secret != "" {
		q.w.Header().Set("Cache-Control", "no-store")
	}
	q.show(ui, status, "plugin", d.Plugin.Name, "plugins", d)
}

// handlePlugin shows a plugin; owners and admins get its settings and
// Development box.
func (ui *UI) handlePlugin(q *request) {
	p, canEdit, err := ui.loadPlugin(q)
	if err != nil {
		ui.fail(q, err)
		return
	}
	ui.showPlugin(q, http.StatusOK, &pluginData{Plugin: p, CanEdit: canEdit})
}

// handlePluginUpdate saves a plugin's settings.
func (ui *UI) handlePluginUpdate(q *request) {
	ctx, pr := q.r.Context(), q.principal()
	f, err := readPluginForm(q.r, ui.plugins.MaxConfigLen())
	var p *hubtype.Plugin
	if err == nil {
		params := &plugins.UpdateParams{
			ID: q.r.PathValue("id"), Name: &f.Name, Description: &f.Description, DefaultConfig: &f.DefaultConfig,
			Connector: &f.Connector, BaseURL: &f.BaseURL,
		}
		if f.TimeoutMinutes != f.TimeoutShown {
			timeout := f.timeout()
			params.RunTimeout = &timeout
		}
		p, err = ui.plugins.Update(ctx, pr, params)
	}
	if err != nil {
		saved, canEdit, lerr := ui.loadPlugin(q)
		switch {
		case lerr != nil:
			ui.fail(q, lerr)
		case !canEdit:
			ui.fail(q, errForbidden)
		default:
			ui.showPlugin(q, statusFor(err), &pluginData{Plugin: saved, CanEdit: true, Form: f, Error: ui.userMessage(q.r, err)})
		}
		return
	}
	ui.redirect(q.w, q.r, "/plugins/"+p.ID, "ok", "Plugin saved.")
}

// handlePluginDelete deletes a plugin.
func (ui *UI) handlePluginDelete(q *request) {
	p, err := ui.plugins.Delete(q.r.Context(), q.principal(), q.r.PathValue("id"))
	if err != nil {
		ui.fail(q, err)
		return
	}
	ui.redirect(q.w, q.r, "/plugins", "ok", "Plugin "+p.Name+" deleted.")
}

// handlePluginReveal shows the plugin's secret once.
func (ui *UI) handlePluginReveal(q *request) {
	p, secret, err := ui.plugins.RevealSecret(q.r.Context(), q.principal(), q.r.PathValue("id"))
	if errors.Is(err, hubtype.ErrConflict) {
		ui.redirect(q.w, q.r, "/plugins/"+q.r.PathValue("id"), "error", "The secret was already revealed; rotate it to get a new one.")
		return
	}
	if err != nil {
		ui.fail(q, err)
		return
	}
	ui.showPlugin(q, http.StatusOK, &pluginData{Plugin: p, CanEdit: true, Secret: secret})
}

// handlePluginRotate gives the plugin a new secret and shows it once.
func (ui *UI) handlePluginRotate(q *request) {
	p, secret, err := ui.plugins.RotateSecret(q.r.Context(), q.principal(), q.r.PathValue("id"))
	if err != nil {
		ui.fail(q, err)
		return
	}
	ui.showPlugin(q, http.StatusOK, &pluginData{Plugin: p, CanEdit: true, Secret: secret})
}

// instances converts connected instances for the Development box.
func instances(list []hubtype.InstanceInfo) []Instance {
	out := make([]Instance, 0, len(list))
	for _, i := range list {
		out = append(out, Instance{ID: i.ID, RemoteAddr: i.RemoteAddr, ConnectedAt: i.ConnectedAt, LastHeartbeat: i.LastHeartbeat, Runs: i.Runs, Node: i.Node})
	}
	return out
}

// statusFor returns the HTTP status of a form answered with err.
func statusFor(err error) int {
	var ie *InputError
	var ce *StorageCheckError
	var fe *hubtype.FieldError
	switch {
	case errors.As(err, &ie) || errors.As(err, &ce) || errors.As(err, &fe):
		return http.StatusBadRequest
	case errors.Is(err, hubtype.ErrConflict):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}
