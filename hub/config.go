package hub

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/internal/secretbox"
)

// Defaults of Config.
const (
	// DefaultDataDir is where the embedded default keeps its database, blob
	// directory and hub key.
	DefaultDataDir = "./exporthub-data"
	// DefaultListen is the address the hub listens on.
	DefaultListen = "127.0.0.1:7420"
	// DefaultMaxBodyBytes bounds ordinary JSON request bodies.
	DefaultMaxBodyBytes int64 = 1 << 20
	// DefaultMaxImportBytes bounds an import body (imports stream, so the
	// bound is large).
	DefaultMaxImportBytes int64 = 10 << 30
	// DefaultSignedURLExpiry is how long a presigned URL works.
	DefaultSignedURLExpiry = time.Hour
	// DefaultBootstrapOrgName names the organization created on first start.
	DefaultBootstrapOrgName = "Default"
	// DefaultBootstrapAdminEmail is the e-mail of the admin created on first
	// start.
	DefaultBootstrapAdminEmail = "admin@localhost"
	// DefaultMaxImportErrors is how many validation errors an import
	// reports at most.
	DefaultMaxImportErrors = 20
	// HubKeyFile is the name of the hub key file in DataDir.
	HubKeyFile = "hub.key"
	// SQLiteFile is the name of the embedded database file in DataDir.
	SQLiteFile = "exporthub.db"
	// BlobDir is the name of the embedded blob directory in DataDir.
	BlobDir = "blobs"
	// DefaultNodeLease is how long a replica's lease lasts (PostgreSQL).
	DefaultNodeLease = runs.DefaultNodeLease
)

