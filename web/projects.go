package web

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/hub/plugins"
)

// projectRow is a line of the projects list.
type projectRow struct {
	ID          string
	Name        string
	Description string
	Assets      int64
	CreatedAt   time.Time
}

// handleProjects lists the organization's projects.
func (ui *UI) handleProjects(q *request) {
	ctx := q.r.Context()
	ps, err := ui.projects.List(ctx, q.principal())
	if err != nil {
		ui.fail(q, err)
		return
	}
	rows := make([]*projectRow, 0, len(ps))
	for _, p := range ps {
		n, err := ui.projects.AssetTotal(ctx, q.principal(), p.ID)
		if err != nil {
			ui.fail(q, err)
			return
		}
		rows = append(rows, &projectRow{ID: p.ID, Name: p.Name, Description: p.Description, Assets: n, CreatedAt: p.CreatedAt})
	}
	q.show(ui, http.StatusOK, "projects", "Projects", "projects", struct{ Projects []*projectRow }{rows})
}

// projectData is the data every project tab gets.
type projectData struct {
	Project *hubtype.Project
	// Tab is "overview", "exports", "runs" or "settings".
	Tab string
	// Section is the settings section: "general" or "plugins".
	Section string
}

// loadProject returns the project of the path's {pid} in the caller's
// organization.
func (ui *UI) loadProject(q *request) (*hubtype.Project, error) {
	p, err := ui.projects.Get(q.r.Context(), q.principal(), q.r.PathValue("pid"))
	if err != nil {
		return nil, fmt.Errorf("get project: %w", err)
	}
	p.Stages = hubtype.NormalizeStages(p.Stages)
	return p, nil
}

// countRow is a named asset count.
type countRow struct {
	Name  string
	Count int64
}

// overviewData is the data of the Overview tab.
type overviewData struct {
	projectData
	runDialogsData
	Counts  *hubtype.AssetCounts
	ByStage []countRow
	ByBatch []countRow
}

// handleProjectOverview shows asset counts per stage and batch.
func (ui *UI) handleProjectOverview(q *request) {
	p, err := ui.loadProject(q)
	if err != nil {
		ui.fail(q, err)
		return
	}
	counts, err := ui.projects.Counts(q.r.Context(), q.principal(), p.ID)
	if err != nil {
		ui.fail(q, err)
		return
	}
	dialogs, err := ui.loadRunDialogs(q, p)
	if err != nil {
		ui.fail(q, err)
		return
	}
	d := &overviewData{projectData: projectData{Project: p, Tab: "overview"}, runDialogsData: dialogs, Counts: counts}
	seen := map[string]bool{}
	for _, s := range p.Stages {
		seen[s.ID] = true
		d.ByStage = append(d.ByStage, countRow{Name: cmp.Or(s.Name, s.ID), Count: counts.ByStage[s.ID]})
	}
	d.ByStage = append(d.ByStage, extraCounts(counts.ByStage, seen)...)
	seen = map[string]bool{}
	for _, b := range p.Batches {
		seen[b.Name] = true
		d.ByBatch = append(d.ByBatch, countRow{Name: b.Name, Count: counts.ByBatch[b.Name]})
	}
	d.ByBatch = append(d.ByBatch, extraCounts(counts.ByBatch, seen)...)
	q.show(ui, http.StatusOK, "project_overview", p.Name, "projects", d)
}

