package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/hub/plugins"
	"github.com/exporthub/exporthub/hub/projects"
	"github.com/exporthub/exporthub/hub/users"
)

// Defaults of Config.
const (
	// DefaultSessionTTL is how long a browser session lasts after sign-in.
	DefaultSessionTTL = 7 * 24 * time.Hour
	// DefaultSessionCheckInterval is how often an open event stream
	// checks that its session still holds: a stream of a session that was
	// signed out, expired, whose user was deleted, or whose key or
	// password no longer holds ends within it.
	DefaultSessionCheckInterval = 5 * time.Second
	// DefaultBellItems is how many notifications the bell lists.
	DefaultBellItems = 10
)

// ErrBadCredentials is wrapped by the errors of a sign-in whose key is
// unknown, revoked, expired or not a user key, or whose e-mail and
// password do not match (users.ErrBadCredentials).
var ErrBadCredentials = users.ErrBadCredentials

// InputError is an error caused by what the user entered; the UI shows
// its Message as is (other errors show a generic message and are logged).
type InputError struct {
	// Message says what is wrong and where, e.g. "name is required".
	Message string
}

// Error returns the message.
func (e *InputError) Error() string { return e.Message }

// inputErrorf returns an *InputError with a formatted message.
func inputErrorf(format string, args ...any) error {
	return &InputError{Message: fmt.Sprintf(format, args...)}
}

// Hub is what the web UI needs from the hub beyond the services of
// Config: the parts whose rules live in the hub itself (storages, runs,
// notification feeds). Methods return an *InputError for
// a request the user can fix. Implementations are safe for concurrent use.
// It is exporthub's own seam (implemented in hub/web_routes.go), not an
// extension point.
type Hub interface {
	// PublicURL is the base URL clients reach the hub at (shown to plugin
	// owners as HOST), without a trailing slash.
	PublicURL() string
	// CreateStorage validates and registers an organization storage of
	// orgID named name; its secret is sealed with the hub key. Unless
	// skipCheck, the hub must be able to write to the bucket with the
	// credentials first: a *StorageCheckError when it cannot.
	CreateStorage(ctx context.Context, orgID, name string, in *blob.StorageInput, skipCheck bool) (*hubtype.Storage, error)
	// Storages lists the storages of p's organization by name.
	Storages(ctx context.Context, p *auth.Principal) ([]*hubtype.Storage, error)
	// DeleteStorage removes an organization storage.
	DeleteStorage(ctx context.Context, orgID, id string) error
	// StartRun creates a run for the principal p and dispatches it. The
	// returned run may already be final (e.g. failed: no instance online).
	StartRun(ctx context.Context, p *auth.Principal, params *StartRunParams) (*hubtype.Run, error)
	// Stopping returns a channel closed when the hub begins to shut down:
	// open event streams end then, so that they never hold a graceful
	// shutdown (the browser reconnects by itself).
	Stopping() <-chan struct{}
	// FollowRun follows a run of p's organization as the API's log
	// stream does (ErrNotFound for another organization's), calling
	// params' callbacks, and returns the run once it ended and every line
	// was sent.
	FollowRun(ctx context.Context, p *auth.Principal, params *FollowRunParams) (*hubtype.Run, error)
	// WatchNotifications returns a channel that wakes the user's bell: it
	// receives the user's new notifications as they are stored, and nil
	// when some were marked read (it may miss some: the bell reads its
	// content on every wake-up); and a function that stops the watch.
	WatchNotifications(userID string) (<-chan *hubtype.Notification, func())
	// MarkNotificationsRead marks notifications of the user as read (no
	// ids: all) and wakes the user's bells.
	MarkNotificationsRead(ctx context.Context, userID string, ids []string) error
}

// FollowRunParams is the input of Hub.FollowRun.
type FollowRunParams struct {
	RunID string
	// AfterSeq skips the log lines up to this Seq.
	AfterSeq int64
	// OnStatus receives the run while it is active: as it is first, then
	// on each status change.
	OnStatus func(*hubtype.Run) error
	// OnLine receives each log line in order.
	OnLine func(*hubtype.RunLog) error
	// OnIdle is called when nothing came for a while (keep-alive).
	OnIdle func() error
}

