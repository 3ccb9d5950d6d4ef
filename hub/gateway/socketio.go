package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	engine "github.com/zishang520/socket.io/servers/engine/v3"
	sio "github.com/zishang520/socket.io/servers/socket/v3"

	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/wire"
)

// Messages of the `error` event sent before a socket is disconnected.
const (
	// MsgInvalidSecret answers a heartbeat with a wrong plugin id or secret.
	MsgInvalidSecret = "invalid plugin id or secret"
	// MsgNoHeartbeat is sent to a socket that sent no valid heartbeat in
	// time.
	MsgNoHeartbeat = "no valid heartbeat received in time"
)

// MsgInstanceDisconnected is the reason given for runs whose Socket.IO
// instance disconnected.
const MsgInstanceDisconnected = "plugin instance disconnected during the run"

// authTimeout bounds the store lookup that authenticates a heartbeat.
const authTimeout = 10 * time.Second

// initSocketIO creates the Socket.IO server and its /plugin namespace.
func (g *Gateway) initSocketIO() {
	opts := sio.DefaultServerOptions()
	opts.SetServeClient(false)
	opts.SetMaxHttpBufferSize(g.cfg.MaxMessageBytes)
	g.io = sio.NewServer(nil, opts)
	g.io.Of(Namespace, nil).On("connection", func(args ...any) {
		if len(args) == 0 {
			return
		}
		if s, ok := args[0].(*sio.Socket); ok {
			g.onConnection(s)
		}
	})
	g.h = g.limitAnonymous(g.io.ServeHandler(nil))
	_ = g.io.Engine().On("connection", func(args ...any) {
		if len(args) == 0 {
			return
		}
		if es, ok := args[0].(engine.Socket); ok {
			g.onEngineConnection(es)
		}
	})
}

// conn is one socket in the /plugin namespace.
type conn struct {
	g           *Gateway
	s           *sio.Socket
	remote      string
	connectedAt time.Time
	// engineID identifies the underlying Engine.IO connection.
	engineID string

	mu     sync.Mutex
	inst   *instance // nil while anonymous
	anon   *time.Timer
	closed bool
}

func (g *Gateway) onConnection(s *sio.Socket) {
	c := &conn{g: g, s: s, connectedAt: time.Now().UTC(), engineID: s.Conn().Id()}
	if hs := s.Handshake(); hs != nil {
		c.remote = hs.Address
	}
	c.anon = time.AfterFunc(g.cfg.AnonymousTimeout, c.anonymousTimeout)
	g.log.DebugContext(g.ctx, "socket connected", slog.String(logKeyInstance, string(s.Id())), slog.String(logKeyRemote, c.remote))
	_ = s.On(EventHeartbeat, func(args ...any) { c.onHeartbeat(args) })
	_ = s.On(EventLog, func(args ...any) { c.onLog(args) })
	_ = s.On(EventResponse, func(args ...any) { c.onResponse(args) })
	_ = s.On("disconnect", func(...any) { c.onDisconnect() })
}

func (c *conn) anonymousTimeout() {
	c.mu.Lock()
	anonymous := c.inst == nil && !c.closed
	c.mu.Unlock()
	if anonymous && c.g.authenticatedOn(c.engineID) {
		// A client library that sent the namespace CONNECT twice left
		// this socket behind; its sibling on the same connection is the
		// instance, and a namespace disconnect would reach the client
		// as the end of that instance. The socket goes with the
		// connection.
		c.g.log.DebugContext(c.g.ctx, "duplicate namespace socket left alone", slog.String(logKeyInstance, string(c.s.Id())))
		return
	}
	if anonymous {
		c.g.log.InfoContext(c.g.ctx, "closing socket without a valid heartbeat", slog.String(logKeyInstance, string(c.s.Id())), slog.String(logKeyRemote, c.remote))
		c.reject(MsgNoHeartbeat)
	}
}

// reject tells the client why and disconnects it from the namespace: the
// `error` event, then the namespace disconnect, in order on the
// connection (closing the connection at once could lose the event). The
// SDKs close their connection on it; the hub closes the Engine.IO
// connection shortly after, unless another socket on it is an
// authenticated instance, so a client that ignores the disconnect and
// rejoins the namespace does not stay connected.
func (c *conn) reject(msg string) {
	_ = c.s.Emit(EventError, wire.Error{Message: msg})
	c.s.Disconnect(false)
	c.g.closeEngineSoon(c.s.Conn())
}

