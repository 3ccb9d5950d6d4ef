package web

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/internal/sse"
)

// maxLogBatch bounds how many log lines one poll of a run stream sends.
const maxLogBatch = 500

// RunStartRequest is the body of POST /ui/projects/{pid}/plugins/{id}/runs.
type RunStartRequest struct {
	ConfigJSON string `json:"configJSON"`
	// Stages are the checked stages' ids; none checked means all stages.
	Stages  []string `json:"stages"`
	Batches []string `json:"batches"`
	// Retries is the dialog's "Retries if the plugin instance is lost",
	// 0 to MaxRetries.
	Retries int `json:"retries"`
}

// MaxRetries bounds RunStartRequest.Retries (the hub's bound).
const MaxRetries = 5

// RunResponse is a run as the run dialog follows it.
type RunResponse struct {
	ID      string            `json:"id"`
	Status  hubtype.RunStatus `json:"status"`
	Message string            `json:"message,omitempty"`
	// EventsURL is the run's event stream (status, log, end events).
	EventsURL string `json:"eventsUrl"`
	// CancelURL cancels the run: the hub's API endpoint, which the
	// browser calls with its session cookie and CSRF header.
	CancelURL string `json:"cancelUrl"`
	// PageURL is the run's page.
	PageURL string `json:"pageUrl"`
}

// runEventsPath is the event stream of a run.
func runEventsPath(runID string) string { return "/ui/runs/" + runID + "/events" }

// runCancelPath is the hub API endpoint that cancels a run.
func runCancelPath(runID string) string { return "/api/runs/" + runID + "/cancel" }

// runStatusText is a run status as people read it ("timed out").
func runStatusText(s hubtype.RunStatus) string { return strings.ReplaceAll(string(s), "_", " ") }

// runPagePath is the page of a run of a project.
func runPagePath(projectID, runID string) string { return "/projects/" + projectID + "/runs/" + runID }

// handleRunStart checks the dialog's input and starts a run.
func (ui *UI) handleRunStart(q *request) {
	ctx := q.r.Context()
	p, err := ui.loadProject(q)
	if err != nil {
		ui.apiFail(q, err)
		return
	}
	enabled, err := ui.plugins.ProjectPlugins(ctx, q.principal(), p.ID)
	if err != nil {
		ui.apiFail(q, err)
		return
	}
	pluginID := q.r.PathValue("id")
	if !slices.ContainsFunc(enabled, func(pl *hubtype.Plugin) bool { return pl.ID == pluginID }) {
		writeFail(q.w, http.StatusNotFound, "not_found", "this plugin is not enabled on this project")
		return
	}
	var req RunStartRequest
	if err := decodeBody(q.r, &req); err != nil {
		ui.apiFail(q, err)
		return
	}
	params, err := runParams(p, pluginID, &req, ui.plugins.MaxConfigLen())
	if err != nil {
		var ce *ConfigJSONError
		if errors.As(err, &ce) {
			writeFail(q.w, http.StatusBadRequest, "invalid_config", ce.Error())
			return
		}
		ui.apiFail(q, err)
		return
	}
	run, err := ui.hub.StartRun(ctx, q.principal(), params)
	if err != nil {
		ui.apiFail(q, err)
		return
	}
	ui.log.InfoContext(ctx, "run started from the web UI", slog.String(logKeyRunID, run.ID), slog.String(logKeyUserID, q.user.ID))
	writeJSON(q.w, http.StatusCreated, &RunResponse{
		ID:        run.ID,
		Status:    run.Status,
		Message:   run.Message,
		EventsURL: runEventsPath(run.ID),
		CancelURL: runCancelPath(run.ID),
		PageURL:   runPagePath(p.ID, run.ID),
	})
}

// runParams checks the run dialog's input against the project.
func runParams(p *hubtype.Project, pluginID string, req *RunStartRequest, maxConfig int) (*StartRunParams, error) {
	if len(req.ConfigJSON) > maxConfig {
		return nil, inputErrorf("Config JSON is longer than %d bytes", maxConfig)
	}
	cfg := strings.TrimSpace(req.ConfigJSON)
	if err := CheckConfigJSON(cfg); err != nil {
		return nil, err
	}
	if cfg == "" {
		cfg = "{}"
	}
	for _, st := range req.Stages {
		if !slices.ContainsFunc(p.Stages, func(s hubtype.Stage) bool { return s.ID == st }) {
			return nil, inputErrorf("stage %q is not a stage of this project", st)
		}
	}
	for _, b := range req.Batches {
		if !slices.ContainsFunc(p.Batches, func(x hubtype.Batch) bool { return x.ID == b }) {
			return nil, inputErrorf("batch %q is not a batch of this project", b)
		}
	}
	if req.Retries < 0 || req.Retries > MaxRetries {
		return nil, inputErrorf("retries must be a whole number from 0 to %d, got %d", MaxRetries, req.Retries)
	}
	return &StartRunParams{ProjectID: p.ID, PluginID: pluginID, ConfigJSON: cfg, Stages: req.Stages, Batches: req.Batches,
		Retries: req.Retries}, nil
}

