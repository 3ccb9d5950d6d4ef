package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	sio "github.com/zishang520/socket.io/servers/socket/v3"

	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/secretbox"
)

// Defaults of Config.
const (
	// DefaultAnonymousTimeout is how long a socket may stay connected
	// without a valid heartbeat.
	DefaultAnonymousTimeout = 30 * time.Second
	// DefaultRESTPollInterval is how often REST plugins are sent a heartbeat.
	DefaultRESTPollInterval = 15 * time.Second
	// DefaultRESTTimeout bounds one REST heartbeat request.
	DefaultRESTTimeout = 10 * time.Second
	// DefaultMaxMessageBytes bounds one Socket.IO message from a plugin.
	DefaultMaxMessageBytes int64 = 1 << 20
	// DefaultRESTDispatchTimeout bounds POST {base}/plugin when a dispatch
	// has no deadline.
	DefaultRESTDispatchTimeout = time.Hour
)

// ErrNoInstance is returned by Gateway.Dispatch when no instance of the
// plugin is connected.
var ErrNoInstance = errors.New("gateway: no plugin instance connected")

// ErrClosed is returned by Gateway.Dispatch after Close.
var ErrClosed = errors.New("gateway: closed")

// PluginSource is what the gateway reads about plugins; store.Store
// satisfies it.
type PluginSource interface {
	// PluginGetByID returns a plugin of any organization by id, or
	// store.ErrNotFound.
	PluginGetByID(ctx context.Context, id string) (*store.Plugin, error)
	// PluginListByConnector returns the plugins that use a connector.
	PluginListByConnector(ctx context.Context, connector string) ([]*store.Plugin, error)
}

// Events receives what instances send and what happens to them. The run
// dispatcher implements it. Methods are called from the gateway's
// goroutines (one per socket for events of that socket), may be called
// concurrently, and must not block for long.
type Events interface {
	// PluginLog receives a `log` event of an authenticated instance.
	PluginLog(ctx context.Context, inst InstanceInfo, ev *LogEvent)
	// PluginResponse receives a `response` event of an authenticated
	// instance.
	PluginResponse(ctx context.Context, inst InstanceInfo, ev *ResponseEvent)
	// InstanceLost reports that an instance went away while it held runs;
	// reason is a user-readable sentence.
	InstanceLost(ctx context.Context, inst InstanceInfo, runIDs []string, reason string)
	// DispatchFailed reports that a run could not be handed to the
	// instance it was dispatched to (REST connector: the plugin refused or
	// did not answer the POST).
	DispatchFailed(ctx context.Context, inst InstanceInfo, runID string, err error)
	// InstanceConnected reports a new instance: a socket's first valid
	// heartbeat, or a REST plugin's first answered heartbeat. The
	// instance is registered (Instances lists it) before the call.
	InstanceConnected(ctx context.Context, inst InstanceInfo)
	// InstanceHeartbeat reports a later valid heartbeat of an instance.
	InstanceHeartbeat(ctx context.Context, inst InstanceInfo)
	// InstanceDisconnected reports that an instance went away (before
	// InstanceLost, when it held runs). The instance is unregistered
	// before the call. It is not called for the instances Close
	// disconnects.
	InstanceDisconnected(ctx context.Context, inst InstanceInfo)
}

// Config configures a Gateway. The zero value of every field but Plugins
// and Events means its default. Fields are read once by New; the caller's
// Config is never modified.
type Config struct {
	// Plugins looks up plugins to authenticate heartbeats and to list REST
	// plugins. Required.
	Plugins PluginSource
	// Events receives logs, responses and lost runs. Required.
	Events Events
	// Box decrypts plugin secrets for the REST connector. When nil, REST
	// plugins are not polled.
	Box *secretbox.Box
	// AnonymousTimeout closes sockets that sent no valid heartbeat in that
	// time. Defaults to DefaultAnonymousTimeout.
	AnonymousTimeout time.Duration
	// RESTPollInterval is how often REST plugins get a heartbeat. Defaults
	// to DefaultRESTPollInterval.
	RESTPollInterval time.Duration
	// RESTTimeout bounds one REST heartbeat. Defaults to
	// DefaultRESTTimeout.
	RESTTimeout time.Duration
	// RESTAllowedURLs lists the base URLs (scheme, host and path prefix)
	// REST plugins may have. The hub makes requests to these URLs, so only
	// an administrator may widen the list (server-side request forgery).
	// Empty means the REST connector is refused.
	RESTAllowedURLs []string
	// HTTPClient makes REST connector requests; it must not follow
	// redirects. Defaults to a client that does not.
	HTTPClient *http.Client
	// MaxMessageBytes bounds one Socket.IO message. Defaults to
	// DefaultMaxMessageBytes.
	MaxMessageBytes int64
	// MaxAnonymous bounds the connections that carry no authenticated
	// plugin instance (a valid heartbeat), over all addresses; a new
	// connection over it gets 429. Defaults to DefaultMaxAnonymous.
	MaxAnonymous int
	// MaxAnonymousPerAddr bounds them per remote address. Defaults to
	// DefaultMaxAnonymousPerAddr.
	MaxAnonymousPerAddr int
	// Logger receives the gateway's logs. Defaults to slog.Default().
	Logger *slog.Logger
}

