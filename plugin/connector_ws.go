package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	engine "github.com/zishang520/socket.io/clients/engine/v3"
	"github.com/zishang520/socket.io/clients/engine/v3/transports"
	sio "github.com/zishang520/socket.io/clients/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/exporthub/exporthub/internal/wire"
)

const (
	// stableAfter is how long a connection must last for the reconnect
	// backoff to start over; shorter connections count as failed attempts.
	stableAfter = 10 * time.Second
	// lostOpenPoll and lostOpenAfter detect a connection whose engine is
	// open while its namespace never connects (see dial).
	lostOpenPoll  = 50 * time.Millisecond
	lostOpenAfter = 3 * time.Second
	// maxRejections is how many connections in a row the hub may reject
	// (an "error" event, then a disconnect) before Run gives up.
	maxRejections = 3
)

// wsConnector keeps a Socket.IO connection to the hub, reconnecting with
// backoff. It is safe for concurrent use.
type wsConnector struct {
	s *server

	mu  sync.Mutex
	cur *wsConn // the connected socket, nil while disconnected
}

func newWSConnector(s *server) *wsConnector { return &wsConnector{s: s} }

// wsConn is one Socket.IO connection.
type wsConn struct {
	sock      *sio.Socket
	done      chan struct{} // closed on disconnect
	closeOnce sync.Once
	mu        sync.Mutex
	reason    error        // why it disconnected
	rejected  error        // the hub's "error" event, if any
	lastEmit  atomic.Int64 // UnixNano of the last run event emitted
}

func (c *wsConn) disconnected(reason error) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.reason = reason
		c.mu.Unlock()
		close(c.done)
	})
}

const (
	// drainTimeout bounds how long closing a connection waits for the
	// events already emitted (a run's final response) to be written.
	drainTimeout = 5 * time.Second
	// closeLinger is how long a connection stays open after its last
	// emitted event before a deliberate disconnect: the Socket.IO server
	// queues incoming events per socket and drops those still queued when
	// the disconnect arrives.
	closeLinger = time.Second
)

// close waits until the events emitted so far left the socket (the
// client library writes asynchronously and would drop them) and lingers
// after a recent event, then disconnects.
func (c *wsConn) close() {
	deadline := time.Now().Add(drainTimeout)
	for time.Now().Before(deadline) {
		eng := c.sock.Io().Engine()
		if eng == nil || eng.Transport() == nil {
			break
		}
		if eng.WriteBuffer().Len() == 0 && eng.Transport().Writable() {
			break
		}
		select {
		case <-c.done:
			deadline = time.Now() // the connection is gone: nothing to wait for
		case <-time.After(5 * time.Millisecond):
		}
	}
	if wait := time.Until(time.Unix(0, c.lastEmit.Load()).Add(closeLinger)); wait > 0 {
		select {
		case <-c.done:
		case <-time.After(wait):
		}
	}
	c.sock.Disconnect()
}

func (c *wsConn) result() (reason, rejected error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason, c.rejected
}

