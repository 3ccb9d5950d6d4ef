package plugin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Defaults of the [Export] fields.
const (
	DefaultHost                    = "http://localhost:7420"
	DefaultPort                    = 8080
	DefaultConcurrency             = 1
	DefaultHeartbeatInterval       = 60 * time.Second
	DefaultReconnectMinDelay       = 500 * time.Millisecond
	DefaultReconnectMaxDelay       = 30 * time.Second
	DefaultDialTimeout             = 20 * time.Second
	DefaultShutdownTimeout         = 30 * time.Second
	DefaultAPITimeout              = 30 * time.Second
	DefaultTransferTimeout         = time.Hour
	DefaultMaxExportSize     int64 = 16 << 30
)

// Connector selects how the plugin talks to the hub.
type Connector string

// The connectors of plugin-protocol sections 2 and 3.
const (
	// ConnectorWS keeps a Socket.IO connection to the hub (the default).
	ConnectorWS Connector = "ws"
	// ConnectorREST serves /heartbeat and /plugin over HTTP on Port.
	ConnectorREST Connector = "rest"
)

// ParseConnector parses "ws" or "rest" in any case ("WS", "REST" as the
// Python SDK's CONNECTOR variable spells them). "" means ConnectorWS.
func ParseConnector(s string) (Connector, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "ws":
		return ConnectorWS, nil
	case "rest":
		return ConnectorREST, nil
	}
	return "", fmt.Errorf("%w: connector %q: want WS or REST", ErrInvalidOption, s)
}

// Export is an export plugin process: it connects to a hub, receives runs
// and calls Callback for each. Build it as a struct literal or with [New]
// and options, then call [Export.Run].
//
// Fields are read once, when Run starts; the zero value of every optional
// field means its default. An Export must not be copied after Run started.
type Export struct {
	// ID is the plugin's id on the hub. Required.
	ID string
	// Secret is the plugin's secret. Required. Never logged.
	Secret string
	// Host is the hub's base URL. Defaults to DefaultHost.
	Host string
	// Callback converts one run's export. Required. A [Handler]'s method
	// value h.ServeExport fits here.
	Callback HandlerFunc

	// Connector selects Socket.IO (ConnectorWS) or HTTP (ConnectorREST).
	// Defaults to ConnectorWS.
	Connector Connector
	// Port is the HTTP port of ConnectorREST. Defaults to DefaultPort.
	Port int
	// Listener, when set, is where ConnectorREST serves instead of Port.
	// Run closes it.
	Listener net.Listener

	// Concurrency is how many runs execute at once; further runs wait for
	// a free slot. Defaults to DefaultConcurrency (1, like the Python SDK).
	Concurrency int
	// HeartbeatInterval is the time between heartbeats (ConnectorWS).
	// Defaults to DefaultHeartbeatInterval.
	HeartbeatInterval time.Duration
	// ReconnectMinDelay is the first delay before reconnecting after a
	// failed attempt; it doubles per attempt, with ±50% jitter. Defaults to
	// DefaultReconnectMinDelay.
	ReconnectMinDelay time.Duration
	// ReconnectMaxDelay caps the reconnect delay. Defaults to
	// DefaultReconnectMaxDelay.
	ReconnectMaxDelay time.Duration
	// MaxReconnectAttempts is how many consecutive failed connection
	// attempts make Run give up with ErrReconnectFailed. Zero (the default)
	// retries forever.
	MaxReconnectAttempts int
	// DialTimeout bounds one connection attempt. Defaults to
	// DefaultDialTimeout.
	DialTimeout time.Duration
	// ShutdownTimeout is how long Run lets running runs finish once its
	// ctx is done (SIGINT/SIGTERM under [Main]); then their contexts are
	// cancelled and they fail. Defaults to DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// APITimeout bounds each call to the hub's JSON API whose ctx has no
	// deadline. Defaults to DefaultAPITimeout.
	APITimeout time.Duration
	// TransferTimeout bounds the export download and the result upload
	// when the run's ctx has no deadline. Defaults to DefaultTransferTimeout.
	TransferTimeout time.Duration
	// MaxExportSize bounds the downloaded export zip in bytes. Defaults to
	// DefaultMaxExportSize.
	MaxExportSize int64
	// StrictExport makes the export reader validate every asset fully, as
	// the hub did on import (see aaf.WithoutValidation): cross-snapshot
	// checks run and aaf.WithFields has no effect. Off by default: the
	// reader checks syntax and types only, in the parts it decodes.
	StrictExport bool
	// TempDir is where runs spool the export and the result. Defaults to
	// os.TempDir().
	TempDir string
	// HTTPClient makes the SDK's HTTP calls. Defaults to a client with no
	// overall timeout (the SDK sets per-call deadlines).
	HTTPClient *http.Client

	// Logger receives the SDK's own records and a copy of every run's log
	// records. Defaults to slog.Default().
	Logger *slog.Logger
	// LogLevel is the lowest level of run log records sent to the hub.
	// Defaults to slog.LevelInfo (the zero value).
	LogLevel slog.Level
	// OnDisconnect is called (on its own goroutine) when the connection to
	// the hub drops, with the reason. Optional.
	OnDisconnect func(err error)
	// OnReconnect is called (on its own goroutine) when the connection is
	// back, with the number of attempts it took. Optional.
	OnReconnect func(attempts int)
	// ErrorHandler is called (on its own goroutine) with background errors:
	// failed connection attempts, heartbeats that could not be sent, runs
	// that failed. Optional; they are logged anyway.
	ErrorHandler func(err error)

	mu      sync.Mutex
	started bool
	stop    chan struct{} // closed by Shutdown
	stopped chan struct{} // closed when Run returns
}