func (c *Config) withDefaults() Config {
	out := *c
	if out.AnonymousTimeout == 0 {
		out.AnonymousTimeout = DefaultAnonymousTimeout
	}
	if out.RESTPollInterval == 0 {
		out.RESTPollInterval = DefaultRESTPollInterval
	}
	if out.RESTTimeout == 0 {
		out.RESTTimeout = DefaultRESTTimeout
	}
	if out.MaxAnonymous == 0 {
		out.MaxAnonymous = DefaultMaxAnonymous
	}
	if out.MaxAnonymousPerAddr == 0 {
		out.MaxAnonymousPerAddr = DefaultMaxAnonymousPerAddr
	}
	if out.MaxMessageBytes == 0 {
		out.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if out.HTTPClient == nil {
		out.HTTPClient = &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	out.RESTAllowedURLs = append([]string(nil), c.RESTAllowedURLs...)
	return out
}

func (c *Config) validate() error {
	switch {
	case c.Plugins == nil:
		return errors.New("gateway: Config.Plugins is required")
	case c.Events == nil:
		return errors.New("gateway: Config.Events is required")
	case c.AnonymousTimeout < 0:
		return fmt.Errorf("gateway: AnonymousTimeout must not be negative, got %s", c.AnonymousTimeout)
	case c.RESTPollInterval < 0:
		return fmt.Errorf("gateway: RESTPollInterval must not be negative, got %s", c.RESTPollInterval)
	case c.RESTTimeout < 0:
		return fmt.Errorf("gateway: RESTTimeout must not be negative, got %s", c.RESTTimeout)
	case c.MaxMessageBytes < 0:
		return fmt.Errorf("gateway: MaxMessageBytes must not be negative, got %d", c.MaxMessageBytes)
	}
	for _, u := range c.RESTAllowedURLs {
		if _, err := parseBaseURL(u); err != nil {
			return fmt.Errorf("gateway: RESTAllowedURLs: %w", err)
		}
	}
	return nil
}

// Gateway is the plugin gateway. It is safe for concurrent use.
type Gateway struct {
	cfg Config
	log *slog.Logger
	reg *registry
	io  *sio.Server
	h   http.Handler

	// ctx is the gateway's lifecycle context: cancelled by Close.
	ctx    context.Context
	cancel context.CancelFunc

	authMu       sync.Mutex
	authByEngine map[string]int // Engine.IO connection id -> authenticated sockets
	anon         *anonymousConns

	startOnce sync.Once
	closeOnce sync.Once
	pollNow   chan struct{}
	wg        sync.WaitGroup
}

// New returns a gateway. Its Socket.IO endpoint works at once (see
// Handler); the REST poller runs after Start.
func New(cfg *Config) (*Gateway, error) {
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &Gateway{
		cfg:          c,
		log:          c.Logger.With(slog.String(logKeyComponent, "gateway")),
		reg:          newRegistry(),
		ctx:          ctx,
		cancel:       cancel,
		pollNow:      make(chan struct{}, 1),
		authByEngine: make(map[string]int),
		anon:         newAnonymousConns(c.MaxAnonymous, c.MaxAnonymousPerAddr),
	}
	g.initSocketIO()
	return g, nil
}

// Handler returns the Socket.IO endpoint; mount it at "/socket.io/".
func (g *Gateway) Handler() http.Handler { return g.h }

// Start starts the REST connector poller and returns. It is idempotent.
func (g *Gateway) Start(ctx context.Context) error {
	g.startOnce.Do(func() {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			g.pollLoop()
		}()
	})
	return nil
}

// Close disconnects every socket, stops the poller and cancels REST
// dispatches in flight. Runs held by instances are not reported lost (the
// hub is going down; the run dispatcher recovers them on the next start).
// A second call returns nil.
func (g *Gateway) Close() error {
	g.closeOnce.Do(func() {
		g.cancel()
		g.reg.closeAll()
		g.io.Close(nil)
		g.wg.Wait()
	})
	return nil
}

// Instances returns the instances of a plugin connected to this
// process, oldest first.
func (g *Gateway) Instances(pluginID string) []InstanceInfo { return g.reg.list(pluginID) }

// AllInstances returns every instance connected to this process, oldest
// first.
func (g *Gateway) AllInstances() []InstanceInfo { return g.reg.list("") }

// HasInstance reports whether instance id is connected to this process.
func (g *Gateway) HasInstance(id string) bool { return g.reg.get(id) != nil }

// Dispatch is a run to hand to one instance.
type Dispatch struct {
	// Request is sent as is.
	Request RunRequest
	// Deadline bounds the REST connector's POST {base}/plugin (a REST
	// plugin answers it when the run is over). Zero means
	// DefaultRESTDispatchTimeout from now.
	Deadline time.Time
	// OnReserved, when set, is called with the chosen instance before the
	// run is sent (e.g. to record the dispatch first, so that nothing the
	// plugin does can come before it). An error cancels the dispatch.
	OnReserved func(InstanceInfo) error
}

// Dispatch sends a run to the least busy instance of d.Request.PluginID
// (ties broken round robin) and returns that instance. The instance holds
// the run until Release. It returns ErrNoInstance when no instance is
// connected. Sending is asynchronous: a REST plugin that refuses the run is
// reported through Events.DispatchFailed, possibly before Dispatch returns.
func (g *Gateway) Dispatch(ctx context.Context, d *Dispatch) (InstanceInfo, error) {
	if g.ctx.Err() != nil {
		return InstanceInfo{}, ErrClosed
	}
	inst, err := g.reg.reserve(d.Request.PluginID, d.Request.Session)
	if err != nil {
		return InstanceInfo{}, err
	}
	return g.deliver(ctx, inst, d, "run dispatched")
}

// Send hands a run to one instance connected to this process, chosen by
// the caller (the run dispatcher picks instances across hub replicas), and
// returns its snapshot. The instance holds the run until Release. It
// returns ErrNoInstance when that instance is not connected here (any
// more), ErrClosed after Close. Sending is asynchronous as in Dispatch.
func (g *Gateway) Send(ctx context.Context, instanceID string, d *Dispatch) (InstanceInfo, error) {
	if g.ctx.Err() != nil {
		return InstanceInfo{}, ErrClosed
	}
	inst, err := g.reg.hold(instanceID, d.Request.Session)
	if err != nil {
		return InstanceInfo{}, err
	}
	return g.deliver(ctx, inst, d, "run sent")
}

// deliver sends d to inst, which the caller reserved or held for the run:
// it calls d.OnReserved, then sends, releasing the run when either fails,
// and logs msg at Debug once sent.
func (g *Gateway) deliver(ctx context.Context, inst *instance, d *Dispatch, msg string) (InstanceInfo, error) {
	if d.OnReserved != nil {
		if err := d.OnReserved(g.reg.info(inst)); err != nil {
			g.reg.release(d.Request.Session)
			return InstanceInfo{}, err
		}
	}
	if err := inst.send(ctx, d); err != nil {
		g.reg.release(d.Request.Session)
		return InstanceInfo{}, fmt.Errorf("send run to instance %s: %w", inst.id, err)
	}
	info := g.reg.info(inst)
	g.log.DebugContext(ctx, msg, slog.String(logKeyRun, d.Request.Session), slog.String(logKeyInstance, info.ID))
	return info, nil
}

// Holds reports whether instance instanceID holds run runID.
func (g *Gateway) Holds(instanceID, runID string) bool { return g.reg.holds(instanceID, runID) }

// Release frees the instance that holds a run (the run ended). Releasing
// a run nobody holds does nothing.
func (g *Gateway) Release(runID string) { g.reg.release(runID) }

// Cancel tells the instance holding a run that it was cancelled (the
// `cancel` event, ours; a REST dispatch in flight is aborted) and releases
// it.
func (g *Gateway) Cancel(runID string) {
	inst := g.reg.release(runID)
	if inst != nil && inst.cancelRun != nil {
		inst.cancelRun(runID)
	}
}

// DisconnectPlugin disconnects every Socket.IO instance of a plugin (its
// secret was rotated or the plugin deleted), sending msg in an `error`
// event first. Their runs are reported lost through Events.InstanceLost.
func (g *Gateway) DisconnectPlugin(pluginID, msg string) {
	for _, inst := range g.reg.pluginInstances(pluginID) {
		if inst.kick != nil {
			inst.kick(msg)
		}
	}
}

// DisconnectIdle closes the connection of every Socket.IO instance that
// holds no run (a draining replica: the plugin reconnects, through a load
// balancer, to another replica; no `error` event is sent, so SDKs do not
// count it as a rejection) and returns how many Socket.IO instances still
// hold runs. An instance it disconnects takes no more runs meanwhile.
func (g *Gateway) DisconnectIdle() (busy int) {
	idle, busy := g.reg.leaveIdle()
	for _, inst := range idle {
		if inst.close != nil {
			inst.close()
		}
	}
	return busy
}

// RefreshREST asks the poller to send REST heartbeats now (e.g. after a
// REST plugin was created) instead of at the next interval. It does not
// wait.
func (g *Gateway) RefreshREST() {
	select {
	case g.pollNow <- struct{}{}:
	default:
	}
}

// authenticate returns the plugin with id when secret is its secret.
func (g *Gateway) authenticate(ctx context.Context, id, secret string) (*store.Plugin, error) {
	p, err := g.cfg.Plugins.PluginGetByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !SecretMatches(p.SecretHash, secret) {
		return nil, store.ErrNotFound
	}
	return p, nil
}

// HashSecret returns the hash a plugin secret is stored as (SHA-256).
func HashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// SecretMatches reports, in constant time, whether secret hashes to hash.
func SecretMatches(hash []byte, secret string) bool {
	return len(hash) == sha256.Size && subtle.ConstantTimeCompare(hash, HashSecret(secret)) == 1
}
