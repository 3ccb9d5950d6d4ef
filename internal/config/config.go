// Package config resolves the settings of `exporthub serve` (and of the
// commands that open the hub's database directly) from, in order of
// precedence: command-line flags, EXPORTHUB_* environment variables, an
// optional YAML config file, and the hub's defaults.
//
// Every setting has one name used in all three places: the flag is
// --NAME, the file key is NAME, and the variable is EXPORTHUB_ followed by
// NAME in upper case with '-' as '_' (data-dir, --data-dir,
// EXPORTHUB_DATA_DIR).
package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/internal/egress"
)

// EnvConfig names the variable that points at a config file when
// --config is not given.
const EnvConfig = "EXPORTHUB_CONFIG"

// Settings is everything `exporthub serve` needs.
type Settings struct {
	// Hub is the hub's configuration (Logger is left nil; see NewLogger).
	Hub hub.Config
	// LogLevel is the minimum level logged. Defaults to info.
	LogLevel slog.Level
	// LogFormat is "text" or "json". Defaults to "text".
	LogFormat string
}

// Field is one setting.
type Field struct {
	// Name is the flag name and the config file key.
	Name string
	// Usage is the flag's help text.
	Usage string
	// Secret fields are never printed.
	Secret bool
	set    func(s *Settings, v string) error
}

// Env returns the field's environment variable name.
func (f *Field) Env() string {
	return "EXPORTHUB_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
}