// Config configures a hub [Server]. The zero value is the embedded default:
// everything under ./exporthub-data, SQLite, local blob directory, listening
// on 127.0.0.1:7420. Fields are read once by [New]; the caller's Config is
// never modified.
type Config struct {
	// DataDir holds the SQLite database, the local blob directory and the
	// hub key file when those are not configured otherwise. It is created
	// (0700) if missing. Defaults to DefaultDataDir.
	DataDir string

	// Listen is the TCP address Run listens on. Defaults to DefaultListen.
	Listen string

	// PublicURL is the base URL clients reach the hub at; it is the base of
	// hub-served presigned URLs and of the URL logged on start. Defaults to
	// "http://" + Listen (a wildcard host becomes 127.0.0.1).
	PublicURL string

	// DatabaseURL selects the database: "sqlite:///abs/path.db",
	// "sqlite://rel/path.db" or "postgres://..." (also "postgresql://").
	// Defaults to the SQLite file SQLiteFile in DataDir.
	DatabaseURL string

	// BlobURL selects the hub's own blob storage as a gocloud.dev/blob URL
	// ("file:///dir", "s3://bucket?endpoint=...&region=...",
	// "gs://bucket", "azblob://container"; see blob.Config.BucketURL).
	// Defaults to the directory BlobDir in DataDir.
	BlobURL string

	// BlobAccessKeyID and BlobSecretAccessKey are static credentials for
	// an s3:// BlobURL (when both are empty the AWS SDK's default chain is
	// used: AWS_ACCESS_KEY_ID, shared config files, instance role), or the
	// account name and account key of an azblob:// BlobURL.
	BlobAccessKeyID     string
	BlobSecretAccessKey string

	// BlobCredentialsFile is the service-account JSON key file of a gs://
	// BlobURL (required unless the URL says anonymous=true).
	BlobCredentialsFile string

	// BlobProxy makes the hub serve presigned URLs for an s3://, gs:// or
	// azblob:// BlobURL itself instead of handing out the provider's own,
	// for deployments whose storage endpoint plugins cannot reach. The
	// local directory is always served by the hub. Defaults to false.
	BlobProxy bool

	// ReadyRequiresBlob makes GET /readyz (and /healthz) answer 503 while
	// the blob store does not answer. By default only the database fails
	// readiness: during a blob store outage every replica would fail it
	// together, and a health-checked load balancer would remove them all
	// while most of the API still works.
	ReadyRequiresBlob bool

	// MaxObjectBytes bounds every object written through the hub (exports,
	// uploads to hub-served URLs). Defaults to blob.DefaultMaxObjectSize
	// (5 GiB).
	MaxObjectBytes int64

	// HubKey is the hub's 32-byte secret, base64 (standard or URL
	// encoding): it encrypts secrets at rest and signs hub-served URLs. All
	// replicas of one hub must share it. Defaults to the key in the file
	// HubKeyFile in DataDir, created with a random key (mode 0600) on first
	// start.
	HubKey string

	// BootstrapKey, when set on the first start (empty database), becomes
	// the bootstrap admin's API key; it must start with "ehk_" and be at
	// least 24 characters. When empty a key is generated and returned once
	// by [Server.Bootstrap]. Ignored once the hub has an organization.
	BootstrapKey string

	// BootstrapOrgName names the organization created on first start.
	// Defaults to DefaultBootstrapOrgName.
	BootstrapOrgName string

	// BootstrapAdminEmail is the e-mail of the admin created on first start.
	// Defaults to DefaultBootstrapAdminEmail.
	BootstrapAdminEmail string

	// MaxBodyBytes bounds request bodies except imports; a larger body gets
	// 413. Defaults to DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// MaxImportBytes bounds an import request body; a larger body gets 413
	// and nothing is imported. Defaults to DefaultMaxImportBytes.
	MaxImportBytes int64

	// AllowPrivateNetworks lists the networks (CIDR prefixes or single
	// addresses) that organization storages and webhooks may reach
	// although they are loopback, link-local, private or otherwise not
	// public, e.g. an on-premises S3 at 10.1.2.3. Every other such address
	// is refused by policy, checked when the hub connects (after DNS
	// resolution and on every redirect). The hub's own bucket (BlobURL)
	// is not subject to it. Defaults to none.
	AllowPrivateNetworks []string

	// MaxConfigBytes bounds a Config JSON text (a run's config, a
	// plugin's default config); a larger one gets 413 naming the limit.
	// Defaults to plugins.MaxConfigLen (64 KiB).
	MaxConfigBytes int

	// MaxImportErrors is how many validation errors a failed import lists
	// at most. Defaults to DefaultMaxImportErrors.
	MaxImportErrors int

	// SignedURLExpiry is how long presigned URLs (exports, uploads,
	// downloads) stay valid. Defaults to DefaultSignedURLExpiry.
	SignedURLExpiry time.Duration

	// Runs tunes the plugin gateway and the run dispatcher (see
	// RunsConfig). Its zero value means every default.
	Runs RunsConfig

	// NodeID names this hub process among the replicas sharing a
	// PostgreSQL database: letters, digits and ".-_:@", unique among the
	// running replicas and stable across restarts (a restarted replica
	// ends the runs its previous process held, and only those). Ignored
	// with SQLite, which serves one process. Defaults to the host name
	// and the port of Listen, "HOST:PORT".
	NodeID string

	// NodeLease is how long a replica's lease in the database lasts
	// without renewal (it is renewed every third of it); the runs of a
	// replica whose lease ended are ended by the others (lost: "the hub
	// replica running the run stopped"). At least 1s. Ignored with
	// SQLite. Defaults to DefaultNodeLease (15s).
	NodeLease time.Duration

	// Logger receives the hub's logs. Defaults to slog.Default().
	Logger *slog.Logger

	// RoutesFunc, when set, adds routes to this server's mux after every
	// built-in route (routes.go); register them with [Server.Handle] to
	// get authentication, body bounds and metrics. For tests and programs
	// that embed the hub. Defaults to none.
	RoutesFunc func(s *Server, mux *http.ServeMux)

	// Components are started, in order, after the built-in ones (the run
	// dispatcher) and stopped before them, in reverse order. For tests
	// and programs that embed the hub. Defaults to none.
	Components []Component
}

