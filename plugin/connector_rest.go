package plugin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/exporthub/exporthub/internal/wire"
)

const (
	// maxRunRequestBody bounds the body of POST /plugin and POST /cancel.
	maxRunRequestBody = 1 << 20
	// restLogQueue bounds the log events of one run waiting to be posted;
	// beyond it they are dropped (and counted) rather than slow the callback.
	restLogQueue = 4096
	// restResponseAttempts is how often a run's response is posted before
	// giving up.
	restResponseAttempts = 3
)

// restConnector serves the REST connector (plugin-protocol section 3).
type restConnector struct {
	s   *server
	ln  net.Listener
	srv *http.Server
}

func newRESTConnector(s *server) (*restConnector, error) {
	ln := s.cfg.listener
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", fmt.Sprintf(":%d", s.cfg.port))
		if err != nil {
			return nil, fmt.Errorf("listen on port %d: %w", s.cfg.port, err)
		}
	}
	c := &restConnector{s: s, ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+wire.PathHeartbeat, c.handleHeartbeat)
	mux.HandleFunc("POST "+wire.PathRun, c.handlePlugin)
	mux.HandleFunc("POST "+wire.PathCancel, c.handleCancel)
	c.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute, // the body only; answers wait for the run
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return c, nil
}

// serve answers the hub until ctx is done.
func (c *restConnector) serve(ctx context.Context) error {
	errc := make(chan error, 1)
	c.s.log.Info("plugin: serving the REST connector", slog.String("addr", c.ln.Addr().String()))
	go func() { errc <- c.srv.Serve(c.ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve REST connector: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.srv.Shutdown(sctx); err != nil {
		_ = c.srv.Close() // Shutdown timed out: drop the remaining connections
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve REST connector: %w", err)
	}
	return nil
}

// authorized checks the Secret header in constant time.
func (c *restConnector) authorized(w http.ResponseWriter, r *http.Request) bool {
	got := r.Header.Get(wire.HeaderSecret)
	if subtle.ConstantTimeCompare([]byte(got), []byte(c.s.cfg.secret)) == 1 {
		return true
	}
	writeRESTError(w, http.StatusUnauthorized, CodeUnauthorized, "wrong or missing Secret header")
	return false
}

func (c *restConnector) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	if !c.authorized(w, r) {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, wire.HeartbeatOK) // the hub went away: nothing to do
}

func (c *restConnector) handlePlugin(w http.ResponseWriter, r *http.Request) {
	if !c.authorized(w, r) {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRunRequestBody))
	if err != nil {
		writeRESTError(w, http.StatusRequestEntityTooLarge, "body_too_large", err.Error())
		return
	}
	req, err := decodeRunRequest(body)
	if err != nil {
		writeRESTError(w, http.StatusBadRequest, "invalid_json", err.Error())
		return
	}
	sink := newRESTSink(c.s, req.APIKey)
	over, err := c.s.dispatch(req, sink)
	if err != nil {
		sink.close()
		writeRESTError(w, http.StatusServiceUnavailable, CodeUnavailable, "the plugin is shutting down")
		return
	}
	// Like the Python SDK, answer when the run is over: a hub that gives up
	// on the run (cancel, timeout) aborts this request, which cancels the
	// run. The result itself goes to /v2/pluginResponse.
	select {
	case <-over:
	case <-r.Context().Done():
		c.s.cancel(req.Session, errRunCancelled)
		<-over
		return
	}
	writeRESTAck(w, req.Session)
}

// handleCancel cancels a run (ours: POST /cancel {"session"}).
func (c *restConnector) handleCancel(w http.ResponseWriter, r *http.Request) {
	if !c.authorized(w, r) {
		return
	}
	var body wire.Cancel
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRunRequestBody)).Decode(&body); err != nil || body.Session == "" {
		writeRESTError(w, http.StatusBadRequest, "invalid_json", "want {\"session\": \"<id>\"}")
		return
	}
	c.s.cancel(body.Session, errRunCancelled)
	writeRESTAck(w, body.Session)
}

func writeRESTJSON(w http.ResponseWriter, status int, env wire.Envelope) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(env) // the hub went away: nothing to do
}

// writeRESTAck answers a run or cancel request with the run's session.
func writeRESTAck(w http.ResponseWriter, session string) {
	env, _ := wire.Success(wire.Ack{Session: session}) // an Ack always encodes
	writeRESTJSON(w, http.StatusOK, env)
}

func writeRESTError(w http.ResponseWriter, status int, code, msg string) {
	writeRESTJSON(w, status, wire.Fail(code, msg))
}

// restSink posts a run's log events (in order, on its own goroutine) to
// /v2/pluginLog and its response to /v2/pluginResponse.
type restSink struct {
	s      *server
	apiKey string
	queue  chan wire.Log
	done   chan struct{}

	mu      sync.Mutex
	closed  bool
	dropped int
}

func newRESTSink(s *server, apiKey string) *restSink {
	k := &restSink{s: s, apiKey: apiKey, queue: make(chan wire.Log, restLogQueue), done: make(chan struct{})}
	go k.postLogs()
	return k
}

func (k *restSink) postLogs() {
	defer close(k.done)
	for p := range k.queue {
		if err := k.s.api.postJSON(context.Background(), k.apiKey, wire.PathPluginLog, p); err != nil {
			k.s.log.Debug("plugin: post a log event", slog.Any(LogKeyError, err))
		}
	}
}

func (k *restSink) sendLog(payload wire.Log) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return
	}
	select {
	case k.queue <- payload:
	default:
		k.dropped++
	}
}

// flush stops taking log events and waits (until ctx is done) for the
// queued ones to be posted.
func (k *restSink) flush(ctx context.Context) {
	k.mu.Lock()
	if !k.closed {
		k.closed = true
		close(k.queue)
		if k.dropped > 0 {
			k.s.log.Warn("plugin: log events dropped (the hub was too slow)", slog.Int(LogKeyDropped, k.dropped))
		}
	}
	k.mu.Unlock()
	select {
	case <-k.done:
	case <-ctx.Done():
	}
}

func (k *restSink) respond(ctx context.Context, payload wire.Response) error {
	k.flush(ctx)
	var err error
	for attempt := 1; attempt <= restResponseAttempts; attempt++ {
		if err = k.s.api.postJSON(ctx, k.apiKey, wire.PathPluginResponse, payload); err == nil {
			return nil
		}
		var ae *APIError
		if errors.As(err, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 500 {
			return err // the hub refused it: retrying will not help
		}
		t := time.NewTimer(backoffDelay(attempt, time.Second, 10*time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
	return err
}

func (k *restSink) close() {
	ctx, cancel := context.WithTimeout(context.Background(), k.s.cfg.apiTimeout)
	defer cancel()
	k.flush(ctx)
}