// Fields lists every setting, in the order help shows them.
var Fields = []*Field{
	{Name: "data-dir", Usage: "directory for the SQLite database, local blobs and the hub key (default " + hub.DefaultDataDir + ")",
		set: func(s *Settings, v string) error { s.Hub.DataDir = v; return nil }},
	{Name: "listen", Usage: "address to listen on (default " + hub.DefaultListen + ")",
		set: func(s *Settings, v string) error { s.Hub.Listen = v; return nil }},
	{Name: "public-url", Usage: "base URL clients reach the hub at (default http:// + listen address)",
		set: func(s *Settings, v string) error { s.Hub.PublicURL = v; return nil }},
	{Name: "database", Usage: "database URL: sqlite:///path/file.db or postgres://user@host/db (default: SQLite in the data dir)",
		set: func(s *Settings, v string) error { s.Hub.DatabaseURL = v; return nil }},
	{Name: "blob", Usage: "blob storage URL: file:///dir, s3://bucket?endpoint=...&region=..., gs://bucket or azblob://container?endpoint=... (default: directory in the data dir)",
		set: func(s *Settings, v string) error { s.Hub.BlobURL = v; return nil }},
	{Name: "blob-access-key-id", Usage: "access key for an s3:// blob URL (default: the AWS credential chain), account name for azblob://",
		set: func(s *Settings, v string) error { s.Hub.BlobAccessKeyID = v; return nil }},
	{Name: "blob-secret-access-key", Usage: "secret key for an s3:// blob URL, account key for azblob://", Secret: true,
		set: func(s *Settings, v string) error { s.Hub.BlobSecretAccessKey = v; return nil }},
	{Name: "blob-credentials-file", Usage: "service-account JSON key file for a gs:// blob URL",
		set: func(s *Settings, v string) error { s.Hub.BlobCredentialsFile = v; return nil }},
	{Name: "blob-proxy", Usage: "serve presigned URLs of an s3://, gs:// or azblob:// blob URL through the hub (true/false)",
		set: func(s *Settings, v string) (err error) { s.Hub.BlobProxy, err = parseBool(v); return err }},
	{Name: "ready-requires-blob", Usage: "make GET /readyz fail while the blob store does not answer (true/false; default false: only the database fails it)",
		set: func(s *Settings, v string) (err error) { s.Hub.ReadyRequiresBlob, err = parseBool(v); return err }},
	{Name: "hub-key", Usage: "the hub's 32-byte secret, base64 (default: read or created in the data dir)", Secret: true,
		set: func(s *Settings, v string) error { s.Hub.HubKey = v; return nil }},
	{Name: "bootstrap-key", Usage: "API key (ehk_...) for the admin created on first start (default: generated and printed once)", Secret: true,
		set: func(s *Settings, v string) error { s.Hub.BootstrapKey = v; return nil }},
	{Name: "bootstrap-org", Usage: "name of the organization created on first start (default " + hub.DefaultBootstrapOrgName + ")",
		set: func(s *Settings, v string) error { s.Hub.BootstrapOrgName = v; return nil }},
	{Name: "bootstrap-email", Usage: "e-mail of the admin created on first start (default " + hub.DefaultBootstrapAdminEmail + ")",
		set: func(s *Settings, v string) error { s.Hub.BootstrapAdminEmail = v; return nil }},
	{Name: "max-body-size", Usage: "bound of ordinary request bodies, e.g. 1MiB (default 1MiB)",
		set: func(s *Settings, v string) (err error) { s.Hub.MaxBodyBytes, err = ParseSize(v); return err }},
	{Name: "max-import-size", Usage: "bound of an import body, e.g. 10GiB (default 10GiB)",
		set: func(s *Settings, v string) (err error) { s.Hub.MaxImportBytes, err = ParseSize(v); return err }},
	{Name: "max-config-size", Usage: "bound of a Config JSON (a run's config, a plugin's default config), e.g. 64KiB (default 64KiB)",
		set: func(s *Settings, v string) error {
			n, err := ParseSize(v)
			if err == nil && (n < 2 || n > 1<<30) {
				err = fmt.Errorf("size must be from 2B to 1GiB, got %s", v)
			}
			s.Hub.MaxConfigBytes = int(n)
			return err
		}},
	{Name: "max-object-size", Usage: "bound of a stored object (exports, uploads), e.g. 5GiB (default 5GiB)",
		set: func(s *Settings, v string) (err error) { s.Hub.MaxObjectBytes, err = ParseSize(v); return err }},
	{Name: "signed-url-expiry", Usage: "lifetime of presigned URLs, e.g. 1h (default 1h)",
		set: func(s *Settings, v string) (err error) { s.Hub.SignedURLExpiry, err = parseDuration(v); return err }},
	{Name: "rest-plugin-urls", Usage: "comma-separated base URLs REST connector plugins may have, e.g. http://127.0.0.1:8080 (default: none; the REST connector is off)",
		set: func(s *Settings, v string) error {
			for _, u := range strings.Split(v, ",") {
				if u = strings.TrimSpace(u); u != "" {
					s.Hub.Runs.RESTAllowedURLs = append(s.Hub.Runs.RESTAllowedURLs, u)
				}
			}
			return nil
		}},
	{Name: "max-anonymous-plugin-connections", Usage: "bound of plugin connections that sent no valid heartbeat yet, over all addresses (default 1000)",
		set: func(s *Settings, v string) (err error) {
			s.Hub.Runs.MaxAnonymousConns, err = parsePositive(v)
			return err
		}},
	{Name: "max-anonymous-plugin-connections-per-address", Usage: "bound of plugin connections that sent no valid heartbeat yet, per client address (default 50)",
		set: func(s *Settings, v string) (err error) {
			s.Hub.Runs.MaxAnonymousConnsPerAddr, err = parsePositive(v)
			return err
		}},
	{Name: "allow-private-networks", Usage: "comma-separated networks (CIDR or address, e.g. 10.1.0.0/16) organization storages and webhooks may reach although loopback, link-local or private (default: none, such addresses are refused by policy)",
		set: func(s *Settings, v string) error {
			for _, n := range strings.Split(v, ",") {
				if n = strings.TrimSpace(n); n != "" {
					s.Hub.AllowPrivateNetworks = append(s.Hub.AllowPrivateNetworks, n)
				}
			}
			_, err := egress.New(s.Hub.AllowPrivateNetworks)
			return err
		}},
	{Name: "node-id", Usage: "name of this replica among the hub replicas sharing a PostgreSQL database: unique, stable across restarts (default HOSTNAME:PORT)",
		set: func(s *Settings, v string) error {
			v = strings.TrimSpace(v)
			if err := runs.CheckNodeID(v); err != nil {
				return err
			}
			s.Hub.NodeID = v
			return nil
		}},
	{Name: "node-lease", Usage: "how long a replica's lease lasts without renewal; the other replicas end its runs once it ended, e.g. 15s (default 15s, at least 1s)",
		set: func(s *Settings, v string) error {
			d, err := parseDuration(v)
			if err != nil {
				return err
			}
			if d < runs.MinNodeLease {
				return fmt.Errorf("duration must be at least %s, got %s", runs.MinNodeLease, d)
			}
			s.Hub.NodeLease = d
			return nil
		}},
	{Name: "log-level", Usage: "debug, info, warn or error (default info)",
		set: func(s *Settings, v string) error { return s.LogLevel.UnmarshalText([]byte(v)) }},
	{Name: "log-format", Usage: "text or json (default text)",
		set: func(s *Settings, v string) error {
			if v != "text" && v != "json" {
				return fmt.Errorf("want text or json, got %q", v)
			}
			s.LogFormat = v
			return nil
		}},
}

