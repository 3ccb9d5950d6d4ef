package hub

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/issues"
	"github.com/exporthub/exporthub/hub/plugins"
	"github.com/exporthub/exporthub/hub/projects"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/users"
	"github.com/exporthub/exporthub/internal/egress"
	"github.com/exporthub/exporthub/internal/secretbox"
	"github.com/exporthub/exporthub/web"
)

// DefaultShutdownTimeout bounds the graceful shutdown Run and Serve do
// when their ctx is done.
const DefaultShutdownTimeout = 30 * time.Second

// ErrHubKeyMismatch is returned by New when the hub key differs from the
// one the replicas on the same PostgreSQL database use: presigned URLs
// one replica signs would not verify on the others, and the secrets one
// seals could not be opened by the others.
var ErrHubKeyMismatch = errors.New("hub: the hub key differs from the one the other replicas of this database use: give every replica the same hub key (--hub-key, EXPORTHUB_HUB_KEY)")

// hubKeyCheckSetting names the store setting holding the hub key's
// fingerprint.
const hubKeyCheckSetting = "hub_key_check"

// checkSharedHubKey records the fingerprint of the hub key on the first
// start on a database and, on later starts (other replicas, restarts),
// requires the same. The fingerprint is an HMAC under the key: it reveals
// nothing of the key.
func checkSharedHubKey(ctx context.Context, st store.Store, key []byte) error {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("exporthub hub key check"))
	fp := hex.EncodeToString(mac.Sum(nil))
	stored, err := st.SettingInit(ctx, hubKeyCheckSetting, fp)
	if err != nil {
		return fmt.Errorf("check the hub key: %w", err)
	}
	if !hmac.Equal([]byte(stored), []byte(fp)) {
		return ErrHubKeyMismatch
	}
	return nil
}

// Component is a background part of the hub started and stopped with the
// server: the run dispatcher, and those of Config.Components.
type Component interface {
	// Start starts the component and returns once it runs. ctx lives as
	// long as the server runs; it is cancelled by a hard stop (Close).
	Start(ctx context.Context) error
	// Shutdown stops the component, letting in-flight work finish until
	// ctx is done. It is safe to call without Start and more than once.
	Shutdown(ctx context.Context) error
}

// Server is the hub: HTTP API, /v2 plugin API, background components. It
// is safe for concurrent use. Build it with [New], serve it with [Run],
// [Serve] or [Server.Handler], stop it with [Server.Shutdown] and release
// it with [Server.Close].
type Server struct {
	cfg        Config
	log        *slog.Logger
	store      store.Store
	box        *secretbox.Box
	hubKey     []byte
	blobs      *blob.Service
	egress     *egress.Policy // outbound connections for tenants (storages, webhooks)
	bootstrap  *BootstrapInfo
	metrics    *metrics
	runs       *runs.Manager
	snapshots  *snapshotSweeper
	plugins    *plugins.Service
	issues     *issues.Service
	users      *users.Service
	projects   *projects.Service
	ui         *web.UI
	handler    http.Handler
	components []Component
	// stopping is closed by EndStreams; stopOnce guards it.
	stopping chan struct{}
	stopOnce sync.Once

	mu          sync.Mutex
	started     bool
	compCtx     context.Context
	compCancel  context.CancelFunc
	httpServers []*http.Server
	closed      bool
}

