package plugin

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Option configures an [Export] built by [New]. Options validate their
// input and return an error wrapping ErrInvalidOption.
type Option func(*Export) error

// Environment variables read by [FromEnv], the same as the Python SDK's.
const (
	EnvHost      = "HOST"
	EnvPluginID  = "PLUGIN_ID"
	EnvSecret    = "PLUGIN_SECRET"
	EnvConnector = "CONNECTOR"
	EnvPort      = "PORT"
)

// FromEnv sets the fields named by the environment, like the Python SDK:
// HOST (hub URL), PLUGIN_ID, PLUGIN_SECRET, CONNECTOR (WS or REST) and PORT
// (REST port). Unset or empty variables leave the field as it is.
func FromEnv() Option {
	return func(e *Export) error {
		if v := os.Getenv(EnvHost); v != "" {
			if _, err := parseHost(v); err != nil {
				return fmt.Errorf("%s: %w", EnvHost, err)
			}
			e.Host = v
		}
		if v := os.Getenv(EnvPluginID); v != "" {
			e.ID = v
		}
		if v := os.Getenv(EnvSecret); v != "" {
			e.Secret = v
		}
		if v := os.Getenv(EnvConnector); v != "" {
			c, err := ParseConnector(v)
			if err != nil {
				return fmt.Errorf("%s: %w", EnvConnector, err)
			}
			e.Connector = c
		}
		if v := os.Getenv(EnvPort); v != "" {
			p, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || p < 1 || p > 65535 {
				return fmt.Errorf("%w: %s %q: want a port number from 1 to 65535", ErrInvalidOption, EnvPort, v)
			}
			e.Port = p
		}
		return nil
	}
}

// WithHost sets the hub's base URL (http:// or https://).
func WithHost(host string) Option {
	return func(e *Export) error {
		if _, err := parseHost(host); err != nil {
			return err
		}
		e.Host = host
		return nil
	}
}

// WithCredentials sets the plugin id and secret.
func WithCredentials(id, secret string) Option {
	return func(e *Export) error {
		if id == "" || secret == "" {
			return fmt.Errorf("%w: plugin id and secret must not be empty", ErrInvalidOption)
		}
		e.ID, e.Secret = id, secret
		return nil
	}
}

// WithConnector selects ConnectorWS or ConnectorREST.
func WithConnector(c Connector) Option {
	return func(e *Export) error {
		parsed, err := ParseConnector(string(c))
		if err != nil {
			return err
		}
		e.Connector = parsed
		return nil
	}
}

// WithPort sets the HTTP port of ConnectorREST.
func WithPort(port int) Option {
	return func(e *Export) error {
		if port < 1 || port > 65535 {
			return fmt.Errorf("%w: port %d: want 1 to 65535", ErrInvalidOption, port)
		}
		e.Port = port
		return nil
	}
}

// WithListener makes ConnectorREST serve on ln instead of its port.
func WithListener(ln net.Listener) Option {
	return func(e *Export) error {
		if ln == nil {
			return fmt.Errorf("%w: listener is nil", ErrInvalidOption)
		}
		e.Listener = ln
		return nil
	}
}

// WithConcurrency sets how many runs execute at once (at least 1).
func WithConcurrency(n int) Option {
	return func(e *Export) error {
		if n < 1 {
			return fmt.Errorf("%w: concurrency %d: want at least 1", ErrInvalidOption, n)
		}
		e.Concurrency = n
		return nil
	}
}

// WithHeartbeatInterval sets the time between heartbeats.
func WithHeartbeatInterval(d time.Duration) Option {
	return durationOption("heartbeat interval", d, func(e *Export) { e.HeartbeatInterval = d })
}