// parsePositive parses a whole number of at least 1.
func parsePositive(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("want a whole number of at least 1, got %q", v)
	}
	return n, nil
}

// Lookup returns the field named name, or nil.
func Lookup(name string) *Field {
	for _, f := range Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Sources are the inputs Resolve reads.
type Sources struct {
	// File is the config file path; "" for none.
	File string
	// Getenv reads the environment; nil means no environment.
	Getenv func(string) string
	// Flags holds the flags given on the command line, by name.
	Flags map[string]string
}

// Resolve builds Settings from the sources: flags override the
// environment, which overrides the file, which overrides the defaults.
// Errors name the setting and where its bad value came from.
func Resolve(src Sources) (*Settings, error) {
	s := &Settings{LogLevel: slog.LevelInfo, LogFormat: "text"}
	if src.File != "" {
		values, err := readFile(src.File)
		if err != nil {
			return nil, err
		}
		for _, f := range Fields {
			if v, ok := values[f.Name]; ok {
				if err := f.set(s, v); err != nil {
					return nil, fmt.Errorf("config file %s: %s: %w", src.File, f.Name, err)
				}
			}
		}
	}
	if src.Getenv != nil {
		for _, f := range Fields {
			if v := src.Getenv(f.Env()); v != "" {
				if err := f.set(s, v); err != nil {
					return nil, fmt.Errorf("environment %s: %w", f.Env(), err)
				}
			}
		}
	}
	for _, f := range Fields {
		if v, ok := src.Flags[f.Name]; ok {
			if err := f.set(s, v); err != nil {
				return nil, fmt.Errorf("flag --%s: %w", f.Name, err)
			}
		}
	}
	return s, nil
}

// readFile reads a YAML file of NAME: value pairs.
func readFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	out := map[string]string{}
	var unknown []string
	for k, v := range raw {
		if Lookup(k) == nil {
			unknown = append(unknown, k)
			continue
		}
		switch v := v.(type) {
		case nil:
		case map[string]any, []any:
			return nil, fmt.Errorf("config file %s: %s: want a single value, got a %T", path, k, v)
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("config file %s: unknown setting %s (known: %s)", path, strings.Join(unknown, ", "), knownNames())
	}
	return out, nil
}

func knownNames() string {
	names := make([]string, len(Fields))
	for i, f := range Fields {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// NewLogger returns the slog logger the settings describe, writing to w.
func (s *Settings) NewLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: s.LogLevel}
	if s.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// ParseSize reads a byte size: a number of bytes, optionally followed by
// a unit (B, KB, MB, GB, TB powers of 1000; KiB, MiB, GiB, TiB powers of
// 1024), case-insensitive, e.g. "1048576", "1MiB", "10 GiB".
func ParseSize(s string) (int64, error) {
	v := strings.TrimSpace(s)
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.') {
		i++
	}
	num, unit := v[:i], strings.ToLower(strings.TrimSpace(v[i:]))
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("size %q: want a number of bytes such as 1048576 or 1MiB", s)
	}
	mult := map[string]float64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
		"k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gib": 1 << 30, "t": 1 << 40, "tib": 1 << 40}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("size %q: unknown unit %q (use B, KB, MB, GB, KiB, MiB, GiB, TiB)", s, unit)
	}
	n := f * mult
	if n < 0 || n > 1<<62 {
		return 0, fmt.Errorf("size %q is out of range", s)
	}
	return int64(n), nil
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("duration %q: want e.g. 30m or 1h", s)
	}
	if d <= 0 {
		return 0, errors.New("duration must be positive")
	}
	return d, nil
}

func parseBool(s string) (bool, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return false, fmt.Errorf("want true or false, got %q", s)
	}
	return b, nil
}