// serve connects, reconnects after failures with backoff and jitter, and
// returns nil when ctx is done, ErrUnauthorized when the hub rejects the
// credentials, or ErrReconnectFailed after MaxReconnectAttempts.
func (w *wsConnector) serve(ctx context.Context) error {
	cfg := w.s.cfg
	log := w.s.log.With(slog.String(LogKeyComponent, "plugin"), slog.String(LogKeyHost, cfg.host.String()))
	rejections := 0 // consecutive connections ended by an "error" event
	failures := 0   // consecutive failed attempts (dial errors, short-lived connections)
	attempts := 0   // dial attempts since the last disconnect
	wasUp := false  // a connection existed before (so the next one is a reconnect)
	for {
		if failures > 0 {
			if cfg.maxReconnects > 0 && failures >= cfg.maxReconnects {
				return fmt.Errorf("%w: %d attempts to reach %s", ErrReconnectFailed, failures, cfg.host)
			}
			d := backoffDelay(failures, cfg.reconnectMin, cfg.reconnectMax)
			log.Info("plugin: reconnecting after a delay", slog.Int(LogKeyAttempt, failures+1), slog.Duration(LogKeyDelay, d))
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
		attempts++
		conn, err := w.dial(ctx)
		if ctx.Err() != nil {
			if conn != nil {
				conn.sock.Disconnect()
			}
			return nil
		}
		if err != nil {
			failures++
			log.Warn("plugin: connect to the hub", slog.Int(LogKeyAttempt, failures), slog.Any(LogKeyError, err))
			w.s.reportError(fmt.Errorf("connect to the hub: %w", err))
			continue
		}
		connectedAt := time.Now()
		log.Info("plugin: connected to the hub")
		if wasUp && cfg.onReconnect != nil {
			go cfg.onReconnect(attempts)
		}
		wasUp, attempts = true, 0
		w.attach(conn)
		stopBeat := w.heartbeats(conn, log)

		select {
		case <-ctx.Done():
		case <-conn.done:
		}
		stopBeat()
		w.detach(conn)
		if ctx.Err() != nil {
			conn.close()
			return nil
		}
		reason, rejected := conn.result()
		stable := time.Since(connectedAt) >= stableAfter
		if rejected != nil {
			// One rejection may be a hub hiccup; the same answer on
			// maxRejections connections in a row means the id or secret is
			// wrong (or was rotated, or the plugin deleted).
			rejections++
			if rejections >= maxRejections {
				conn.sock.Disconnect()
				return fmt.Errorf("the hub rejected plugin %q %d times: %w", cfg.id, rejections, rejected)
			}
		} else if stable {
			rejections = 0
		}
		log.Warn("plugin: disconnected from the hub", slog.Any(LogKeyReason, reason))
		if cfg.onDisconnect != nil {
			go cfg.onDisconnect(reason)
		}
		conn.sock.Disconnect() // release the old manager; a new one reconnects
		if stable && rejected == nil {
			failures = 0
		} else {
			failures++
		}
	}
}

// dial opens one connection to the /plugin namespace and waits until it is
// connected, failed, or DialTimeout passed.
func (w *wsConnector) dial(ctx context.Context) (*wsConn, error) {
	cfg := w.s.cfg
	// The client library loses the error of a refused connection, or of
	// an HTTP error answer to the upgrade, and only reports its own
	// timeout; a plain HTTP probe fails fast instead.
	if err := probe(ctx, cfg); err != nil {
		return nil, err
	}
	opts := sio.DefaultOptions()
	opts.SetTransports(types.NewSet(transports.WebSocket))
	opts.SetPath(wire.SocketIOPath)
	opts.SetReconnection(false) // reconnects are ours: backoff, jitter, limits, callbacks
	opts.SetForceNew(true)
	opts.SetMultiplex(false)
	opts.SetAutoConnect(false)
	opts.SetTimeout(cfg.dialTimeout)

	manager := sio.NewManager(cfg.host.String(), opts)
	sock := manager.Socket(wire.Namespace, opts)
	conn := &wsConn{sock: sock, done: make(chan struct{})}
	connected := make(chan struct{})
	failed := make(chan error, 1)
	var once sync.Once

	sock.On("connect", func(...any) {
		once.Do(func() { close(connected) })
	})
	sock.On("connect_error", func(args ...any) {
		once.Do(func() { failed <- eventError(args) })
	})
	sock.On("disconnect", func(args ...any) {
		conn.disconnected(disconnectReason(args))
		once.Do(func() { failed <- fmt.Errorf("disconnected while connecting: %w", disconnectReason(args)) })
	})
	sock.On(wire.EventError, func(args ...any) {
		// The hub rejects a wrong id or secret with an "error" event and then
		// disconnects (plugin-protocol section 2).
		e := hubEventError(args)
		w.s.log.Warn("plugin: the hub sent an error", slog.Any(LogKeyError, e))
		conn.mu.Lock()
		conn.rejected = e
		conn.mu.Unlock()
	})
	sock.On(wire.EventPlugin, func(args ...any) {
		// Listeners run on the socket's read loop: decode and hand off.
		w.onPlugin(conn, args)
	})
	sock.On(wire.EventCancel, func(args ...any) {
		var c wire.Cancel
		if wire.FromArgs(args, &c) == nil && c.Session != "" {
			w.s.cancel(c.Session, errRunCancelled)
		}
	})
	timer := time.NewTimer(cfg.dialTimeout)
	defer timer.Stop()
	fail := func(err error) (*wsConn, error) {
		sock.Disconnect() // releases the manager and its engine
		return nil, err
	}
	// Open the Engine.IO connection first, then connect the namespace once:
	// connecting the namespace while the engine opens can make the client
	// library send the namespace CONNECT twice, and the hub then rejects
	// the extra, anonymous socket of the same connection.
	opened := make(chan error, 1)
	manager.Open(func(err error) {
		select {
		case opened <- err:
		default:
		}
	})
	if err := waitOpen(ctx, manager, opened, timer, cfg.dialTimeout); err != nil {
		return fail(err)
	}
	sock.Connect()
	select {
	case <-connected:
		return conn, nil
	case err := <-failed:
		return fail(err)
	case <-timer.C:
		return fail(fmt.Errorf("no connection after %v", cfg.dialTimeout))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
}

// waitOpen waits until the manager's engine connection is open.
func waitOpen(ctx context.Context, manager *sio.Manager, opened <-chan error, timer *time.Timer, timeout time.Duration) error {
	tick := time.NewTicker(lostOpenPoll)
	defer tick.Stop()
	var openSince time.Time
	for {
		select {
		case err := <-opened:
			return err
		case <-timer.C:
			return fmt.Errorf("no connection after %v", timeout)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			// The client library registers its "open" listener after the
			// engine started connecting; on a fast network the event can
			// fire first and the manager then never opens. Give up on such
			// a connection early instead of waiting for DialTimeout.
			eng := manager.Engine()
			if eng == nil || eng.ReadyState() != engine.SocketStateOpen {
				openSince = time.Time{}
				continue
			}
			if openSince.IsZero() {
				openSince = time.Now()
			} else if time.Since(openSince) >= lostOpenAfter {
				return fmt.Errorf("connection open but not usable after %v (lost open event)", lostOpenAfter)
			}
		}
	}
}

// probe asks the hub's Socket.IO endpoint for an answer over plain HTTP
// first: a refused connection, or the 502, 503 or 504 a load balancer
// answers when no hub replica is behind it, fails the attempt at once.
// The client library reports neither (it waits for its own DialTimeout,
// longer than a replica's lease, so runs would find no instance online).
func probe(ctx context.Context, cfg *config) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.dialTimeout)
	defer cancel()
	u := *cfg.host
	u.Path = strings.TrimRight(u.Path, "/") + wire.SocketIOPath
	u.RawQuery = "EIO=4&transport=websocket"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := cfg.httpClient.Do(req)
	if err != nil {
		return redactErr(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096)) // lets the connection be reused
	_ = resp.Body.Close()                                       // read-only
	switch resp.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return fmt.Errorf("the hub's address answered %s", resp.Status)
	}
	return nil
}