// StartRunParams is the input of Hub.StartRun.
type StartRunParams struct {
	ProjectID string
	PluginID  string
	// ConfigJSON is the Config JSON text the user typed ("{}" for none);
	// it has been checked to be a JSON object.
	ConfigJSON string
	// Stages is the stage filter (stage ids), empty for all stages.
	Stages []string
	// Batches is the batch filter, empty for all batches.
	Batches []string
	// Retries is how many times the run is dispatched again when its
	// plugin instance is lost mid-run (0 to MaxRetries).
	Retries int
}

// Instance is a connected plugin instance as the Development box shows it.
type Instance struct {
	ID            string    `json:"id"`
	RemoteAddr    string    `json:"remoteAddr"`
	ConnectedAt   time.Time `json:"connectedAt"`
	LastHeartbeat time.Time `json:"lastHeartbeat"`
	// Runs is how many runs the instance is working on.
	Runs int `json:"runs"`
	// Node names the hub replica the instance is connected to; empty on a
	// hub without replicas (SQLite).
	Node string `json:"node,omitempty"`
}

// StorageCheckError is returned by [Hub.CreateStorage] when the hub
// cannot use the bucket with the credentials given.
type StorageCheckError struct {
	// What names the storage that was checked, e.g. bucket "x" at
	// http://127.0.0.1:9000.
	What string
	// Err is what the bucket answered.
	Err error
}

// Error says which bucket does not answer and why.
func (e *StorageCheckError) Error() string {
	return fmt.Sprintf("%s does not answer with these credentials: %v", e.What, e.Err)
}

// Unwrap returns what the bucket answered.
func (e *StorageCheckError) Unwrap() error { return e.Err }

// Config configures the UI. Fields are read once by [New]; the caller's
// Config is never modified.
type Config struct {
	// Hub provides the hub's services. Required.
	Hub Hub
	// Plugins is the plugin service. Required.
	Plugins *plugins.Service
	// Users is the user service (users, API keys, sessions). Required.
	Users *users.Service
	// Projects is the project service. Required.
	Projects *projects.Service
	// Logger receives the UI's logs. Defaults to slog.Default().
	Logger *slog.Logger
	// SessionTTL is how long a session lasts after sign-in. Defaults to
	// DefaultSessionTTL.
	SessionTTL time.Duration
	// SessionCheckInterval is how often an open event stream checks that
	// its session still holds. Defaults to DefaultSessionCheckInterval.
	SessionCheckInterval time.Duration
}

// withDefaults returns a copy of c with zero fields set to defaults.
func (c *Config) withDefaults() Config {
	out := *c
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	if out.SessionTTL == 0 {
		out.SessionTTL = DefaultSessionTTL
	}
	if out.SessionCheckInterval == 0 {
		out.SessionCheckInterval = DefaultSessionCheckInterval
	}
	return out
}

// validate checks a Config returned by withDefaults.
func (c *Config) validate() error {
	switch {
	case c.Hub == nil:
		return errors.New("web: Hub is required")
	case c.Plugins == nil:
		return errors.New("web: Plugins is required")
	case c.Users == nil:
		return errors.New("web: Users is required")
	case c.Projects == nil:
		return errors.New("web: Projects is required")
	case c.SessionTTL < 0:
		return fmt.Errorf("web: SessionTTL must not be negative, got %s", c.SessionTTL)
	case c.SessionCheckInterval < 0:
		return fmt.Errorf("web: SessionCheckInterval must not be negative, got %s", c.SessionCheckInterval)
	}
	if _, err := url.Parse(c.Hub.PublicURL()); err != nil {
		return fmt.Errorf("web: hub public URL: %w", err)
	}
	return nil
}

// UI is the web UI: its handlers, templates and sign-in limiter. It is
// safe for concurrent use.
type UI struct {
	cfg      Config
	hub      Hub
	plugins  *plugins.Service
	users    *users.Service
	projects *projects.Service
	log      *slog.Logger
	pages    map[string]*template.Template
	limiter  *signinLimiter
	secure   bool
	cop      *http.CrossOriginProtection
	// exportNames caches export file names by export id, runRefs the
	// project and plugin of each run ("PROJECT PLUGIN"), for the bell.
	exportNames idCache
	runRefs     idCache
}

// New builds the UI. It parses the embedded templates, so a broken
// template fails here, not on the first request.
func New(c *Config) (*UI, error) {
	if c == nil {
		c = &Config{}
	}
	cfg := c.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.Hub.PublicURL())
	ui := &UI{
		cfg:      cfg,
		hub:      cfg.Hub,
		plugins:  cfg.Plugins,
		users:    cfg.Users,
		projects: cfg.Projects,
		log:      cfg.Logger.With(slog.String(logKeyComponent, "web")),
		pages:    pages,
		limiter:  newSigninLimiter(),
		secure:   u.Scheme == "https",
		cop:      http.NewCrossOriginProtection(),
	}
	ui.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
	}))
	return ui, nil
}