// WithReconnect sets the reconnect backoff: first delay minDelay, doubled
// per failed attempt up to maxDelay, with ±50% jitter; maxAttempts
// consecutive failures make Run give up (0 retries forever).
func WithReconnect(minDelay, maxDelay time.Duration, maxAttempts int) Option {
	return func(e *Export) error {
		if minDelay <= 0 || maxDelay < minDelay {
			return fmt.Errorf("%w: reconnect delays %v..%v: want 0 < min <= max", ErrInvalidOption, minDelay, maxDelay)
		}
		if maxAttempts < 0 {
			return fmt.Errorf("%w: reconnect attempts %d: want 0 (forever) or more", ErrInvalidOption, maxAttempts)
		}
		e.ReconnectMinDelay, e.ReconnectMaxDelay, e.MaxReconnectAttempts = minDelay, maxDelay, maxAttempts
		return nil
	}
}

// WithDialTimeout bounds one connection attempt.
func WithDialTimeout(d time.Duration) Option {
	return durationOption("dial timeout", d, func(e *Export) { e.DialTimeout = d })
}

// WithShutdownTimeout sets how long running runs may finish on shutdown.
func WithShutdownTimeout(d time.Duration) Option {
	return durationOption("shutdown timeout", d, func(e *Export) { e.ShutdownTimeout = d })
}

// WithAPITimeout sets the deadline of hub API calls whose ctx has none.
func WithAPITimeout(d time.Duration) Option {
	return durationOption("API timeout", d, func(e *Export) { e.APITimeout = d })
}

// WithTransferTimeout sets the deadline of the export download and of the
// upload when the run's ctx has none.
func WithTransferTimeout(d time.Duration) Option {
	return durationOption("transfer timeout", d, func(e *Export) { e.TransferTimeout = d })
}

// WithMaxExportSize bounds the downloaded export zip in bytes.
func WithMaxExportSize(n int64) Option {
	return func(e *Export) error {
		if n <= 0 {
			return fmt.Errorf("%w: max export size %d: want a positive size", ErrInvalidOption, n)
		}
		e.MaxExportSize = n
		return nil
	}
}

// WithStrictExport makes the export reader validate every asset fully
// (see Export.StrictExport).
func WithStrictExport() Option {
	return func(e *Export) error {
		e.StrictExport = true
		return nil
	}
}

// WithTempDir sets the directory where runs spool files.
func WithTempDir(dir string) Option {
	return func(e *Export) error {
		fi, err := os.Stat(dir)
		if err != nil || !fi.IsDir() {
			return fmt.Errorf("%w: temp dir %q is not a directory", ErrInvalidOption, dir)
		}
		e.TempDir = dir
		return nil
	}
}

// WithHTTPClient sets the client of the SDK's HTTP calls.
func WithHTTPClient(c *http.Client) Option {
	return func(e *Export) error {
		if c == nil {
			return fmt.Errorf("%w: HTTP client is nil", ErrInvalidOption)
		}
		e.HTTPClient = c
		return nil
	}
}

// WithLogger sets the local logger.
func WithLogger(l *slog.Logger) Option {
	return func(e *Export) error {
		if l == nil {
			return fmt.Errorf("%w: logger is nil", ErrInvalidOption)
		}
		e.Logger = l
		return nil
	}
}

// WithLogLevel sets the lowest level of run log records sent to the hub.
func WithLogLevel(level slog.Level) Option {
	return func(e *Export) error {
		e.LogLevel = level
		return nil
	}
}

// WithOnDisconnect sets the callback for a dropped connection.
func WithOnDisconnect(f func(err error)) Option {
	return func(e *Export) error {
		e.OnDisconnect = f
		return nil
	}
}

// WithOnReconnect sets the callback for a restored connection.
func WithOnReconnect(f func(attempts int)) Option {
	return func(e *Export) error {
		e.OnReconnect = f
		return nil
	}
}

// WithErrorHandler sets the callback for background errors.
func WithErrorHandler(f func(err error)) Option {
	return func(e *Export) error {
		e.ErrorHandler = f
		return nil
	}
}

func durationOption(name string, d time.Duration, set func(*Export)) Option {
	return func(e *Export) error {
		if d <= 0 {
			return fmt.Errorf("%w: %s %v: want a positive duration", ErrInvalidOption, name, d)
		}
		set(e)
		return nil
	}
}