// extraCounts returns the counts whose names are not in seen, by name.
func extraCounts(m map[string]int64, seen map[string]bool) []countRow {
	var out []countRow
	for name, n := range m {
		if !seen[name] {
			out = append(out, countRow{Name: name, Count: n})
		}
	}
	slices.SortFunc(out, func(a, b countRow) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// listNames returns, by id, the e-mails of the organization's users and
// the names of its plugins: the By and Plugin columns of the lists.
func (ui *UI) listNames(q *request) (users, pluginNames map[string]string, err error) {
	ctx := q.r.Context()
	users, err = ui.users.Emails(ctx, q.principal())
	if err != nil {
		return nil, nil, err
	}
	plugins, err := ui.plugins.List(ctx, q.principal())
	if err != nil {
		return nil, nil, err
	}
	pluginNames = make(map[string]string, len(plugins))
	for _, pl := range plugins {
		pluginNames[pl.ID] = pl.Name
	}
	return users, pluginNames, nil
}

// exportRow is a line of the Exports tab.
type exportRow struct {
	ID          string
	FileName    string
	Plugin      string
	By          string
	CreatedAt   time.Time
	Size        int64
	DownloadURL string
}

// exportDownloadPath is the download URL of an export: the hub's API
// endpoint, which the browser reaches with its session cookie.
func exportDownloadPath(id string) string { return "/api/exports/" + id + "/download" }

// handleProjectExports lists the project's past exports.
func (ui *UI) handleProjectExports(q *request) {
	ctx := q.r.Context()
	p, err := ui.loadProject(q)
	if err != nil {
		ui.fail(q, err)
		return
	}
	es, err := ui.projects.Exports(ctx, q.principal(), p.ID)
	if err != nil {
		ui.fail(q, err)
		return
	}
	users, pluginNames, err := ui.listNames(q)
	if err != nil {
		ui.fail(q, err)
		return
	}
	rows := make([]*exportRow, 0, len(es))
	for _, e := range es {
		rows = append(rows, &exportRow{
			ID:          e.ID,
			FileName:    e.FileName,
			Plugin:      cmp.Or(pluginNames[e.PluginID], "(deleted plugin)"),
			By:          cmp.Or(users[e.UserID], "(deleted user)"),
			CreatedAt:   e.CreatedAt,
			Size:        e.Size,
			DownloadURL: exportDownloadPath(e.ID),
		})
	}
	dialogs, err := ui.loadRunDialogs(q, p)
	if err != nil {
		ui.fail(q, err)
		return
	}
	q.show(ui, http.StatusOK, "project_exports", p.Name+": exports", "projects", struct {
		projectData
		runDialogsData
		Exports []*exportRow
	}{projectData{Project: p, Tab: "exports"}, dialogs, rows})
}

// runRow is a line of the Runs tab.
type runRow struct {
	Plugin string
	By     string
	Status hubtype.RunStatus
	// StatusText is the status as people read it ("timed out").
	StatusText string
	Message    string
	CreatedAt  time.Time
	// Duration is how long the run took, "" while it is active.
	Duration string
	PageURL  string
}

// maxRunRows bounds the Runs tab (the newest runs).
const maxRunRows = 200

// runDuration words how long an ended run took, from its start (its
// creation when it never started) to its end; "" for an active run.
func runDuration(r *hubtype.Run) string {
	if r.EndedAt == nil {
		return ""
	}
	from := r.CreatedAt
	if r.StartedAt != nil {
		from = *r.StartedAt
	}
	d := max(r.EndedAt.Sub(from), 0)
	if d < time.Second {
		return "< 1 s"
	}
	return d.Round(time.Second).String()
}

// handleProjectRuns lists the project's runs, failed ones included.
func (ui *UI) handleProjectRuns(q *request) {
	ctx := q.r.Context()
	p, err := ui.loadProject(q)
	if err != nil {
		ui.fail(q, err)
		return
	}
	rs, err := ui.projects.Runs(ctx, q.principal(), p.ID, maxRunRows)
	if err != nil {
		ui.fail(q, err)
		return
	}
	users, pluginNames, err := ui.listNames(q)
	if err != nil {
		ui.fail(q, err)
		return
	}
	rows := make([]*runRow, 0, len(rs))
	for _, r := range rs {
		rows = append(rows, &runRow{
			Plugin:     cmp.Or(pluginNames[r.PluginID], "(deleted plugin)"),
			By:         cmp.Or(users[r.UserID], "(deleted user)"),
			Status:     r.Status,
			StatusText: runStatusText(r.Status),
			Message:    r.Message,
			CreatedAt:  r.CreatedAt,
			Duration:   runDuration(r),
			PageURL:    runPagePath(p.ID, r.ID),
		})
	}
	dialogs, err := ui.loadRunDialogs(q, p)
	if err != nil {
		ui.fail(q, err)
		return
	}
	q.show(ui, http.StatusOK, "project_runs", p.Name+": runs", "projects", struct {
		projectData
		runDialogsData
		Runs []*runRow
	}{projectData{Project: p, Tab: "runs"}, dialogs, rows})
}

// projectForm is what the project form (new project, Settings →
// General) shows. The browser sends it to the hub's project API
// (POST /api/projects, PATCH /api/projects/{id}), so a project is
// created and edited under the API's rules, field for field.
type projectForm struct {
	// ID is the project's id; "" for a new project.
	ID          string
	Name        string
	Description string
	// Stages is the workflow as Ango's stages JSON, indented; "" for a
	// new project (the default workflow).
	Stages string
	// Batches holds the batch names, one a line.
	Batches string
	// CategorySchema is the category schema JSON, indented.
	CategorySchema string
}

// newProjectForm fills the project form from p.
func newProjectForm(p *hubtype.Project) (*projectForm, error) {
	f := &projectForm{ID: p.ID, Name: p.Name, Description: p.Description}
	stages, err := json.MarshalIndent(p.Stages, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("show stages of project %s: %w", p.ID, err)
	}
	f.Stages = string(stages)
	for _, b := range p.Batches {
		f.Batches += b.Name + "\n"
	}
	if len(p.CategorySchema) > 0 {
		var out bytes.Buffer
		if err := json.Indent(&out, p.CategorySchema, "", "  "); err != nil {
			return nil, fmt.Errorf("show category schema of project %s: %w", p.ID, err)
		}
		f.CategorySchema = out.String()
	}
	return f, nil
}

// handleProjectNew shows the New project form.
func (ui *UI) handleProjectNew(q *request) {
	q.show(ui, http.StatusOK, "project_new", "New project", "projects", struct{ Form *projectForm }{&projectForm{}})
}

// projectSettingsData is the data of Settings → General.
type projectSettingsData struct {
	projectData
	Form *projectForm
}

// handleProjectSettings shows the General settings section: the project
// form and the import of annotations (AAF JSON or NDJSON, or Ango's
// export zip).
func (ui *UI) handleProjectSettings(q *request) {
	p, err := ui.loadProject(q)
	if err != nil {
		ui.fail(q, err)
		return
	}
	form, err := newProjectForm(p)
	if err != nil {
		ui.fail(q, err)
		return
	}
	q.show(ui, http.StatusOK, "project_settings", p.Name+": settings", "projects",
		&projectSettingsData{projectData: projectData{Project: p, Tab: "settings", Section: "general"}, Form: form})
}

// pluginRow is a plugin in a list.
type pluginRow struct {
	ID            string
	Name          string
	Description   string
	DefaultConfig string
	Connector     hubtype.Connector
	// Online is how many instances are connected now.
	Online int
	// StartCommand starts an instance of the plugin (shown when offline).
	StartCommand string
}

// startCommand is the shell line that starts an instance of a plugin
// against the hub at host; the owner fills in the secret and command.
func startCommand(host, pluginID string) string {
	return "HOST=" + host + " PLUGIN_ID=" + pluginID + " PLUGIN_SECRET=<the plugin's secret> <the plugin's command>"
}

// newPluginRow converts a plugin for the lists, counting its instances.
func (ui *UI) newPluginRow(q *request, p *hubtype.Plugin) (*pluginRow, error) {
	insts := ui.plugins.OnlineInstances(q.r.Context(), p)
	return &pluginRow{
		ID:            p.ID,
		Name:          p.Name,
		Description:   p.Description,
		DefaultConfig: cmp.Or(p.DefaultConfig, "{}"),
		Connector:     p.Connector,
		Online:        len(insts),
	}, nil
}

// runDialogsData is what the run dialogs and the Export button need:
// the plugins enabled on the project with their instances.
type runDialogsData struct {
	Plugins   []*pluginRow
	CanManage bool
	// MaxRetries bounds the run dialog's retries field.
	MaxRetries int
	// Host is the hub URL of an offline plugin's start command.
	Host string
}

// loadRunDialogs reads the plugins enabled on project p.
func (ui *UI) loadRunDialogs(q *request, p *hubtype.Project) (runDialogsData, error) {
	d := runDialogsData{CanManage: plugins.CanManageProjectPlugins(q.principal()), MaxRetries: MaxRetries, Host: ui.hub.PublicURL()}
	enabled, err := ui.plugins.ProjectPlugins(q.r.Context(), q.principal(), p.ID)
	if err != nil {
		return d, err
	}
	for _, pl := range enabled {
		row, err := ui.newPluginRow(q, pl)
		if err != nil {
			return d, err
		}
		row.StartCommand = startCommand(d.Host, pl.ID)
		d.Plugins = append(d.Plugins, row)
	}
	return d, nil
}

// projectPluginsData is the data of Settings → Plugins.
type projectPluginsData struct {
	projectData
	runDialogsData
	Available []*hubtype.Plugin
}

// handleProjectPlugins shows the plugins enabled on the project, each
// with its Open button and run dialog.
func (ui *UI) handleProjectPlugins(q *request) {
	ctx := q.r.Context()
	p, err := ui.loadProject(q)
	if err != nil {
		ui.fail(q, err)
		return
	}
	dialogs, err := ui.loadRunDialogs(q, p)
	if err != nil {
		ui.fail(q, err)
		return
	}
	d := &projectPluginsData{projectData: projectData{Project: p, Tab: "settings", Section: "plugins"}, runDialogsData: dialogs}
	on := map[string]bool{}
	for _, pl := range d.Plugins {
		on[pl.ID] = true
	}
	if d.CanManage {
		all, err := ui.plugins.List(ctx, q.principal())
		if err != nil {
			ui.fail(q, err)
			return
		}
		for _, pl := range all {
			if !on[pl.ID] {
				d.Available = append(d.Available, pl)
			}
		}
	}
	q.show(ui, http.StatusOK, "project_plugins", p.Name+": plugins", "projects", d)
}

// handleProjectPluginAdd enables the form's plugin on the project.
func (ui *UI) handleProjectPluginAdd(q *request) {
	ui.changeProjectPlugin(q, q.r.PostFormValue("plugin_id"), true)
}

// handleProjectPluginRemove disables the path's plugin on the project.
func (ui *UI) handleProjectPluginRemove(q *request) {
	ui.changeProjectPlugin(q, q.r.PathValue("id"), false)
}

// changeProjectPlugin enables or disables a plugin on the path's project
// (admins) and goes back to Settings → Plugins.
func (ui *UI) changeProjectPlugin(q *request, pluginID string, enable bool) {
	params := &plugins.ProjectPluginParams{ProjectID: q.r.PathValue("pid"), PluginID: pluginID}
	change, done := ui.plugins.Disable, " was removed from this project."
	if enable {
		change, done = ui.plugins.Enable, " is enabled on this project."
	}
	pl, err := change(q.r.Context(), q.principal(), params)
	if err != nil {
		ui.fail(q, err)
		return
	}
	ui.redirect(q.w, q.r, "/projects/"+params.ProjectID+"/settings/plugins", "ok", pl.Name+done)
}
