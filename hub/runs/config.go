package runs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/plugins"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/secretbox"
)

// Defaults of Config.
const (
	// DefaultRunTimeout bounds runs of plugins whose RunTimeout is zero.
	DefaultRunTimeout = time.Hour
	// DefaultMaxLogLines is how many log lines a run keeps.
	DefaultMaxLogLines = 10000
	// DefaultMaxLogLineBytes bounds the message of one log line; longer
	// messages are cut.
	DefaultMaxLogLineBytes = 8 << 10
	// DefaultMaxLogExtraBytes bounds the JSON of a log line's extra keys;
	// larger extras are replaced by a note saying so.
	DefaultMaxLogExtraBytes = 8 << 10
	// DefaultLogFlushInterval is how long log lines wait to be stored in
	// one batch.
	DefaultLogFlushInterval = 100 * time.Millisecond
	// DefaultWebhookAttempts is how many times a webhook is tried.
	DefaultWebhookAttempts = 5
	// DefaultWebhookBackoff is the wait before the first retry; it doubles
	// with each retry.
	DefaultWebhookBackoff = time.Second
	// DefaultWebhookTimeout bounds one webhook request.
	DefaultWebhookTimeout = 10 * time.Second
	// DefaultFollowInterval is how often FollowLogs checks the run even
	// when nothing was logged (it then calls OnIdle).
	DefaultFollowInterval = 15 * time.Second
	// DefaultNodeLease is how long a hub replica's lease lasts without
	// renewal.
	DefaultNodeLease = 15 * time.Second
	// MinNodeLease is the shortest NodeLease accepted.
	MinNodeLease = time.Second
	// DefaultRemoteTimeout bounds the wait for another hub replica to
	// acknowledge a dispatch, a cancel or a forwarded response.
	DefaultRemoteTimeout = 5 * time.Second
	// MaxNodeIDLen bounds the length of a NodeID.
	MaxNodeIDLen = 128
)

// Storage reads the files plugins upload. The hub adapts hub/blob to it.
// Implementations are safe for concurrent use.
type Storage interface {
	// Locate finds the object a plugin's signed GET URL names for run: in
	// the hub's storage or one of the organization's storages. It fails,
	// with a message fit for the user, when the URL names no object
	// uploaded for that run.
	Locate(ctx context.Context, run *store.Run, rawURL string) (*Object, error)
	// Open opens a located object for reading.
	Open(ctx context.Context, obj *Object) (io.ReadCloser, error)
}

// Object is an uploaded file.
type Object struct {
	OrgID string
	// StorageID is the organization storage holding it; "" for the hub's.
	StorageID string
	// Bucket is the S3 bucket name; "" for the hub's local bucket.
	Bucket   string
	Key      string
	FileName string
}

// Config configures a Manager. Zero values mean defaults, except for the
// required Store, Storage and Box. Fields are read once by New; the
// caller's Config is never modified.
type Config struct {
	// Store persists runs, logs, exports and notifications. Required.
	Store store.Store
	// Storage reads uploaded exports. Required.
	Storage Storage
	// Box decrypts REST plugin secrets and webhook secrets. Required.
	Box *secretbox.Box
	// Gateway configures the plugin gateway; its Plugins, Events, Box and
	// Logger are set by New.
	Gateway gateway.Config
	// PublicURL is the hub's base URL, used for the absolute links in
	// webhook bodies. Defaults to relative links.
	PublicURL string
	// DefaultRunTimeout bounds runs of plugins whose RunTimeout is zero.
	// Defaults to DefaultRunTimeout.
	DefaultRunTimeout time.Duration
	// MaxLogLines is how many log lines a run keeps; later lines are
	// counted, and a final line says how many were dropped. Defaults to
	// DefaultMaxLogLines.
	MaxLogLines int
	// MaxLogLineBytes bounds one log message. Defaults to
	// DefaultMaxLogLineBytes.
	MaxLogLineBytes int
	// MaxLogExtraBytes bounds the extra keys of one log line, as JSON.
	// Defaults to DefaultMaxLogExtraBytes.
	MaxLogExtraBytes int
	// LogFlushInterval is how long log lines wait to be stored in one
	// batch. Defaults to DefaultLogFlushInterval.
	LogFlushInterval time.Duration
	// WebhookAttempts is how many times an organization webhook is tried.
	// Defaults to DefaultWebhookAttempts.
	WebhookAttempts int
	// WebhookBackoff is the wait before the first webhook retry; it
	// doubles with each retry. Defaults to DefaultWebhookBackoff.
	WebhookBackoff time.Duration
	// WebhookTimeout bounds one webhook request. Defaults to
	// DefaultWebhookTimeout.
	WebhookTimeout time.Duration
	// WebhookClient sends webhooks. Defaults to a client that does not
	// follow redirects.
	WebhookClient *http.Client
	// FollowInterval is how often FollowLogs checks a quiet run. Defaults
	// to DefaultFollowInterval.
	FollowInterval time.Duration
	// NodeID names this hub process among the replicas that share the
	// store (PostgreSQL): letters, digits and ".-_:@", at most
	// MaxNodeIDLen bytes. It must be unique among the running replicas
	// and should stay the same across restarts: Start retries, or ends as
	// lost with MsgReplicaStopped, the active runs a previous process
	// with this id held (as the other replicas do for a replica whose
	// lease ended), and leaves the other replicas' runs alone. The Store must
	// implement Notifier. Empty (the default) means the process is alone
	// on its store (SQLite): Start ends every active run that way, and no
	// lease is kept.
	NodeID string
	// NodeLease is how long this replica's lease in the store lasts; it
	// is renewed every third of it. Another replica ends the runs of a
	// replica whose lease ended (lost, MsgReplicaStopped). At least
	// MinNodeLease. Defaults to DefaultNodeLease; ignored without NodeID.
	NodeLease time.Duration
	// RemoteTimeout bounds the wait for another replica to acknowledge a
	// dispatch (the run then fails with MsgReplicaNoAnswer, unless that
	// replica took it: its acknowledgement was lost), a cancel or a
	// plugin response forwarded to it. Defaults to
	// DefaultRemoteTimeout.
	RemoteTimeout time.Duration
	// MaxConfigLen bounds the Config JSON of a run, in bytes. Defaults to
	// plugins.MaxConfigLen.
	MaxConfigLen int
	// OnRunEnded, when set, is called (on its own goroutine) after a run
	// this process ended was stored as ended.
	OnRunEnded func(run *store.Run)
	// Logger receives the dispatcher's logs. Defaults to slog.Default().
	Logger *slog.Logger
}