// onPlugin starts the run of a "plugin" event that arrived on conn.
func (w *wsConnector) onPlugin(conn *wsConn, args []any) {
	req := new(runRequest)
	err := wire.FromArgs(args, req)
	if err == nil && req.Session == "" {
		err = errNoSession
	}
	if err == nil {
		sink := &wsSink{w: w, conn: conn, apiKey: req.APIKey}
		if _, err = w.s.dispatch(req, sink); errors.Is(err, ErrShuttingDown) {
			w.s.fail(context.Background(), req, sink, w.s.runLogger(req, sink), err)
			return
		}
	}
	if err != nil {
		w.s.log.Error("plugin: ignore a run request", slog.Any(LogKeyError, err))
		w.s.reportError(err)
	}
}

// attach makes conn the current connection and authenticates it with a
// heartbeat. (The events of runs that arrived on an earlier connection go
// over HTTP: see wsSink.)
func (w *wsConnector) attach(conn *wsConn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cur = conn
	w.emitLocked(wire.EventHeartbeat, w.heartbeatPayload())
}

func (w *wsConnector) detach(conn *wsConn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur == conn {
		w.cur = nil
	}
}

func (w *wsConnector) heartbeatPayload() wire.Heartbeat {
	return wire.Heartbeat{ID: w.s.cfg.id, Secret: w.s.cfg.secret}
}

