package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/sse"
)

// RunsConfig tunes the plugin gateway and the run dispatcher. The zero
// value of every field means its default.
type RunsConfig struct {
	// AnonymousTimeout closes plugin sockets that sent no valid heartbeat
	// in that time. Defaults to gateway.DefaultAnonymousTimeout (30s).
	AnonymousTimeout time.Duration
	// MaxAnonymousConns bounds the plugin connections without a valid
	// heartbeat (yet), over all addresses; a new one over it gets 429.
	// Defaults to gateway.DefaultMaxAnonymous.
	MaxAnonymousConns int
	// MaxAnonymousConnsPerAddr bounds them per client address. Defaults
	// to gateway.DefaultMaxAnonymousPerAddr.
	MaxAnonymousConnsPerAddr int
	// RESTPollInterval is how often REST connector plugins get a
	// heartbeat. Defaults to gateway.DefaultRESTPollInterval.
	RESTPollInterval time.Duration
	// RESTAllowedURLs lists the base URLs (scheme, host, path prefix) REST
	// connector plugins may have. The hub sends requests there, so only
	// the hub's administrator sets it. Empty disables the REST connector.
	RESTAllowedURLs []string
	// DefaultRunTimeout bounds the runs of plugins created without a run
	// timeout. Defaults to runs.DefaultRunTimeout (1h).
	DefaultRunTimeout time.Duration
	// MaxLogLines is how many log lines a run keeps. Defaults to
	// runs.DefaultMaxLogLines.
	MaxLogLines int
	// LogFlushInterval is how long plugin log lines wait to be stored in
	// one batch. Defaults to runs.DefaultLogFlushInterval.
	LogFlushInterval time.Duration
	// WebhookAttempts is how many times an organization webhook is tried.
	// Defaults to runs.DefaultWebhookAttempts.
	WebhookAttempts int
	// WebhookBackoff is the wait before the first webhook retry, doubling
	// after each. Defaults to runs.DefaultWebhookBackoff.
	WebhookBackoff time.Duration
	// FollowInterval is how often a live log stream with nothing to send
	// checks its run and sends a keep-alive. Defaults to
	// runs.DefaultFollowInterval.
	FollowInterval time.Duration
	// RemoteTimeout bounds the wait for another hub replica to answer a
	// handover (PostgreSQL). Defaults to runs.DefaultRemoteTimeout.
	RemoteTimeout time.Duration
}

