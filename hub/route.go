package hub

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/users"
)

// Access says who may call a route.
type Access int

// The access levels of routes.
const (
	// AccessPublic needs no credentials (health, metrics, signed URLs,
	// the plugin socket).
	AccessPublic Access = iota
	// AccessMember needs a user's API key or session (any role). Run
	// tokens get 403.
	AccessMember
	// AccessAdmin needs an admin's API key or session. Members and run
	// tokens get 403.
	AccessAdmin
	// AccessRun admits user keys and run tokens. The handler must reach
	// projects through [Server.LoadProject] (or check
	// auth.Principal.CanReachProject / RunID itself) so a run token stays
	// inside its project and run.
	AccessRun
)

// RouteOption adjusts one route registered with [Server.Handle].
type RouteOption func(*routeOptions)

type routeOptions struct {
	maxBody int64
}

// WithMaxBody bounds the route's request body to n bytes instead of
// Config.MaxBodyBytes; n < 0 removes the bound.
func WithMaxBody(n int64) RouteOption {
	return func(o *routeOptions) { o.maxBody = n }
}

// Handle registers h for pattern (a ServeMux pattern with method, e.g.
// "POST /api/projects") on mux, behind the hub's common layers: panic
// recovery, request metrics, the request body bound, and authentication
// for the given access level. Inside h, [auth.FromContext] returns the
// caller (always set unless access is AccessPublic).
func (s *Server) Handle(mux *http.ServeMux, pattern string, access Access, h http.HandlerFunc, opts ...RouteOption) {
	o := routeOptions{maxBody: s.cfg.MaxBodyBytes}
	for _, opt := range opts {
		opt(&o)
	}
	observe := s.metrics.observer(pattern)
	mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					observe(r.Method, "aborted", time.Since(start))
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "handler panic", slog.String(logKeyPath, r.URL.Path), slog.Any(logKeyError, v))
				if !rec.wroteHeader {
					s.WriteError(rec, r, fmt.Errorf("handler panic: %v", v))
				}
			}
			observe(r.Method, rec.code(), time.Since(start))
		}()
		if o.maxBody >= 0 && r.Body != nil {
			r.Body = http.MaxBytesReader(rec, r.Body, o.maxBody)
		}
		if access != AccessPublic {
			p, err := s.authenticate(r)
			if err != nil {
				s.WriteError(rec, r, err)
				return
			}
			if err := checkAccess(p, access); err != nil {
				s.WriteError(rec, r, err)
				return
			}
			r = r.WithContext(auth.NewContext(r.Context(), p))
		}
		h(rec, r)
	}))
}

// checkAccess refuses principals below the route's access level.
func checkAccess(p *auth.Principal, access Access) error {
	switch access {
	case AccessMember:
		if p.IsRunToken() {
			return errRunTokenScope
		}
	case AccessAdmin:
		if p.IsRunToken() {
			return errRunTokenScope
		}
		if !p.IsAdmin() {
			return Errorf(http.StatusForbidden, hubapi.CodeForbidden, "this needs an organization admin; your role is %q", p.Role)
		}
	}
	return nil
}

var errRunTokenScope = Errorf(http.StatusForbidden, hubapi.CodeForbidden, "a run token may only call the /v2 endpoints of its own project and run")

// Principal returns the caller of r; it panics when the route is
// AccessPublic (a programming error).
func Principal(r *http.Request) *auth.Principal {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		panic("hub: Principal called on a request without authentication")
	}
	return p
}

// authenticate resolves the request's API key (or, without one, the web
// UI's session cookie: EventSource and fetch calls of the browser cannot
// send an API key header) into a principal.
func (s *Server) authenticate(r *http.Request) (*auth.Principal, error) {
	ctx := r.Context()
	key := auth.RequestKey(r)
	if key == "" {
		p, err := s.webSessionAuth(r)
		if err != nil {
			return nil, err
		}
		if p != nil {
			return p, nil
		}
		return nil, Errorf(http.StatusUnauthorized, hubapi.CodeUnauthorized,
			"missing API key: send it in the %q header or as \"Authorization: Bearer KEY\"", auth.HeaderAPIKey)
	}
	return s.AuthenticateKey(ctx, key)
}

// AuthenticateKey resolves an API key or run token into its principal
// (users.Service.Authenticate). An unknown, revoked or expired key, or
// one whose user was deleted, gives an *Error with status 401 whose
// message says which.
func (s *Server) AuthenticateKey(ctx context.Context, key string) (*auth.Principal, error) {
	p, err := s.users.Authenticate(ctx, key)
	var ce *users.CredentialsError
	if errors.As(err, &ce) {
		return nil, Errorf(http.StatusUnauthorized, hubapi.CodeUnauthorized, "%s", ce.Message)
	}
	return p, err
}

// statusRecorder remembers the status written; it keeps the writer's
// optional interfaces (Flusher, Hijacker for websockets) reachable.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusRecorder) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Flush flushes the underlying writer when it can.
func (w *statusRecorder) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection over (websocket upgrades).
func (w *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("hijack: %T does not support it", w.ResponseWriter)
	}
	w.status, w.wroteHeader = http.StatusSwitchingProtocols, true
	return h.Hijack()
}

// Unwrap returns the underlying writer for http.ResponseController.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusRecorder) code() string {
	if !w.wroteHeader {
		return "200"
	}
	return strconv.Itoa(w.status)
}