func (c *conn) onHeartbeat(args []any) {
	var hb wire.Heartbeat
	if err := wire.FromArgs(args, &hb); err != nil || !hb.Valid() {
		c.g.log.InfoContext(c.g.ctx, "heartbeat without id or secret", slog.String(logKeyRemote, c.remote))
		c.reject(MsgInvalidSecret)
		return
	}
	ctx, cancel := context.WithTimeout(c.g.ctx, authTimeout)
	p, err := c.g.authenticate(ctx, hb.ID, hb.Secret)
	cancel()
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.g.log.InfoContext(c.g.ctx, "heartbeat with an invalid plugin id or secret", slog.String(logKeyPlugin, hb.ID), slog.String(logKeyRemote, c.remote))
		c.reject(MsgInvalidSecret)
		return
	case err != nil:
		// The store is unavailable: keep the socket as it is; the next
		// heartbeat tries again (an anonymous socket still times out).
		c.g.log.WarnContext(c.g.ctx, "authenticate heartbeat", slog.String(logKeyPlugin, hb.ID), slog.Any(logKeyError, err))
		return
	case p.Connector == store.ConnectorREST:
		c.reject(fmt.Sprintf("plugin %s uses the REST connector; it cannot connect over Socket.IO", p.ID))
		return
	}
	now := time.Now().UTC()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	inst := c.inst
	if inst != nil && inst.pluginID != p.ID {
		c.mu.Unlock()
		c.reject(MsgInvalidSecret)
		return
	}
	first := inst == nil
	if first {
		c.anon.Stop()
		inst = c.newInstance(p, now)
		c.inst = inst
		c.g.reg.add(inst)
		c.g.markAuthenticated(c.engineID, 1)
		c.g.log.InfoContext(c.g.ctx, "plugin instance connected", slog.String(logKeyPlugin, p.ID), slog.String(logKeyInstance, inst.id), slog.String(logKeyRemote, c.remote))
	}
	c.mu.Unlock()
	c.g.reg.beat(inst, now)
	if first {
		c.g.cfg.Events.InstanceConnected(c.g.ctx, c.g.reg.info(inst))
	} else {
		c.g.cfg.Events.InstanceHeartbeat(c.g.ctx, c.g.reg.info(inst))
	}
}

func (c *conn) newInstance(p *store.Plugin, now time.Time) *instance {
	return &instance{
		id:          string(c.s.Id()),
		pluginID:    p.ID,
		orgID:       p.OrgID,
		connector:   store.ConnectorWS,
		remoteAddr:  c.remote,
		connectedAt: c.connectedAt,
		send: func(_ context.Context, d *Dispatch) error {
			return c.s.Emit(EventPlugin, d.Request)
		},
		cancelRun: func(runID string) {
			_ = c.s.Emit(EventCancel, wire.Cancel{Session: runID})
		},
		close:         func() { c.s.Disconnect(true) },
		kick:          c.reject,
		lastHeartbeat: now,
	}
}

// authenticated returns the socket's instance, or nil while anonymous.
func (c *conn) authenticated() *instance {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inst
}

func (c *conn) onLog(args []any) {
	inst := c.authenticated()
	ev, err := logEventOf(args)
	if inst == nil || err != nil {
		c.g.log.DebugContext(c.g.ctx, "log event ignored: socket not authenticated or payload not an object", slog.String(logKeyInstance, string(c.s.Id())))
		return
	}
	c.g.cfg.Events.PluginLog(c.g.ctx, c.g.reg.info(inst), ev)
}

func (c *conn) onResponse(args []any) {
	inst := c.authenticated()
	ev := new(ResponseEvent)
	if err := wire.FromArgs(args, ev); inst == nil || err != nil {
		c.g.log.DebugContext(c.g.ctx, "response event ignored: socket not authenticated or payload not an object", slog.String(logKeyInstance, string(c.s.Id())))
		return
	}
	c.g.cfg.Events.PluginResponse(c.g.ctx, c.g.reg.info(inst), ev)
}

func (c *conn) onDisconnect() {
	c.mu.Lock()
	c.closed = true
	c.anon.Stop()
	inst := c.inst
	c.mu.Unlock()
	if inst == nil {
		return
	}
	c.g.markAuthenticated(c.engineID, -1)
	info := c.g.reg.info(inst)
	runs, registered := c.g.reg.remove(inst)
	c.g.log.InfoContext(c.g.ctx, "plugin instance disconnected", slog.String(logKeyPlugin, inst.pluginID), slog.String(logKeyInstance, inst.id), slog.Int("runs", len(runs)))
	if !registered || c.g.ctx.Err() != nil {
		return
	}
	c.g.cfg.Events.InstanceDisconnected(c.g.ctx, info)
	if len(runs) > 0 {
		c.g.cfg.Events.InstanceLost(c.g.ctx, info, runs, MsgInstanceDisconnected)
	}
}

// markAuthenticated counts the authenticated sockets of an Engine.IO
// connection.
func (g *Gateway) markAuthenticated(engineID string, delta int) {
	if delta > 0 {
		g.anon.remove(engineID) // no longer counts against the anonymous bounds
	}
	g.authMu.Lock()
	defer g.authMu.Unlock()
	if n := g.authByEngine[engineID] + delta; n > 0 {
		g.authByEngine[engineID] = n
	} else {
		delete(g.authByEngine, engineID)
	}
}

// authenticatedOn reports whether an Engine.IO connection carries an
// authenticated socket.
func (g *Gateway) authenticatedOn(engineID string) bool {
	g.authMu.Lock()
	defer g.authMu.Unlock()
	return g.authByEngine[engineID] > 0
}