// New builds the hub's parts in order: the hub key and secret box, the
// database (creating DataDir, the hub key and the schema on first start),
// the blob storage, the first organization when the database is empty,
// the run dispatcher (plugin gateway, runs, notifications), the web UI,
// and finally the routes (routes.go) and the components started by
// [Server.Start]. It serves nothing yet.
func New(ctx context.Context, c *Config) (*Server, error) {
	if c == nil {
		c = &Config{}
	}
	cfg := c.WithDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger.With(slog.String(logKeyComponent, "hub")), metrics: newMetrics(), stopping: make(chan struct{})}
	var err error
	if s.hubKey, err = loadHubKey(&cfg); err != nil {
		return nil, err
	}
	if s.box, err = secretbox.New(s.hubKey); err != nil {
		return nil, fmt.Errorf("create secret box: %w", err)
	}
	if s.store, err = OpenStore(ctx, cfg.DatabaseURL, cfg.Logger); err != nil {
		return nil, err
	}
	if cfg.replicaNodeID() != "" {
		if err := checkSharedHubKey(ctx, s.store, s.hubKey); err != nil {
			s.store.Close()
			return nil, err
		}
	}
	if s.egress, err = egress.New(cfg.AllowPrivateNetworks); err != nil {
		s.store.Close()
		return nil, fmt.Errorf("allow-private-networks: %w", err)
	}
	if s.blobs, err = openBlobs(ctx, &cfg, s.hubKey, s.box, s.store, s.egress); err != nil {
		s.store.Close()
		return nil, err
	}
	if s.bootstrap, err = bootstrap(ctx, s.store, &cfg, s.log); err != nil {
		s.closeResources()
		return nil, err
	}
	if s.users, err = users.New(&users.Config{Store: s.store, Logger: s.log}); err != nil {
		s.closeResources()
		return nil, fmt.Errorf("create user service: %w", err)
	}
	if s.projects, err = projects.New(&projects.Config{Store: s.store}); err != nil {
		s.closeResources()
		return nil, fmt.Errorf("create project service: %w", err)
	}
	s.snapshots = newSnapshotSweeper(s)
	if s.runs, err = s.newRuns(); err != nil {
		s.closeResources()
		return nil, fmt.Errorf("create run dispatcher: %w", err)
	}
	if s.plugins, err = plugins.New(&plugins.Config{Store: s.store, Dispatcher: s.runs, Box: s.box, MaxConfigLen: cfg.MaxConfigBytes}); err != nil {
		s.closeResources()
		return nil, fmt.Errorf("create plugin service: %w", err)
	}
	if s.issues, err = issues.New(&issues.Config{Store: s.store}); err != nil {
		s.closeResources()
		return nil, fmt.Errorf("create issue service: %w", err)
	}
	if s.ui, err = web.New(&web.Config{Hub: &webHub{s: s}, Plugins: s.plugins, Users: s.users, Projects: s.projects, Logger: cfg.Logger}); err != nil {
		s.closeResources()
		return nil, fmt.Errorf("create web UI: %w", err)
	}
	s.handler = s.routes()
	s.components = append([]Component{s.runs, s.snapshots}, cfg.Components...)
	return s, nil
}

// Handler returns the hub's HTTP handler (API, /v2, health, metrics and
// every registered route). Serving it does not start the components: call
// [Server.Start] too, or use [Server.Serve].
func (s *Server) Handler() http.Handler { return s.handler }

// Start starts the background components once; later calls return nil.
// ctx bounds the start only; components run until Shutdown or Close.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("hub: start: %w", net.ErrClosed)
	}
	if s.started {
		return nil
	}
	s.started = true
	s.compCtx, s.compCancel = context.WithCancel(context.WithoutCancel(ctx))
	for i, c := range s.components {
		if err := c.Start(s.compCtx); err != nil {
			for j := i - 1; j >= 0; j-- {
				_ = s.components[j].Shutdown(ctx) // already failing; the start error is the one to report
			}
			return fmt.Errorf("start component: %w", err)
		}
	}
	return nil
}

// Run listens on Config.Listen, logs the URL and serves until ctx is
// done, then shuts down gracefully (at most DefaultShutdownTimeout). It
// returns nil after a clean shutdown.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
	}
	return s.Serve(ctx, ln)
}

