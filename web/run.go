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

	"github.com/exporthub/exporthub/hub/store"
)

// maxLogBatch bounds how many log lines one poll of a run stream sends.
const maxLogBatch = 500

// RunStartRequest is the body of POST /ui/projects/{pid}/plugins/{id}/runs.
type RunStartRequest struct {
	ConfigJSON string   `json:"configJSON"`
	Stage      string   `json:"stage"`
	Batches    []string `json:"batches"`
}

// RunResponse is a run as the run dialog follows it.
type RunResponse struct {
	ID      string          `json:"id"`
	Status  store.RunStatus `json:"status"`
	Message string          `json:"message,omitempty"`
	// EventsURL is the run's event stream (status, log, end events).
	EventsURL string `json:"eventsUrl"`
}

// handleRunStart checks the dialog's input and starts a run.
func (ui *UI) handleRunStart(q *request) {
	ctx := q.r.Context()
	p, err := ui.loadProject(q)
	if err != nil {
		ui.apiFail(q, err)
		return
	}
	enabled, err := ui.store.ProjectPluginList(ctx, q.org.ID, p.ID)
	if err != nil {
		ui.apiFail(q, fmt.Errorf("list project plugins: %w", err))
		return
	}
	pluginID := q.r.PathValue("id")
	if !slices.ContainsFunc(enabled, func(pl *store.Plugin) bool { return pl.ID == pluginID }) {
		writeFail(q.w, http.StatusNotFound, "not_found", "this plugin is not enabled on this project")
		return
	}
	var req RunStartRequest
	if err := decodeBody(q.r, &req); err != nil {
		ui.apiFail(q, err)
		return
	}
	params, err := runParams(p, pluginID, &req)
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
		EventsURL: "/ui/runs/" + run.ID + "/events",
	})
}

// runParams checks the run dialog's input against the project.
func runParams(p *store.Project, pluginID string, req *RunStartRequest) (*StartRunParams, error) {
	if len(req.ConfigJSON) > maxConfigLen {
		return nil, inputErrorf("Config JSON is longer than %d bytes", maxConfigLen)
	}
	cfg := strings.TrimSpace(req.ConfigJSON)
	if err := CheckConfigJSON(cfg); err != nil {
		return nil, err
	}
	if cfg == "" {
		cfg = "{}"
	}
	if req.Stage != "" && !slices.ContainsFunc(p.Stages, func(s store.Stage) bool { return s.ID == req.Stage }) {
		return nil, inputErrorf("stage %q is not a stage of this project", req.Stage)
	}
	for _, b := range req.Batches {
		if !slices.ContainsFunc(p.Batches, func(x store.Batch) bool { return x.ID == b }) {
			return nil, inputErrorf("batch %q is not a batch of this project", b)
		}
	}
	return &StartRunParams{ProjectID: p.ID, PluginID: pluginID, ConfigJSON: cfg, Stage: req.Stage, Batches: req.Batches}, nil
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
	Status  store.RunStatus `json:"status"`
	Message string          `json:"message,omitempty"`
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
// server-sent events ("status", "log", then "end" when the run is final).
// A reconnecting browser sends Last-Event-ID (the last log Seq) and the
// stream resumes after it.
func (ui *UI) handleRunEvents(q *request) {
	ctx := q.r.Context()
	run, err := ui.store.RunGet(ctx, q.org.ID, q.r.PathValue("id"))
	if err != nil {
		ui.apiFail(q, fmt.Errorf("get run: %w", err))
		return
	}
	afterSeq, _ := strconv.ParseInt(q.r.Header.Get("Last-Event-ID"), 10, 64) // absent or garbled: from the start
	es, err := startEvents(q.w)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, ui.cfg.StreamLifetime)
	defer cancel()
	tick := time.NewTicker(ui.cfg.RunPollInterval)
	defer tick.Stop()
	var lastStatus store.RunStatus
	for {
		// Read the status before the logs, so the logs of a run seen as
		// final are complete.
		if run == nil {
			if run, err = ui.store.RunGet(ctx, q.org.ID, q.r.PathValue("id")); err != nil {
				ui.streamEnded(ctx, err)
				return
			}
		}
		if afterSeq, err = ui.sendRunLogs(ctx, es, run.ID, afterSeq); err != nil {
			ui.streamEnded(ctx, err)
			return
		}
		if run.Status.Final() {
			end, err := ui.runEnd(ctx, run)
			if err == nil {
				err = es.send("end", "", end)
			}
			ui.streamEnded(ctx, err)
			return
		}
		if run.Status != lastStatus {
			lastStatus = run.Status
			if err := es.send("status", "", &RunStatusEvent{Status: run.Status, Message: run.Message}); err != nil {
				ui.streamEnded(ctx, err)
				return
			}
		}
		run = nil
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sendRunLogs sends the run's log lines after afterSeq and returns the
// last Seq sent.
func (ui *UI) sendRunLogs(ctx context.Context, es *eventStream, runID string, afterSeq int64) (int64, error) {
	for {
		lines, err := ui.store.RunLogList(ctx, runID, afterSeq, maxLogBatch)
		if err != nil {
			return afterSeq, fmt.Errorf("list run logs: %w", err)
		}
		for _, l := range lines {
			ev := &RunLogEvent{Seq: l.Seq, Time: l.Time, Level: l.Level, Msg: l.Msg, Extra: l.Extra}
			if err := es.send("log", strconv.FormatInt(l.Seq, 10), ev); err != nil {
				return afterSeq, err
			}
			afterSeq = l.Seq
		}
		if len(lines) < maxLogBatch {
			return afterSeq, nil
		}
	}
}

// runEnd builds the "end" event of a final run.
func (ui *UI) runEnd(ctx context.Context, run *store.Run) (*RunStatusEvent, error) {
	ev := &RunStatusEvent{Status: run.Status, Message: run.Message, Final: true}
	if run.Status == store.RunSucceeded && run.ExportID != "" {
		e, err := ui.store.ExportGet(ctx, run.OrgID, run.ExportID)
		if err != nil {
			return nil, fmt.Errorf("get export of run %s: %w", run.ID, err)
		}
		ev.Export = &ExportInfo{ID: e.ID, FileName: e.FileName, Size: e.Size, DownloadURL: exportDownloadPath(e.ID)}
	}
	if ev.Message == "" && run.Status != store.RunSucceeded {
		ev.Message = cmp.Or(defaultRunMessages[run.Status], "the run ended without a message")
	}
	return ev, nil
}

// defaultRunMessages explain final states that came without a message.
var defaultRunMessages = map[store.RunStatus]string{
	store.RunFailed:    "the plugin reported an error; see its logs above",
	store.RunTimedOut:  "the plugin did not answer within its run timeout",
	store.RunLost:      "the plugin instance disconnected during the run",
	store.RunCancelled: "the run was cancelled",
}

// streamEnded logs why an event stream stopped early, unless the browser
// left or the stream reached its lifetime.
func (ui *UI) streamEnded(ctx context.Context, err error) {
	if err == nil || ctx.Err() != nil {
		return
	}
	ui.log.DebugContext(ctx, "event stream ended", errAttr(err))
}