// Route is one page or endpoint of the UI.
type Route struct {
	// Pattern is a net/http.ServeMux pattern with its method.
	Pattern string
	// Handler serves it. Handlers authenticate the browser session
	// themselves (pages redirect to sign-in, JSON endpoints answer 401).
	Handler http.Handler
}

// Routes returns every route of the UI, to be registered on the hub's mux.
func (ui *UI) Routes() []Route {
	var rs []Route
	add := func(pattern string, h http.HandlerFunc) {
		rs = append(rs, Route{Pattern: pattern, Handler: ui.cop.Handler(ui.secureHeaders(h))})
	}
	add("GET /static/", ui.handleStatic)
	add("GET /{$}", ui.handleHome)
	add("GET /signin", ui.handleSigninPage)
	add("POST /signin", ui.handleSignin)
	add("POST /signout", ui.handleSignout)

	add("GET /projects", ui.page(ui.handleProjects))
	add("GET /projects/new", ui.page(ui.handleProjectNew))
	add("GET /projects/{pid}", ui.page(ui.handleProjectOverview))
	add("GET /projects/{pid}/exports", ui.page(ui.handleProjectExports))
	add("GET /projects/{pid}/runs", ui.page(ui.handleProjectRuns))
	add("GET /projects/{pid}/runs/{id}", ui.page(ui.handleRunPage))
	add("GET /projects/{pid}/settings", ui.page(ui.handleProjectSettings))
	add("GET /projects/{pid}/settings/plugins", ui.page(ui.handleProjectPlugins))
	add("POST /projects/{pid}/settings/plugins", ui.form(ui.handleProjectPluginAdd))
	add("POST /projects/{pid}/settings/plugins/{id}/remove", ui.form(ui.handleProjectPluginRemove))

	add("GET /plugins", ui.page(ui.handlePlugins))
	add("GET /plugins/new", ui.page(ui.handlePluginNew))
	add("POST /plugins", ui.form(ui.handlePluginCreate))
	add("GET /plugins/{id}", ui.page(ui.handlePlugin))
	add("POST /plugins/{id}", ui.form(ui.handlePluginUpdate))
	add("POST /plugins/{id}/delete", ui.form(ui.handlePluginDelete))
	add("POST /plugins/{id}/secret/reveal", ui.form(ui.handlePluginReveal))
	add("POST /plugins/{id}/secret/rotate", ui.form(ui.handlePluginRotate))

	add("GET /org/members", ui.admin(ui.handleMembers))
	add("POST /org/members", ui.adminForm(ui.handleMemberCreate))
	add("POST /org/members/{id}/role", ui.adminForm(ui.handleMemberRole))
	add("POST /org/members/{id}/delete", ui.adminForm(ui.handleMemberDelete))
	add("GET /org/keys", ui.admin(ui.handleKeys))
	add("POST /org/keys", ui.adminForm(ui.handleKeyCreate))
	add("POST /org/keys/{id}/revoke", ui.adminForm(ui.handleKeyRevoke))
	add("GET /org/storages", ui.admin(ui.handleStorages))
	add("POST /org/storages", ui.adminForm(ui.handleStorageCreate))
	add("POST /org/storages/{id}/delete", ui.adminForm(ui.handleStorageDelete))

	add("GET /account", ui.page(ui.handleAccount))
	add("POST /account/password", ui.form(ui.handlePasswordSet))

	add("POST /ui/projects/{pid}/plugins/{id}/runs", ui.api(ui.handleRunStart))
	add("GET /ui/runs/{id}/events", ui.api(ui.handleRunEvents))
	add("GET /ui/notifications", ui.api(ui.handleNotifications))
	add("GET /ui/notifications/stream", ui.api(ui.handleNotificationStream))
	add("POST /ui/notifications/read", ui.api(ui.handleNotificationsRead))
	add("GET /ui/plugins/{id}/instances", ui.api(ui.handleInstances))
	return rs
}

// secureHeaders sets the headers every UI response carries: a strict
// content security policy (no inline script or style), no framing, no
// MIME sniffing, no referrer across origins.
func (ui *UI) secureHeaders(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		h(w, r)
	}
}