// RunLogEvent is the data of a run stream's "log" event.
type RunLogEvent struct {
	Seq   int64     `json:"seq"`
	Time  time.Time `json:"time"`
	Level string    `json:"level"`
	Msg   string    `json:"msg"`
	// Extra holds the keys the plugin logged beyond the message (e.g. an
	// "error"), as a JSON object; omitted when none.
	Extra json.RawMessage `json:"extra,omitempty"`
}

// RunStatusEvent is the data of a run stream's "status" and "end" events.
type RunStatusEvent struct {
	Status  hubtype.RunStatus `json:"status"`
	Message string            `json:"message,omitempty"`
	// Final is true once the run ended (always in the "end" event).
	Final bool `json:"final"`
	// Export is the file a successful run produced.
	Export *ExportInfo `json:"export,omitempty"`
}

// ExportInfo is an export file as the dialog offers it for download.
type ExportInfo struct {
	ID          string `json:"id"`
	FileName    string `json:"fileName"`
	Size        int64  `json:"size"`
	DownloadURL string `json:"downloadUrl"`
}

// handleRunEvents streams a run's status changes and log lines as
// server-sent events ("status", "log", then "end" when the run is final),
// following the run through the hub's run dispatcher as the API's log
// stream does. A reconnecting browser sends Last-Event-ID (the last log
// Seq) and the stream resumes after it. The stream ends early, without
// "end", when the hub begins to shut down or the session ends; the
// browser reconnects.
func (ui *UI) handleRunEvents(q *request) {
	afterSeq, _ := strconv.ParseInt(q.r.Header.Get("Last-Event-ID"), 10, 64) // absent or garbled: from the start
	ctx, cancel := ui.streamContext(q)
	defer cancel()
	// The stream starts with the first event, so that an unknown run is
	// still answered 404.
	var es *sse.Writer
	send := func(name, id string, data any) error {
		if es == nil {
			var err error
			if es, err = sse.Start(q.w); err != nil {
				return err
			}
		}
		return es.Event(name, id, data)
	}
	run, err := ui.hub.FollowRun(ctx, q.principal(), &FollowRunParams{
		RunID: q.r.PathValue("id"), AfterSeq: afterSeq,
		OnStatus: func(run *hubtype.Run) error {
			return send("status", "", &RunStatusEvent{Status: run.Status, Message: run.Message})
		},
		OnLine: func(l *hubtype.RunLog) error {
			return send("log", strconv.FormatInt(l.Seq, 10), &RunLogEvent{Seq: l.Seq, Time: l.Time, Level: l.Level, Msg: l.Msg, Extra: l.Extra})
		},
		OnIdle: func() error {
			if es == nil {
				return nil
			}
			return es.KeepAlive()
		},
	})
	if err != nil {
		if es == nil && ctx.Err() == nil {
			ui.apiFail(q, err)
			return
		}
		ui.streamEnded(ctx, err)
		return
	}
	end, err := ui.runEnd(ctx, q.principal(), run)
	if err == nil {
		err = send("end", "", end)
	}
	ui.streamEnded(ctx, err)
}

// runEnd builds the "end" event of a final run for the caller pr.
func (ui *UI) runEnd(ctx context.Context, pr *auth.Principal, run *hubtype.Run) (*RunStatusEvent, error) {
	ev := &RunStatusEvent{Status: run.Status, Message: run.Message, Final: true}
	if run.Status == hubtype.RunSucceeded && run.ExportID != "" {
		e, err := ui.projects.Export(ctx, pr, run.ExportID)
		if err != nil {
			return nil, fmt.Errorf("get export of run %s: %w", run.ID, err)
		}
		ev.Export = &ExportInfo{ID: e.ID, FileName: e.FileName, Size: e.Size, DownloadURL: exportDownloadPath(e.ID)}
	}
	if ev.Message == "" && run.Status != hubtype.RunSucceeded {
		ev.Message = cmp.Or(defaultRunMessages[run.Status], "the run ended without a message")
	}
	return ev, nil
}