// newRuns builds the server's run dispatcher (plugin gateway, runs, log
// streams, notifications) from the configuration.
func (s *Server) newRuns() (*runs.Manager, error) {
	rc := s.cfg.Runs
	return runs.New(&runs.Config{
		Store:   s.store,
		Storage: &blobStorage{s: s},
		Box:     s.box,
		Gateway: gateway.Config{
			AnonymousTimeout:    rc.AnonymousTimeout,
			MaxAnonymous:        rc.MaxAnonymousConns,
			MaxAnonymousPerAddr: rc.MaxAnonymousConnsPerAddr,
			RESTPollInterval:    rc.RESTPollInterval,
			RESTAllowedURLs:     rc.RESTAllowedURLs,
		},
		PublicURL:         s.cfg.PublicURL,
		DefaultRunTimeout: rc.DefaultRunTimeout,
		MaxLogLines:       rc.MaxLogLines,
		LogFlushInterval:  rc.LogFlushInterval,
		WebhookAttempts:   rc.WebhookAttempts,
		WebhookBackoff:    rc.WebhookBackoff,
		FollowInterval:    rc.FollowInterval,
		RemoteTimeout:     rc.RemoteTimeout,
		OnRunEnded:        func(*store.Run) { s.snapshots.runEnded() },
		NodeID:            s.cfg.replicaNodeID(),
		NodeLease:         s.cfg.NodeLease,
		MaxConfigLen:      s.cfg.MaxConfigBytes,
		// Webhook URLs are the organization's: the egress policy
		// applies, and redirects are not followed.
		WebhookClient: &http.Client{
			Transport:     s.egress.Transport(),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		Logger: s.cfg.Logger,
	})
}

// Runs returns the server's run dispatcher (plugin gateway, runs, log
// streams, notifications).
func (s *Server) Runs() *runs.Manager { return s.runs }

// NewRunResponse returns r on the wire.
func NewRunResponse(r *store.Run) *hubapi.RunResponse {
	out := &hubapi.RunResponse{
		ID: r.ID, ProjectID: r.ProjectID, PluginID: r.PluginID, UserID: r.UserID,
		Status: string(r.Status), Message: r.Message, ConfigJSON: r.ConfigJSON, Stage: r.Stages,
		Batches: r.Batches, InstanceID: r.InstanceID, ExportID: r.ExportID, NumTasks: r.NumTasks,
		Retries: r.Retries, Attempt: r.Attempt, CreatedAt: r.CreatedAt, Deadline: r.Deadline, DispatchedAt: r.DispatchedAt, StartedAt: r.StartedAt, EndedAt: r.EndedAt,
	}
	if out.Stage == nil {
		out.Stage = []string{}
	}
	if out.Batches == nil {
		out.Batches = []string{}
	}
	return out
}

// handleRunCreate serves POST /api/projects/{pid}/plugins/{id}/runs: it
// creates the run and dispatches it at once. The answer (201) holds the
// run; with no plugin instance online it is already failed.
func (s *Server) handleRunCreate(w http.ResponseWriter, r *http.Request) {
	var req hubapi.RunCreateRequest
	if r.ContentLength != 0 {
		if err := DecodeJSON(r, &req); err != nil {
			s.WriteError(w, r, err)
			return
		}
	}
	config := req.ConfigText()
	p := Principal(r)
	project, err := s.LoadProject(r.Context(), r.PathValue("pid"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	run, err := s.Runs().Submit(r.Context(), &runs.SubmitParams{
		OrgID: p.OrgID, ProjectID: project.ID, PluginID: r.PathValue("id"), UserID: p.UserID,
		ConfigJSON: config, Stages: req.Stage, Batches: req.Batches, Retries: req.Retries,
	})
	if err != nil {
		s.WriteError(w, r, runError(err, project.ID, r.PathValue("id")))
		return
	}
	WriteJSON(w, http.StatusCreated, NewRunResponse(run))
}

// runError maps the run dispatcher's errors to answers.
func runError(err error, projectID, pluginID string) error {
	var ie *runs.InputError
	switch {
	case errors.As(err, &ie):
		return Errorf(http.StatusBadRequest, hubapi.CodeBadRequest, "%s %s", ie.Field, ie.Message)
	case errors.Is(err, runs.ErrPluginNotEnabled):
		return Errorf(http.StatusConflict, hubapi.CodeConflict, "plugin %s is not enabled on project %s: enable it with POST /api/projects/%s/plugins/%s", pluginID, projectID, projectID, pluginID)
	case errors.Is(err, runs.ErrClosed):
		return Errorf(http.StatusServiceUnavailable, hubapi.CodeUnavailable, "the hub is shutting down; try again in a moment")
	case errors.Is(err, runs.ErrRunEnded):
		return Errorf(http.StatusConflict, hubapi.CodeConflict, "the run already ended")
	case errors.Is(err, runs.ErrRunEnding):
		return Errorf(http.StatusConflict, hubapi.CodeConflict, "the plugin already answered; the run can no longer be cancelled")
	case errors.Is(err, runs.ErrReplicaUnavailable):
		return Errorf(http.StatusServiceUnavailable, hubapi.CodeUnavailable, "the hub replica running the run did not answer; try again in a moment")
	}
	return err
}

// listLimit reads ?limit= (1 to max, default def).
func listLimit(r *http.Request, def, max int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, Errorf(http.StatusBadRequest, hubapi.CodeBadRequest, "limit must be a number from 1 to %d, got %q", max, v)
	}
	return n, nil
}

// queryBool reads an optional boolean query parameter (true/false, 1/0).
func queryBool(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, Errorf(http.StatusBadRequest, hubapi.CodeBadRequest, "query parameter %s must be true or false, got %q", name, v)
	}
	return b, nil
}

// maxRunList bounds one page of runs.
const maxRunList = 1000

// handleProjectRunList serves GET /api/projects/{pid}/runs (newest first;
// ?plugin=ID, ?limit=N, ?config=true to include each run's Config JSON).
func (s *Server) handleProjectRunList(w http.ResponseWriter, r *http.Request) {
	project, err := s.LoadProject(r.Context(), r.PathValue("pid"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.writeRunList(w, r, project.ID)
}

// handleRunList serves GET /api/runs (newest first; ?project=ID,
// ?plugin=ID, ?limit=N, ?config=true to include each run's Config JSON).
func (s *Server) handleRunList(w http.ResponseWriter, r *http.Request) {
	s.writeRunList(w, r, r.URL.Query().Get("project"))
}

func (s *Server) writeRunList(w http.ResponseWriter, r *http.Request, projectID string) {
	limit, err := listLimit(r, 100, maxRunList)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	list, err := s.store.RunList(r.Context(), &store.RunListParams{
		OrgID: Principal(r).OrgID, ProjectID: projectID, PluginID: r.URL.Query().Get("plugin"), Limit: limit,
	})
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	withConfig, err := queryBool(r, "config")
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	out := hubapi.RunListResponse{Runs: make([]*hubapi.RunResponse, 0, len(list))}
	for _, run := range list {
		rr := NewRunResponse(run)
		if !withConfig {
			rr.ConfigJSON = "" // up to max-config-size each: only when asked
		}
		out.Runs = append(out.Runs, rr)
	}
	WriteJSON(w, http.StatusOK, out)
}

// handleRunGet serves GET /api/runs/{id}.
func (s *Server) handleRunGet(w http.ResponseWriter, r *http.Request) {
	run, err := s.store.RunGet(r.Context(), Principal(r).OrgID, r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, NewRunResponse(run))
}

// handleRunCancel serves POST /api/runs/{id}/cancel; 409 when the run
// already ended.
func (s *Server) handleRunCancel(w http.ResponseWriter, r *http.Request) {
	run, err := s.Runs().Cancel(r.Context(), Principal(r).OrgID, r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, runError(err, "", ""))
		return
	}
	WriteJSON(w, http.StatusOK, NewRunResponse(run))
}

// NewRunLogLine returns l on the wire.
func NewRunLogLine(l *store.RunLog) *hubapi.RunLogLine {
	return &hubapi.RunLogLine{Seq: l.Seq, Time: l.Time, Level: l.Level, Msg: l.Msg, Extra: l.Extra}
}

// maxLogPage bounds one page of GET /api/runs/{id}/logs.
const maxLogPage = 10000

// handleRunLogs serves GET /api/runs/{id}/logs: the lines with Seq >
// ?after=N (at most ?limit=N), or, with Accept: text/event-stream, the
// live stream of handleRunLogStream.
func (s *Server) handleRunLogs(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		s.handleRunLogStream(w, r)
		return
	}
	after, err := afterSeq(r)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	limit, err := listLimit(r, maxLogPage, maxLogPage)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	run, err := s.store.RunGet(r.Context(), Principal(r).OrgID, r.PathValue("id"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	lines, err := s.store.RunLogList(r.Context(), run.ID, after, limit)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	out := hubapi.RunLogsResponse{Logs: make([]*hubapi.RunLogLine, 0, len(lines)), Status: string(run.Status)}
	for _, l := range lines {
		out.Logs = append(out.Logs, NewRunLogLine(l))
	}
	WriteJSON(w, http.StatusOK, out)
}

// afterSeq reads the position a log reader resumes at: ?after=N, or the
// Last-Event-ID header of a reconnecting EventSource.
func afterSeq(r *http.Request) (int64, error) {
	v := r.URL.Query().Get("after")
	if v == "" {
		v = r.Header.Get("Last-Event-ID")
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, Errorf(http.StatusBadRequest, hubapi.CodeBadRequest, "after must be a log sequence number (0 or more), got %q", v)
	}
	return n, nil
}

// handleRunLogStream serves GET /api/runs/{id}/logs/stream as
// text/event-stream: one `log` event per line (id = its seq, data = a
// RunLogLine), then, once the run ended, an `end` event (data = a
// RunEndEvent) and the end of the response. A client that reconnects with
// Last-Event-ID (or ?after=) resumes after that line. The stream also
// ends, without an `end` event, when the hub begins to shut down.
func (s *Server) handleRunLogStream(w http.ResponseWriter, r *http.Request) {
	after, err := afterSeq(r)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	orgID := Principal(r).OrgID
	if _, err := s.store.RunGet(r.Context(), orgID, r.PathValue("id")); err != nil {
		s.WriteError(w, r, err)
		return
	}
	// The stream ends when the hub begins to shut down, so that it never
	// holds a graceful shutdown; the client reconnects and resumes.
	ctx, cancel := s.streamContext(r)
	defer cancel()
	events, err := sse.Start(w)
	if err != nil {
		return
	}
	run, err := s.Runs().FollowLogs(ctx, &runs.FollowParams{
		OrgID: orgID, RunID: r.PathValue("id"), AfterSeq: after,
		OnLine: func(l *store.RunLog) error {
			return events.Event("log", strconv.FormatInt(l.Seq, 10), NewRunLogLine(l))
		},
		OnIdle: events.KeepAlive,
	})
	if err != nil {
		// The client went away or the hub is stopping: the stream just
		// ends; a client reconnects with Last-Event-ID.
		return
	}
	_ = events.Event("end", "", hubapi.RunEndEvent{Status: string(run.Status), Message: run.Message, ExportID: run.ExportID})
}

// blobStorage lets the run dispatcher read uploaded exports from the
// hub's bucket and the organizations' storages.
type blobStorage struct {
	s *Server
}

var _ runs.Storage = (*blobStorage)(nil)

// Locate finds the object a plugin's signed URL names: in the hub's
// bucket, or in one of the organization's storages (whose host matches
// the URL's: blob.Service.MayServe). The object must be the upload made
// for this run (blob.Service.UploadedForRun), so that two exports never
// share an object.
func (b *blobStorage) Locate(ctx context.Context, run *store.Run, rawURL string) (*runs.Object, error) {
	orgID := run.OrgID
	candidates := []*store.Storage{nil}
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		storages, err := b.s.store.StorageList(ctx, orgID)
		if err != nil {
			return nil, fmt.Errorf("list storages: %w", err)
		}
		for _, st := range storages {
			if b.s.blobs.MayServe(st, u) {
				candidates = append(candidates, st)
			}
		}
	}
	var firstErr error
	for _, st := range candidates {
		obj, err := b.locateIn(ctx, st, run, rawURL)
		if err == nil {
			return obj, nil
		}
		if firstErr == nil || !errors.Is(err, blob.ErrInvalidKey) {
			firstErr = err
		}
	}
	if errors.Is(firstErr, blob.ErrInvalidKey) {
		return nil, errors.New("the response URL names no file of this hub's storage or of the organization's storages")
	}
	return nil, firstErr
}

// locateIn looks for the object in one bucket (st nil: the hub's).
func (b *blobStorage) locateIn(ctx context.Context, st *store.Storage, run *store.Run, rawURL string) (*runs.Object, error) {
	orgID := run.OrgID
	bk, err := b.s.blobs.Bucket(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	k, err := bk.KeyFromURL(rawURL)
	if err != nil {
		return nil, err
	}
	if k.OrgID != orgID || k.ProjectID != run.ProjectID {
		return nil, errors.New("the uploaded file belongs to another project")
	}
	if !b.s.blobs.UploadedForRun(k, run.ID) {
		return nil, errors.New("the response names a file that was not uploaded for this run (get the upload URL with the run's token)")
	}
	if _, err := bk.CheckUploaded(ctx, k.String()); err != nil {
		switch {
		case errors.Is(err, blob.ErrNotFound):
			return nil, fmt.Errorf("nothing was uploaded as %s", k.FileName)
		case errors.Is(err, blob.ErrTooLarge):
			return nil, fmt.Errorf("%s is larger than this hub accepts", k.FileName)
		}
		return nil, fmt.Errorf("check %s: %w", k.FileName, err)
	}
	obj := &runs.Object{OrgID: orgID, Key: k.String(), FileName: k.FileName}
	if st != nil {
		obj.StorageID, obj.Bucket = st.ID, st.Bucket
	}
	return obj, nil
}

// Open opens a located object.
func (b *blobStorage) Open(ctx context.Context, obj *runs.Object) (io.ReadCloser, error) {
	bk, err := b.s.exportBucket(ctx, obj.OrgID, obj.StorageID)
	if err != nil {
		return nil, err
	}
	rd, err := bk.NewReader(ctx, obj.Key)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", obj.FileName, err)
	}
	return rd, nil
}

// exportBucket returns the bucket of an organization storage, or the
// hub's own when storageID is "".
func (s *Server) exportBucket(ctx context.Context, orgID, storageID string) (*blob.Bucket, error) {
	var st *store.Storage
	if storageID != "" {
		var err error
		if st, err = s.store.StorageGet(ctx, orgID, storageID); err != nil {
			return nil, fmt.Errorf("get storage: %w", err)
		}
	}
	bk, err := s.blobs.Bucket(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	return bk, nil
}
