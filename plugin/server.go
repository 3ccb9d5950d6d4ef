package plugin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// cancelGrace is how long shutdown waits, after cancelling the runs still
// going at ShutdownTimeout, for them to report their failure.
const cancelGrace = 10 * time.Second

var (
	errRunCancelled = errors.New("run cancelled by the hub")
	errRunTimedOut  = errors.New("run timed out on the hub")
)

// connector is one way of talking to the hub.
type connector interface {
	// serve talks to the hub until ctx is done (then it returns nil) or a
	// fatal error ends it.
	serve(ctx context.Context) error
}

// server is one Run of an Export: the connector, the run slots and the
// running runs.
type server struct {
	cfg *config
	log *slog.Logger
	api *apiClient

	slots      chan struct{} // one token per running run
	draining   chan struct{} // closed when shutdown starts
	runsCtx    context.Context
	cancelRuns context.CancelCauseFunc

	mu     sync.Mutex
	closed bool // draining was closed
	runs   sync.WaitGroup
	active map[string]*activeRun // by session
}

// activeRun is a running (or waiting) run that can be cancelled.
type activeRun struct {
	cancel context.CancelCauseFunc
}

func newServer(cfg *config) *server {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &server{
		cfg:        cfg,
		log:        cfg.logger,
		api:        newAPIClient(cfg),
		slots:      make(chan struct{}, cfg.concurrency),
		draining:   make(chan struct{}),
		runsCtx:    ctx,
		cancelRuns: cancel,
		active:     map[string]*activeRun{},
	}
}

// run serves until ctx is done, stop is closed or the connector fails,
// then shuts down gracefully.
func (s *server) run(ctx context.Context, stop <-chan struct{}) error {
	var conn connector
	switch s.cfg.connector {
	case ConnectorREST:
		c, err := newRESTConnector(s)
		if err != nil {
			return err
		}
		conn = c
	default:
		conn = newWSConnector(s)
	}
	connCtx, stopConn := context.WithCancel(context.Background())
	defer stopConn()
	connDone := make(chan error, 1)
	go func() { connDone <- conn.serve(connCtx) }()

	var fatal error
	connEnded := false
	select {
	case <-ctx.Done():
	case <-stop:
	case fatal = <-connDone:
		connEnded = true
	}
	s.shutdown()
	stopConn()
	if !connEnded {
		fatal = <-connDone
	}
	s.cancelRuns(ErrShuttingDown)
	return fatal
}

// shutdown stops taking runs, lets running ones finish for up to
// ShutdownTimeout, then cancels them and waits cancelGrace for them to
// report.
func (s *server) shutdown() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.draining)
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.runs.Wait()
		close(done)
	}()
	timer := time.NewTimer(s.cfg.shutdownTimeout)
	defer timer.Stop()
	select {
	case <-done:
		return
	case <-timer.C:
	}
	s.log.Warn("plugin: shutdown timeout reached, cancelling the running runs", slog.Duration(LogKeyDuration, s.cfg.shutdownTimeout))
	s.cancelRuns(ErrShuttingDown)
	select {
	case <-done:
	case <-time.After(cancelGrace):
		s.log.Error("plugin: runs did not return after being cancelled; exiting anyway")
	}
}

// dispatch starts a run on its own goroutine and returns a channel closed
// when the run is over (its response sent). It returns ErrShuttingDown (and
// starts nothing) once shutdown began.
func (s *server) dispatch(w *runRequest, sink runSink) (<-chan struct{}, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrShuttingDown
	}
	s.runs.Add(1)
	ctx, cancel := context.WithCancelCause(s.runsCtx)
	var stopTimer func() bool
	if d := w.Timeout(); d > 0 {
		t := time.AfterFunc(d, func() { cancel(errRunTimedOut) })
		stopTimer = t.Stop
	}
	if prev, ok := s.active[w.Session]; ok {
		prev.cancel(fmt.Errorf("run %s dispatched again", w.Session))
	}
	me := &activeRun{cancel: cancel}
	s.active[w.Session] = me
	s.mu.Unlock()

	over := make(chan struct{})
	go func() {
		defer s.runs.Done()
		defer close(over)
		defer func() {
			if stopTimer != nil {
				stopTimer()
			}
			cancel(nil)
			s.mu.Lock()
			// A re-dispatch of the same session replaced the entry: keep it.
			if s.active[w.Session] == me {
				delete(s.active, w.Session)
			}
			s.mu.Unlock()
		}()
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
		case <-s.draining:
			s.fail(ctx, w, sink, s.runLogger(w, sink), ErrShuttingDown)
			sink.close()
			return
		case <-ctx.Done():
			s.fail(ctx, w, sink, s.runLogger(w, sink), context.Cause(ctx))
			sink.close()
			return
		}
		s.execute(ctx, w, sink)
	}()
	return over, nil
}

// cancel cancels the run of session, if it is running here.
func (s *server) cancel(session string, cause error) {
	s.mu.Lock()
	r := s.active[session]
	s.mu.Unlock()
	if r != nil {
		r.cancel(cause)
	}
}

// reportError hands a background error to the ErrorHandler.
func (s *server) reportError(err error) {
	if h := s.cfg.errorHandler; h != nil && err != nil {
		go h(err)
	}
}