// WithDefaults returns a copy of c with every zero field set to its
// default.
func (c *Config) WithDefaults() Config {
	out := *c
	if out.DataDir == "" {
		out.DataDir = DefaultDataDir
	}
	if out.Listen == "" {
		out.Listen = DefaultListen
	}
	if out.PublicURL == "" {
		out.PublicURL = publicURLFor(out.Listen)
	}
	out.PublicURL = strings.TrimRight(out.PublicURL, "/")
	if out.DatabaseURL == "" {
		out.DatabaseURL = "sqlite://" + filepath.ToSlash(filepath.Join(out.DataDir, SQLiteFile))
	}
	if out.BootstrapOrgName == "" {
		out.BootstrapOrgName = DefaultBootstrapOrgName
	}
	if out.BootstrapAdminEmail == "" {
		out.BootstrapAdminEmail = DefaultBootstrapAdminEmail
	}
	if out.MaxBodyBytes == 0 {
		out.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if out.MaxImportBytes == 0 {
		out.MaxImportBytes = DefaultMaxImportBytes
	}
	if out.MaxImportErrors == 0 {
		out.MaxImportErrors = DefaultMaxImportErrors
	}
	if out.SignedURLExpiry == 0 {
		out.SignedURLExpiry = DefaultSignedURLExpiry
	}
	if out.NodeID == "" {
		out.NodeID = defaultNodeID(out.Listen)
	}
	if out.NodeLease == 0 {
		out.NodeLease = DefaultNodeLease
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	return out
}

// validate checks a Config returned by withDefaults; errors name the field.
func (c *Config) validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("hub: Listen %q is not host:port: %w", c.Listen, err)
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("hub: PublicURL %q must be an absolute http(s) URL", c.PublicURL)
	}
	if _, err := databaseKind(c.DatabaseURL); err != nil {
		return err
	}
	if c.MaxBodyBytes < 0 {
		return fmt.Errorf("hub: MaxBodyBytes must not be negative, got %d", c.MaxBodyBytes)
	}
	if c.MaxImportBytes < 0 {
		return fmt.Errorf("hub: MaxImportBytes must not be negative, got %d", c.MaxImportBytes)
	}
	if c.MaxObjectBytes < 0 {
		return fmt.Errorf("hub: MaxObjectBytes must not be negative, got %d", c.MaxObjectBytes)
	}
	if c.MaxImportErrors < 0 {
		return fmt.Errorf("hub: MaxImportErrors must not be negative, got %d", c.MaxImportErrors)
	}
	if c.SignedURLExpiry < 0 {
		return fmt.Errorf("hub: SignedURLExpiry must not be negative, got %s", c.SignedURLExpiry)
	}
	if err := runs.CheckNodeID(c.NodeID); err != nil {
		return fmt.Errorf("hub: NodeID: %w", err)
	}
	if c.NodeLease < runs.MinNodeLease {
		return fmt.Errorf("hub: NodeLease must be at least %s, got %s", runs.MinNodeLease, c.NodeLease)
	}
	if c.HubKey != "" {
		if _, err := decodeHubKey(c.HubKey); err != nil {
			return err
		}
	}
	if c.BootstrapKey != "" {
		if err := validateBootstrapKey(c.BootstrapKey); err != nil {
			return err
		}
	}
	return nil
}

// publicURLFor derives the public URL from a listen address; a wildcard or
// empty host becomes 127.0.0.1.
func publicURLFor(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// replicaNodeID returns the node id the run dispatcher shares the
// database under: NodeID on PostgreSQL, "" (alone on its store) on SQLite.
func (c *Config) replicaNodeID() string {
	if kind, _ := databaseKind(c.DatabaseURL); kind == dbPostgres {
		return c.NodeID
	}
	return ""
}

// defaultNodeID returns "HOST:PORT": the host name (its characters a node
// id cannot hold replaced by '-') and the port of the listen address.
func defaultNodeID(listen string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "hub"
	}
	host = strings.Map(func(r rune) rune {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(".-_", r)) {
			return r
		}
		return '-'
	}, host)
	id := host
	if _, port, err := net.SplitHostPort(listen); err == nil && port != "" {
		id += ":" + port
	}
	if len(id) > runs.MaxNodeIDLen {
		id = id[len(id)-runs.MaxNodeIDLen:]
	}
	return id
}

// decodeHubKey decodes a base64 hub key of secretbox.KeySize bytes.
func decodeHubKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != secretbox.KeySize {
				return nil, fmt.Errorf("hub: HubKey must decode to %d bytes, got %d", secretbox.KeySize, len(b))
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("hub: HubKey is not valid base64")
}