// defaultRunMessages explain final states that came without a message.
var defaultRunMessages = map[hubtype.RunStatus]string{
	hubtype.RunFailed:    "the plugin reported an error; see its logs above",
	hubtype.RunTimedOut:  "the plugin did not answer within its run timeout",
	hubtype.RunLost:      "the plugin instance disconnected during the run",
	hubtype.RunCancelled: "the run was cancelled",
}

// streamEnded logs why an event stream stopped early, unless its context
// ended it (the browser left, the hub is stopping, the session ended).
func (ui *UI) streamEnded(ctx context.Context, err error) {
	if err == nil || ctx.Err() != nil {
		return
	}
	ui.log.DebugContext(ctx, "event stream ended", errAttr(err))
}

// runPageData is the data of a run's page.
type runPageData struct {
	projectData
	Run *hubtype.Run
	// Plugin is the plugin's name.
	Plugin string
	// By is the e-mail of the user who started the run.
	By string
	// Assets describes the stage and batch filters.
	Assets string
	// StatusText is the status as people read it, with the message.
	StatusText string
	// Attempts is "2 of 3" for a run with retries; "" without.
	Attempts  string
	EventsURL string
	CancelURL string
}

// handleRunPage shows a run of a project: status and message, who started
// it and when, its filters and Config JSON, its logs (live while it runs,
// from the run's event stream), Cancel while it is active and Download
// once it succeeded. Failure notifications link here.
func (ui *UI) handleRunPage(q *request) {
	ctx := q.r.Context()
	p, err := ui.loadProject(q)
	if err != nil {
		ui.fail(q, err)
		return
	}
	run, err := ui.projects.Run(ctx, q.principal(), p.ID, q.r.PathValue("id"))
	if err != nil {
		ui.fail(q, fmt.Errorf("get run: %w", err))
		return
	}
	d := &runPageData{
		projectData: projectData{Project: p, Tab: "runs"},
		Run:         run,
		Plugin:      "(deleted plugin)",
		By:          "(deleted user)",
		Assets:      runFilters(p, run),
		StatusText:  runStatusText(run.Status),
		EventsURL:   runEventsPath(run.ID),
		CancelURL:   runCancelPath(run.ID),
	}
	if run.Message != "" {
		d.StatusText += " — " + run.Message
	}
	if run.Retries > 0 {
		d.Attempts = fmt.Sprintf("%d of %d", run.Attempt, run.Retries+1)
	}
	switch pl, err := ui.plugins.Get(ctx, q.principal(), run.PluginID); {
	case err == nil:
		d.Plugin = pl.Name
	case !errors.Is(err, hubtype.ErrNotFound):
		ui.fail(q, fmt.Errorf("get plugin of run %s: %w", run.ID, err))
		return
	}
	switch u, err := ui.users.Get(ctx, q.principal(), run.UserID); {
	case err == nil:
		d.By = u.Email
	case !errors.Is(err, hubtype.ErrNotFound):
		ui.fail(q, fmt.Errorf("get user of run %s: %w", run.ID, err))
		return
	}
	q.show(ui, http.StatusOK, "run", "Run of "+d.Plugin, "projects", d)
}

// runFilters describes which assets a run exported, naming the project's
// stages and batches.
func runFilters(p *hubtype.Project, run *hubtype.Run) string {
	stage := "all stages"
	if len(run.Stages) > 0 {
		names := make([]string, len(run.Stages))
		for i, id := range run.Stages {
			names[i] = hubtype.StageName(p, id)
		}
		stage = "stage " + strings.Join(names, ", ")
		if len(names) > 1 {
			stage = "stages " + strings.Join(names, ", ")
		}
	}
	batches := "all batches"
	if len(run.Batches) > 0 {
		names := make([]string, 0, len(run.Batches))
		for _, id := range run.Batches {
			name := id
			if i := slices.IndexFunc(p.Batches, func(b hubtype.Batch) bool { return b.ID == id }); i >= 0 {
				name = p.Batches[i].Name
			}
			names = append(names, name)
		}
		batches = "batches " + strings.Join(names, ", ")
	}
	assets := "assets"
	if run.NumTasks == 1 {
		assets = "asset"
	}
	return fmt.Sprintf("%s, %s (%d %s)", stage, batches, run.NumTasks, assets)
}
