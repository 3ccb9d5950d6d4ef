package gateway

import (
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	engine "github.com/zishang520/socket.io/servers/engine/v3"
)

// Defaults of the bounds on unauthenticated connections.
const (
	// DefaultMaxAnonymous bounds the Engine.IO connections that carry no
	// authenticated plugin instance, over all addresses.
	DefaultMaxAnonymous = 1000
	// DefaultMaxAnonymousPerAddr bounds them per remote address.
	DefaultMaxAnonymousPerAddr = 50
	// MsgTooManyAnonymous answers a new connection over a bound.
	MsgTooManyAnonymous = "too many unauthenticated plugin connections; send a valid heartbeat soon after connecting, or try again later"
)

// rejectGrace is how long a rejected connection stays open so that the
// `error` event and the namespace disconnect reach the client before the
// Engine.IO connection closes.
const rejectGrace = 500 * time.Millisecond

// anonymousConns counts the Engine.IO connections that carry no
// authenticated instance (yet), in total and per remote address, and
// closes them at the heartbeat deadline. It is safe for concurrent use.
type anonymousConns struct {
	maxTotal, maxPerAddr int

	mu     sync.Mutex
	total  int
	byAddr map[string]int
	conns  map[string]string // Engine.IO connection id -> remote address, while anonymous
}

func newAnonymousConns(maxTotal, maxPerAddr int) *anonymousConns {
	return &anonymousConns{maxTotal: maxTotal, maxPerAddr: maxPerAddr, byAddr: make(map[string]int), conns: make(map[string]string)}
}

// full reports whether a new anonymous connection from addr is over a
// bound.
func (a *anonymousConns) full(addr string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.total >= a.maxTotal || a.byAddr[addr] >= a.maxPerAddr
}

// add counts connection id from addr; false when a bound is reached.
func (a *anonymousConns) add(id, addr string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.total >= a.maxTotal || a.byAddr[addr] >= a.maxPerAddr {
		return false
	}
	a.total++
	a.byAddr[addr]++
	a.conns[id] = addr
	return true
}

// remove stops counting connection id (it authenticated or closed);
// false when it was not counted.
func (a *anonymousConns) remove(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	addr, ok := a.conns[id]
	if !ok {
		return false
	}
	delete(a.conns, id)
	a.total--
	if a.byAddr[addr]--; a.byAddr[addr] <= 0 {
		delete(a.byAddr, addr)
	}
	return true
}

// counts returns the number of anonymous connections, in total and from
// addr.
func (a *anonymousConns) counts(addr string) (total, fromAddr int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.total, a.byAddr[addr]
}

// anonymous reports whether connection id is counted.
func (a *anonymousConns) anonymous(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.conns[id]
	return ok
}

// remoteHost returns the host of a host:port address, or addr.
func remoteHost(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// onEngineConnection counts a new Engine.IO connection as anonymous, or
// closes it when a bound is reached, and closes it at the heartbeat
// deadline if it has not authenticated by then (whether or not it joined
// the namespace, and however often it rejoined it).
func (g *Gateway) onEngineConnection(es engine.Socket) {
	id, addr := es.Id(), remoteHost(es.RemoteAddress())
	if !g.anon.add(id, addr) {
		g.log.WarnContext(g.ctx, "plugin connection refused: too many unauthenticated connections", slog.String(logKeyRemote, addr))
		es.Close(true)
		return
	}
	_ = es.Once("close", func(...any) { g.anon.remove(id) })
	time.AfterFunc(g.cfg.AnonymousTimeout+rejectGrace, func() {
		if g.anon.anonymous(id) {
			g.log.InfoContext(g.ctx, "closing plugin connection without a valid heartbeat", slog.String(logKeyRemote, addr))
			es.Close(true)
		}
	})
}

// closeEngineSoon closes the Engine.IO connection es after rejectGrace
// unless it carries an authenticated instance by then.
func (g *Gateway) closeEngineSoon(es engine.Socket) {
	time.AfterFunc(rejectGrace, func() {
		if !g.authenticatedOn(es.Id()) {
			es.Close(true)
		}
	})
}

// limitAnonymous answers a new Engine.IO handshake (no sid) with 429 when
// the bounds on unauthenticated connections are reached, before the
// Socket.IO server allocates anything for it.
func (g *Gateway) limitAnonymous(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("sid") == "" && g.anon.full(remoteHost(r.RemoteAddr)) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", strconv.Itoa(int(g.cfg.AnonymousTimeout/time.Second)+1))
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"status":"fail","message":"` + MsgTooManyAnonymous + `","code":"too_many_requests"}` + "\n"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
