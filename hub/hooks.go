package hub

import (
	"context"
	"net/http"
	"sync"

	"github.com/exporthub/exporthub/hub/auth"
)

// RouteFunc adds routes to a server's mux, normally through
// [Server.Handle] so they get authentication, body bounds and metrics.
type RouteFunc func(s *Server, mux *http.ServeMux)

// Component is a background part of the hub started and stopped with the
// server (the run dispatcher, the REST connector poller, ...).
type Component interface {
	// Start starts the component and returns once it runs. ctx lives as
	// long as the server runs; it is cancelled by a hard stop (Close).
	Start(ctx context.Context) error
	// Shutdown stops the component, letting in-flight work finish until
	// ctx is done. It is safe to call without Start and more than once.
	Shutdown(ctx context.Context) error
}

// ComponentFunc builds a component for a server. It is called once by
// [New], after the store, blob storage and routes are ready.
type ComponentFunc func(s *Server) (Component, error)

// AuthenticatorFunc authenticates a request that carries no API key (e.g.
// a browser session cookie). It returns (nil, nil) when the request does
// not carry its kind of credential, a principal when it does and it is
// valid, and an error (usually an *Error with status 401) when it is not.
type AuthenticatorFunc func(s *Server, r *http.Request) (*auth.Principal, error)

var (
	hooksMu        sync.Mutex
	routeHooks     []RouteFunc
	componentHooks []ComponentFunc
	authHooks      []AuthenticatorFunc
)

// RegisterRoutes adds f to the functions every new server calls to build
// its routes. Call it from init(): files of package hub (plugins, runs,
// notifications) and other packages (the web UI) plug in without editing
// the server. Safe for concurrent use.
func RegisterRoutes(f RouteFunc) {
	hooksMu.Lock()
	defer hooksMu.Unlock()
	routeHooks = append(routeHooks, f)
}

// RegisterComponent adds f to the functions every new server calls to
// build its background components. Components start, in registration
// order, when the server starts and stop in reverse order. Call it from
// init(). Safe for concurrent use.
func RegisterComponent(f ComponentFunc) {
	hooksMu.Lock()
	defer hooksMu.Unlock()
	componentHooks = append(componentHooks, f)
}

// RegisterAuthenticator adds f to the authenticators consulted, in
// registration order, for requests without an API key. Call it from
// init(). Safe for concurrent use.
func RegisterAuthenticator(f AuthenticatorFunc) {
	hooksMu.Lock()
	defer hooksMu.Unlock()
	authHooks = append(authHooks, f)
}

// hooks returns copies of the registered hooks.
func hooks() ([]RouteFunc, []ComponentFunc, []AuthenticatorFunc) {
	hooksMu.Lock()
	defer hooksMu.Unlock()
	return append([]RouteFunc(nil), routeHooks...),
		append([]ComponentFunc(nil), componentHooks...),
		append([]AuthenticatorFunc(nil), authHooks...)
}