func (c *Config) withDefaults() Config {
	out := *c
	if out.MaxConfigLen == 0 {
		out.MaxConfigLen = plugins.MaxConfigLen
	}
	if out.DefaultRunTimeout == 0 {
		out.DefaultRunTimeout = DefaultRunTimeout
	}
	if out.MaxLogLines == 0 {
		out.MaxLogLines = DefaultMaxLogLines
	}
	if out.MaxLogLineBytes == 0 {
		out.MaxLogLineBytes = DefaultMaxLogLineBytes
	}
	if out.MaxLogExtraBytes == 0 {
		out.MaxLogExtraBytes = DefaultMaxLogExtraBytes
	}
	if out.LogFlushInterval == 0 {
		out.LogFlushInterval = DefaultLogFlushInterval
	}
	if out.WebhookAttempts == 0 {
		out.WebhookAttempts = DefaultWebhookAttempts
	}
	if out.WebhookBackoff == 0 {
		out.WebhookBackoff = DefaultWebhookBackoff
	}
	if out.WebhookTimeout == 0 {
		out.WebhookTimeout = DefaultWebhookTimeout
	}
	if out.WebhookClient == nil {
		out.WebhookClient = &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if out.FollowInterval == 0 {
		out.FollowInterval = DefaultFollowInterval
	}
	if out.NodeLease == 0 {
		out.NodeLease = DefaultNodeLease
	}
	if out.RemoteTimeout == 0 {
		out.RemoteTimeout = DefaultRemoteTimeout
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	return out
}

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("runs: Config.Store is required")
	case c.Storage == nil:
		return errors.New("runs: Config.Storage is required")
	case c.Box == nil:
		return errors.New("runs: Config.Box is required")
	case c.DefaultRunTimeout < 0:
		return fmt.Errorf("runs: DefaultRunTimeout must not be negative, got %s", c.DefaultRunTimeout)
	case c.MaxLogLines < 0:
		return fmt.Errorf("runs: MaxLogLines must not be negative, got %d", c.MaxLogLines)
	case c.MaxLogLineBytes < 0:
		return fmt.Errorf("runs: MaxLogLineBytes must not be negative, got %d", c.MaxLogLineBytes)
	case c.MaxLogExtraBytes < 0:
		return fmt.Errorf("runs: MaxLogExtraBytes must not be negative, got %d", c.MaxLogExtraBytes)
	case c.LogFlushInterval < 0:
		return fmt.Errorf("runs: LogFlushInterval must not be negative, got %s", c.LogFlushInterval)
	case c.WebhookAttempts < 0:
		return fmt.Errorf("runs: WebhookAttempts must not be negative, got %d", c.WebhookAttempts)
	case c.WebhookBackoff < 0:
		return fmt.Errorf("runs: WebhookBackoff must not be negative, got %s", c.WebhookBackoff)
	case c.WebhookTimeout < 0:
		return fmt.Errorf("runs: WebhookTimeout must not be negative, got %s", c.WebhookTimeout)
	case c.FollowInterval < 0:
		return fmt.Errorf("runs: FollowInterval must not be negative, got %s", c.FollowInterval)
	case c.NodeLease < MinNodeLease:
		return fmt.Errorf("runs: NodeLease must be at least %s, got %s", MinNodeLease, c.NodeLease)
	case c.RemoteTimeout < 0:
		return fmt.Errorf("runs: RemoteTimeout must not be negative, got %s", c.RemoteTimeout)
	}
	if c.NodeID != "" {
		if err := CheckNodeID(c.NodeID); err != nil {
			return fmt.Errorf("runs: NodeID: %w", err)
		}
		if _, ok := c.Store.(Notifier); !ok {
			return errors.New("runs: with a NodeID, Config.Store must implement runs.Notifier (Notify and Listen)")
		}
	}
	return nil
}

// CheckNodeID reports whether id may name a hub replica: 1 to
// MaxNodeIDLen letters, digits and ".-_:@" (a host name and a port fit).
func CheckNodeID(id string) error {
	if id == "" || len(id) > MaxNodeIDLen {
		return fmt.Errorf("%q must be 1 to %d characters long", id, MaxNodeIDLen)
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.ContainsRune(".-_:@", c):
		default:
			return fmt.Errorf("%q may hold only letters, digits and \".-_:@\", not %q", id, c)
		}
	}
	return nil
}