// New returns an Export that calls h, configured by opts (applied in
// order). It returns an error wrapping ErrInvalidOption when an option is
// invalid. Credentials and host usually come from [FromEnv] or
// [WithCredentials] and [WithHost].
func New(h Handler, opts ...Option) (*Export, error) {
	e := &Export{}
	if h != nil {
		e.Callback = h.ServeExport
	}
	for _, opt := range opts {
		if err := opt(e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Connect is New(h, WithHost(host), WithCredentials(id, secret), opts...)
// followed by Run(ctx): it serves runs until ctx is done.
func Connect(ctx context.Context, host, id, secret string, h Handler, opts ...Option) error {
	e, err := New(h, append([]Option{WithHost(host), WithCredentials(id, secret)}, opts...)...)
	if err != nil {
		return err
	}
	return e.Run(ctx)
}

// config is the validated copy of an Export's fields that a Run uses.
type config struct {
	id, secret      string
	host            *url.URL
	callback        HandlerFunc
	connector       Connector
	port            int
	listener        net.Listener
	concurrency     int
	heartbeat       time.Duration
	reconnectMin    time.Duration
	reconnectMax    time.Duration
	maxReconnects   int
	dialTimeout     time.Duration
	shutdownTimeout time.Duration
	apiTimeout      time.Duration
	transferTimeout time.Duration
	maxExportSize   int64
	strictExport    bool
	tempDir         string
	httpClient      *http.Client
	logger          *slog.Logger
	logLevel        slog.Level
	onDisconnect    func(error)
	onReconnect     func(int)
	errorHandler    func(error)
}

// config validates e's fields and returns them with defaults applied. The
// error names the field and wraps ErrInvalidOption.
func (e *Export) config() (*config, error) {
	c := &config{
		id: e.ID, secret: e.Secret, callback: e.Callback, listener: e.Listener,
		maxReconnects: e.MaxReconnectAttempts, tempDir: e.TempDir, strictExport: e.StrictExport,
		logLevel: e.LogLevel, onDisconnect: e.OnDisconnect,
		onReconnect: e.OnReconnect, errorHandler: e.ErrorHandler,
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...))
	}
	if c.id == "" {
		bad("ID is empty (set PLUGIN_ID)")
	}
	if c.secret == "" {
		bad("Secret is empty (set PLUGIN_SECRET)")
	}
	if c.callback == nil {
		bad("Callback is nil")
	}
	host, err := parseHost(orDefault(e.Host, DefaultHost))
	if err != nil {
		errs = append(errs, err)
	}
	c.host = host
	conn, err := ParseConnector(string(e.Connector))
	if err != nil {
		errs = append(errs, err)
	}
	c.connector = conn
	c.port = orDefault(e.Port, DefaultPort)
	if c.port < 1 || c.port > 65535 {
		bad("Port %d: want 1 to 65535", e.Port)
	}
	c.concurrency = orDefault(e.Concurrency, DefaultConcurrency)
	if c.concurrency < 1 {
		bad("Concurrency %d: want at least 1", e.Concurrency)
	}
	if c.maxReconnects < 0 {
		bad("MaxReconnectAttempts %d: want 0 (forever) or more", e.MaxReconnectAttempts)
	}
	durations := []struct {
		name string
		v    time.Duration
		def  time.Duration
		dst  *time.Duration
	}{
		{"HeartbeatInterval", e.HeartbeatInterval, DefaultHeartbeatInterval, &c.heartbeat},
		{"ReconnectMinDelay", e.ReconnectMinDelay, DefaultReconnectMinDelay, &c.reconnectMin},
		{"ReconnectMaxDelay", e.ReconnectMaxDelay, DefaultReconnectMaxDelay, &c.reconnectMax},
		{"DialTimeout", e.DialTimeout, DefaultDialTimeout, &c.dialTimeout},
		{"ShutdownTimeout", e.ShutdownTimeout, DefaultShutdownTimeout, &c.shutdownTimeout},
		{"APITimeout", e.APITimeout, DefaultAPITimeout, &c.apiTimeout},
		{"TransferTimeout", e.TransferTimeout, DefaultTransferTimeout, &c.transferTimeout},
	}
	for _, d := range durations {
		if d.v < 0 {
			bad("%s %v: want a positive duration", d.name, d.v)
		}
		*d.dst = orDefault(d.v, d.def)
	}
	if c.reconnectMin > c.reconnectMax {
		bad("ReconnectMinDelay %v is above ReconnectMaxDelay %v", c.reconnectMin, c.reconnectMax)
	}
	c.maxExportSize = orDefault(e.MaxExportSize, DefaultMaxExportSize)
	if c.maxExportSize < 0 {
		bad("MaxExportSize %d: want a positive size", e.MaxExportSize)
	}
	c.httpClient = e.HTTPClient
	if c.httpClient == nil {
		c.httpClient = &http.Client{}
	}
	c.logger = e.Logger
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

func parseHost(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: Host %q: want an http:// or https:// URL", ErrInvalidOption, s)
	}
	return u, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Run connects to the hub and serves runs until ctx is done or
// [Export.Shutdown] is called; it then stops taking runs, lets the running
// ones finish for up to ShutdownTimeout, cancels those still running (they
// fail), and returns nil.
//
// Run reconnects after a lost connection (ConnectorWS) and returns an error
// only for invalid fields (ErrInvalidOption), a hub that rejects the id and
// secret on three connections in a row (ErrUnauthorized, when the hub's
// "error" event carries no other code), exhausted reconnect attempts
// (ErrReconnectFailed), a REST port that cannot be listened on, or a second
// call (ErrClosed).
func (e *Export) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return ErrClosed
	}
	e.started = true
	if e.stop == nil {
		e.stop = make(chan struct{})
	}
	e.stopped = make(chan struct{})
	stop := e.stop
	e.mu.Unlock()
	defer close(e.stopped)

	cfg, err := e.config()
	if err != nil {
		return err
	}
	s := newServer(cfg)
	return s.run(ctx, stop)
}

// Shutdown stops a running Export like cancelling Run's ctx does, and waits
// until Run returned or ctx is done (then it returns ctx's error). Runs
// still going when ctx is done keep their ShutdownTimeout. Calling Shutdown
// before Run makes Run return ErrClosed; calling it again is harmless.
func (e *Export) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	if e.stop == nil {
		e.stop = make(chan struct{})
	}
	select {
	case <-e.stop:
	default:
		close(e.stop)
	}
	if !e.started {
		e.started = true // a later Run returns ErrClosed
		e.mu.Unlock()
		return nil
	}
	stopped := e.stopped
	e.mu.Unlock()
	select {
	case <-stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