// Serve starts the components and serves HTTP on ln until ctx is done,
// then shuts down gracefully (at most DefaultShutdownTimeout). It closes
// ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if err := s.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s.mu.Lock()
	s.httpServers = append(s.httpServers, srv)
	s.mu.Unlock()
	s.log.InfoContext(ctx, "exporthub listening", slog.String(logKeyURL, s.cfg.PublicURL), slog.String("listen", ln.Addr().String()))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve http: %w", err)
		}
		return nil
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultShutdownTimeout)
	defer cancel()
	s.log.InfoContext(sctx, "exporthub shutting down")
	return s.Shutdown(sctx)
}

// Stopping returns a channel that is closed when the server begins to
// shut down ([Server.Shutdown], [Server.Close] or [Server.EndStreams]).
// Long-lived responses, the server-sent event streams of the API and of
// the web UI, end when it closes, so that an open stream never holds a
// graceful shutdown; clients reconnect (to another replica, or once the
// hub is back) and resume where they stopped.
func (s *Server) Stopping() <-chan struct{} { return s.stopping }

// EndStreams closes the [Server.Stopping] channel: every open event
// stream ends and new ones end at once. Shutdown and Close call it. A
// program that serves [Server.Handler] with its own http.Server
// registers it with http.Server.RegisterOnShutdown, so that the
// http.Server's Shutdown does not wait for the streams either. It is
// safe to call more than once.
func (s *Server) EndStreams() { s.stopOnce.Do(func() { close(s.stopping) }) }

// streamContext returns the context of an event stream served for r:
// cancelled when the client goes away or the server begins to shut down.
// The caller calls cancel when the stream ends.
func (s *Server) streamContext(r *http.Request) (ctx context.Context, cancel context.CancelFunc) {
	ctx, cancel = context.WithCancel(r.Context())
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// Shutdown stops accepting requests, ends the open event streams
// ([Server.Stopping]), waits for the other in-flight requests and lets
// components finish their work until ctx is done. It is safe to call
// without Start and more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.EndStreams()
	s.mu.Lock()
	srvs := s.httpServers
	s.httpServers = nil
	comps := s.components
	started := s.started
	s.mu.Unlock()
	var errs []error
	for _, srv := range srvs {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down http server: %w", err))
		}
	}
	if started {
		for i := len(comps) - 1; i >= 0; i-- {
			if err := comps[i].Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("shut down component: %w", err))
			}
		}
	}
	return errors.Join(errs...)
}

// Close stops everything at once (open requests and component work are
// cancelled) and closes the database and blob storage. A second call
// returns nil.
func (s *Server) Close() error {
	s.EndStreams()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	srvs := s.httpServers
	s.httpServers = nil
	cancel := s.compCancel
	started := s.started
	s.mu.Unlock()
	for _, srv := range srvs {
		_ = srv.Close() // hard stop; connections are going away either way
	}
	if cancel != nil {
		cancel()
	}
	var errs []error
	if started {
		done, stop := context.WithCancel(context.Background())
		stop() // an expired ctx: components stop without waiting
		for i := len(s.components) - 1; i >= 0; i-- {
			if err := s.components[i].Shutdown(done); err != nil && !errors.Is(err, context.Canceled) {
				errs = append(errs, fmt.Errorf("stop component: %w", err))
			}
		}
	}
	if err := s.closeResources(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// closeResources closes the blob storage and the store.
func (s *Server) closeResources() error {
	var errs []error
	if s.blobs != nil {
		if err := s.blobs.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close blob storage: %w", err))
		}
	}
	if s.store != nil {
		if err := s.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Config returns the server's configuration with defaults applied.
func (s *Server) Config() Config { return s.cfg }

// Store returns the server's store.
func (s *Server) Store() store.Store { return s.store }

// Box returns the secret box sealing secrets at rest with the hub key.
func (s *Server) Box() *secretbox.Box { return s.box }

// Logger returns the server's logger.
func (s *Server) Logger() *slog.Logger { return s.log }

// PublicURL returns the base URL clients reach the hub at, without a
// trailing slash.
func (s *Server) PublicURL() string { return s.cfg.PublicURL }
