package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/store"
)

// Plugin form bounds.
const (
	// defaultTimeoutMinutes pre-fills the run timeout of a new plugin.
	defaultTimeoutMinutes = 30
	// maxTimeoutMinutes bounds a plugin's run timeout (one week).
	maxTimeoutMinutes = 7 * 24 * 60
	// maxConfigLen bounds a Config JSON text.
	maxConfigLen = 64 << 10
)

// pluginForm is the plugin create/edit form.
type pluginForm struct {
	Name              string
	Description       string
	DefaultConfig     string
	TimeoutMinutes    int
	MaxTimeoutMinutes int
	Connector         store.Connector
	BaseURL           string
	ConfigError       string
}

// newPluginForm fills the form from a plugin.
func newPluginForm(p *store.Plugin) *pluginForm {
	mins := int(p.RunTimeout / time.Minute)
	if mins <= 0 {
		mins = defaultTimeoutMinutes
	}
	return &pluginForm{
		Name:              p.Name,
		Description:       p.Description,
		DefaultConfig:     cmp.Or(p.DefaultConfig, "{}"),
		TimeoutMinutes:    mins,
		MaxTimeoutMinutes: maxTimeoutMinutes,
		Connector:         cmp.Or(p.Connector, store.ConnectorWS),
		BaseURL:           p.BaseURL,
	}
}

// readPluginForm reads the posted form into f and p; the error says which
// field is wrong. The hub validates the rest (name, connector, base URL).
func readPluginForm(r *http.Request, p *store.Plugin) (*pluginForm, error) {
	f := &pluginForm{
		Name:              strings.TrimSpace(r.PostFormValue("name")),
		Description:       strings.TrimSpace(r.PostFormValue("description")),
		DefaultConfig:     strings.TrimSpace(r.PostFormValue("default_config")),
		MaxTimeoutMinutes: maxTimeoutMinutes,
		Connector:         store.Connector(r.PostFormValue("connector")),
		BaseURL:           strings.TrimSpace(r.PostFormValue("base_url")),
	}
	mins, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("timeout_minutes")))
	f.TimeoutMinutes = mins
	if err != nil || mins < 1 || mins > maxTimeoutMinutes {
		return f, inputErrorf("Run timeout must be a whole number of minutes from 1 to %d.", maxTimeoutMinutes)
	}
	if len(f.DefaultConfig) > maxConfigLen {
		return f, inputErrorf("Default Config JSON is longer than %d bytes.", maxConfigLen)
	}
	if f.DefaultConfig == "" {
		f.DefaultConfig = "{}"
	}
	if err := CheckConfigJSON(f.DefaultConfig); err != nil {
		f.ConfigError = "Default " + err.Error()
		return f, &InputError{Message: f.ConfigError}
	}
	p.Name, p.Description, p.DefaultConfig = f.Name, f.Description, f.DefaultConfig
	p.RunTimeout = time.Duration(mins) * time.Minute
	p.Connector, p.BaseURL = f.Connector, f.BaseURL
	return f, nil
}

// pluginListRow is a line of the plugins list.
type pluginListRow struct {
	*pluginRow
	Owner string
}

// handlePlugins lists the organization's plugins.
func (ui *UI) handlePlugins(q *request) {
	ps, err := ui.store.PluginList(q.r.Context(), q.org.ID)
	if err != nil {
		ui.fail(q, fmt.Errorf("list plugins: %w", err))
		return
	}
	users, err := ui.userNames(q)
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
	q.show(ui, http.StatusOK, "plugin_new", "New plugin", "plugins", &pluginNewData{Form: newPluginForm(&store.Plugin{})})
}

// handlePluginCreate creates a plugin owned by the caller.
func (ui *UI) handlePluginCreate(q *request) {
	p := &store.Plugin{OrgID: q.org.ID, OwnerID: q.user.ID}
	f, err := readPluginForm(q.r, p)
	if err == nil {
		err = ui.hub.CreatePlugin(q.r.Context(), p)
	}
	if err != nil {
		q.show(ui, statusFor(err), "plugin_new", "New plugin", "plugins", &pluginNewData{Form: f, Error: ui.userMessage(q.r, err)})
		return
	}
	ui.redirect(q.w, q.r, "/plugins/"+p.ID, "ok", "Plugin created. Reveal its secret in the Development box and start your plugin process.")
}