// heartbeats sends a heartbeat every HeartbeatInterval on its own goroutine
// until the returned stop function is called.
func (w *wsConnector) heartbeats(conn *wsConn, log *slog.Logger) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(w.s.cfg.heartbeat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-conn.done:
				return
			case <-t.C:
				w.mu.Lock()
				if w.cur == conn {
					w.emitLocked(wire.EventHeartbeat, w.heartbeatPayload())
				}
				w.mu.Unlock()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// emitLocked writes an event on the current socket; w.mu must be held.
func (w *wsConnector) emitLocked(event string, payload any) {
	if w.cur == nil {
		return
	}
	if event != wire.EventHeartbeat {
		w.cur.lastEmit.Store(time.Now().UnixNano())
	}
	if err := w.cur.sock.Emit(event, payload); err != nil {
		w.s.log.Debug("plugin: emit", slog.String("event", event), slog.Any(LogKeyError, err))
	}
}

// emitOn sends an event on conn if it is still the connected socket;
// false otherwise.
func (w *wsConnector) emitOn(conn *wsConn, event string, payload any) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if conn == nil || w.cur != conn || !conn.sock.Connected() {
		return false
	}
	w.emitLocked(event, payload)
	return true
}

// wsSink sends a run's events over the socket the run arrived on. Once
// that socket is gone (the hub replica holding the run may have stopped),
// they go over HTTP (/v2/pluginLog, /v2/pluginResponse) with the run's
// token, which any hub replica accepts for an active run: the finished
// work is not lost to a reconnection.
type wsSink struct {
	w      *wsConnector
	conn   *wsConn // the socket the run arrived on
	apiKey string

	mu   sync.Mutex
	rest *restSink // created on the first event sent over HTTP
}

// http returns the HTTP sink, creating it.
func (s *wsSink) http() *restSink {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rest == nil {
		s.w.s.log.Info("plugin: the run's connection is gone; sending its events over HTTP")
		s.rest = newRESTSink(s.w.s, s.apiKey)
	}
	return s.rest
}

func (s *wsSink) sendLog(payload wire.Log) {
	s.mu.Lock()
	viaHTTP := s.rest != nil // keep the lines in order once they go over HTTP
	s.mu.Unlock()
	if viaHTTP || !s.w.emitOn(s.conn, wire.EventLog, payload) {
		s.http().sendLog(payload)
	}
}

func (s *wsSink) respond(ctx context.Context, payload wire.Response) error {
	s.mu.Lock()
	viaHTTP := s.rest != nil
	s.mu.Unlock()
	if !viaHTTP && s.w.emitOn(s.conn, wire.EventResponse, payload) {
		return nil
	}
	return s.http().respond(ctx, payload)
}

func (s *wsSink) close() {
	s.mu.Lock()
	rest := s.rest
	s.mu.Unlock()
	if rest != nil {
		rest.close()
	}
}

// eventError turns the arguments of a connect_error event into an error.
func eventError(args []any) error {
	if len(args) > 0 {
		if err, ok := args[0].(error); ok && err != nil {
			return err
		}
		if args[0] != nil {
			return fmt.Errorf("%v", args[0])
		}
	}
	return errors.New("connection failed")
}

// disconnectReason turns the arguments of a disconnect event into an error.
func disconnectReason(args []any) error {
	reason := "disconnected"
	if len(args) > 0 {
		if s, ok := args[0].(string); ok && s != "" {
			reason = s
		}
	}
	if len(args) > 1 {
		if err, ok := args[1].(error); ok && err != nil {
			return fmt.Errorf("%s: %w", reason, err)
		}
	}
	return errors.New(reason)
}

// hubEventError turns the hub's "error" event (a wire.Error, or a bare
// string) into an *APIError; a missing code means a rejected heartbeat.
func hubEventError(args []any) error {
	e := &APIError{Code: CodeUnauthorized, Message: "the hub rejected the plugin"}
	var we wire.Error
	if wire.FromArgs(args, &we) == nil {
		e.Message = orDefault(we.Message, e.Message)
		e.Code = orDefault(we.Code, e.Code)
	} else if len(args) > 0 {
		if s, ok := args[0].(string); ok && s != "" {
			e.Message = s
		}
	}
	return e
}