// pluginData is the data of a plugin's page.
type pluginData struct {
	Plugin    *store.Plugin
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
func (ui *UI) loadPlugin(q *request) (*store.Plugin, bool, error) {
	p, err := ui.store.PluginGet(q.r.Context(), q.org.ID, q.r.PathValue("id"))
	if err != nil {
		return nil, false, fmt.Errorf("get plugin: %w", err)
	}
	return p, q.isAdmin() || p.OwnerID == q.user.ID, nil
}

// showPlugin renders a plugin's page.
func (ui *UI) showPlugin(q *request, status int, d *pluginData) {
	if d.CanEdit {
		insts, err := ui.hub.PluginInstances(q.r.Context(), q.org.ID, d.Plugin.ID)
		if err != nil {
			ui.fail(q, fmt.Errorf("list instances: %w", err))
			return
		}
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

// editablePlugin loads the path's plugin for a change by its owner or an
// admin; it answers the request itself and returns nil otherwise.
func (ui *UI) editablePlugin(q *request) *store.Plugin {
	p, canEdit, err := ui.loadPlugin(q)
	if err == nil && !canEdit {
		err = errForbidden
	}
	if err != nil {
		ui.fail(q, err)
		return nil
	}
	return p
}

// handlePluginUpdate saves a plugin's settings.
func (ui *UI) handlePluginUpdate(q *request) {
	p := ui.editablePlugin(q)
	if p == nil {
		return
	}
	saved := *p
	f, err := readPluginForm(q.r, p)
	if err == nil {
		err = ui.hub.UpdatePlugin(q.r.Context(), p)
	}
	if err != nil {
		ui.showPlugin(q, statusFor(err), &pluginData{Plugin: &saved, CanEdit: true, Form: f, Error: ui.userMessage(q.r, err)})
		return
	}
	ui.redirect(q.w, q.r, "/plugins/"+p.ID, "ok", "Plugin saved.")
}

// handlePluginDelete deletes a plugin.
func (ui *UI) handlePluginDelete(q *request) {
	p := ui.editablePlugin(q)
	if p == nil {
		return
	}
	if err := ui.hub.DeletePlugin(q.r.Context(), q.org.ID, p.ID); err != nil {
		ui.fail(q, fmt.Errorf("delete plugin: %w", err))
		return
	}
	ui.redirect(q.w, q.r, "/plugins", "ok", "Plugin "+p.Name+" deleted.")
}

// handlePluginReveal shows the plugin's secret once.
func (ui *UI) handlePluginReveal(q *request) {
	p := ui.editablePlugin(q)
	if p == nil {
		return
	}
	secret, err := ui.hub.RevealPluginSecret(q.r.Context(), p)
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) {
			ui.redirect(q.w, q.r, "/plugins/"+p.ID, "error", ie.Message)
			return
		}
		ui.fail(q, fmt.Errorf("reveal plugin secret: %w", err))
		return
	}
	p.SecretRevealed = true
	ui.showPlugin(q, http.StatusOK, &pluginData{Plugin: p, CanEdit: true, Secret: secret})
}

// handlePluginRotate gives the plugin a new secret and shows it once.
func (ui *UI) handlePluginRotate(q *request) {
	p := ui.editablePlugin(q)
	if p == nil {
		return
	}
	secret, err := ui.hub.RotatePluginSecret(q.r.Context(), p)
	if err != nil {
		ui.fail(q, fmt.Errorf("rotate plugin secret: %w", err))
		return
	}
	p.SecretRevealed = true
	ui.showPlugin(q, http.StatusOK, &pluginData{Plugin: p, CanEdit: true, Secret: secret})
}

// statusFor returns the HTTP status of a form answered with err.
func statusFor(err error) int {
	var ie *InputError
	var ce *StorageCheckError
	if errors.As(err, &ie) || errors.As(err, &ce) {
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}
