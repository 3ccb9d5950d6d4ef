package config_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/internal/config"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "exporthub.yaml")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	return path
}

func TestResolve_Precedence(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "data-dir: /from/file\nlisten: 127.0.0.1:1111\nmax-import-size: 2GiB\nsigned-url-expiry: 30m\nlog-level: debug\n")
	env := map[string]string{
		"EXPORTHUB_LISTEN":   "127.0.0.1:2222",
		"EXPORTHUB_DATABASE": "postgres://env@127.0.0.1/db",
		"EXPORTHUB_BLOB":     "file:///env/blobs",
	}
	s, err := config.Resolve(config.Sources{
		File:   file,
		Getenv: func(k string) string { return env[k] },
		Flags:  map[string]string{"blob": "file:///flag/blobs", "max-body-size": "2MiB", "node-id": "hub-2.internal:7420", "node-lease": "30s"},
	})
	require.NoError(t, err)
	require.Equal(t, "/from/file", s.Hub.DataDir, "file only")
	require.Equal(t, "127.0.0.1:2222", s.Hub.Listen, "env beats file")
	require.Equal(t, "postgres://env@127.0.0.1/db", s.Hub.DatabaseURL, "env only")
	require.Equal(t, "file:///flag/blobs", s.Hub.BlobURL, "flag beats env")
	require.Equal(t, int64(2<<30), s.Hub.MaxImportBytes)
	require.Equal(t, int64(2<<20), s.Hub.MaxBodyBytes)
	require.Equal(t, 30*time.Minute, s.Hub.SignedURLExpiry)
	require.Equal(t, slog.LevelDebug, s.LogLevel)
	require.Equal(t, "hub-2.internal:7420", s.Hub.NodeID)
	require.Equal(t, 30*time.Second, s.Hub.NodeLease)
}

func TestResolve_Defaults(t *testing.T) {
	t.Parallel()
	s, err := config.Resolve(config.Sources{})
	require.NoError(t, err)
	require.Equal(t, "", s.Hub.DataDir, "zero means the hub's default")
	require.Equal(t, slog.LevelInfo, s.LogLevel)
	require.Equal(t, "text", s.LogFormat)
}

func TestResolve_Errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		env  map[string]string
		flag map[string]string
		want string
	}{
		{"UnknownFileKey", "listen: x\ndatadir: y\n", nil, nil, "unknown setting datadir (known: data-dir, listen,"},
		{"BadSizeInFile", "max-body-size: lots\n", nil, nil, `: max-body-size: size "lots": want a number of bytes such as 1048576 or 1MiB`},
		{"NestedValue", "listen:\n  host: x\n", nil, nil, "listen: want a single value"},
		{"BadUnitEnv", "", map[string]string{"EXPORTHUB_MAX_IMPORT_SIZE": "3 parsecs"}, nil, `environment EXPORTHUB_MAX_IMPORT_SIZE: size "3 parsecs": unknown unit "parsecs"`},
		{"BadDurationFlag", "", nil, map[string]string{"signed-url-expiry": "soon"}, `flag --signed-url-expiry: duration "soon": want e.g. 30m or 1h`},
		{"BadLogFormat", "", nil, map[string]string{"log-format": "xml"}, `flag --log-format: want text or json, got "xml"`},
		{"BadBool", "", map[string]string{"EXPORTHUB_BLOB_PROXY": "maybe"}, nil, `environment EXPORTHUB_BLOB_PROXY: want true or false, got "maybe"`},
		{"BadYAML", "listen: [\n", nil, nil, "config file"},
		{"BadNodeID", "", map[string]string{"EXPORTHUB_NODE_ID": "hub a"}, nil, `environment EXPORTHUB_NODE_ID: "hub a" may hold only letters, digits and ".-_:@", not ' '`},
		{"ShortNodeLease", "", nil, map[string]string{"node-lease": "500ms"}, "flag --node-lease: duration must be at least 1s, got 500ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := config.Sources{Flags: tt.flag, Getenv: func(k string) string { return tt.env[k] }}
			if tt.file != "" {
				src.File = writeFile(t, tt.file)
			}
			_, err := config.Resolve(src)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
	}{
		{"1048576", 1 << 20}, {"1MiB", 1 << 20}, {"1 mib", 1 << 20}, {"10GiB", 10 << 30}, {"1.5KiB", 1536}, {"2MB", 2_000_000}, {"512B", 512},
	}
	for _, tt := range tests {
		got, err := config.ParseSize(tt.in)
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got, "ParseSize(%q)", tt.in)
	}
	for _, bad := range []string{"", "MiB", "-1", "1XB"} {
		_, err := config.ParseSize(bad)
		require.Error(t, err, bad)
	}
}

func TestField_Env(t *testing.T) {
	t.Parallel()
	require.Equal(t, "EXPORTHUB_DATA_DIR", config.Lookup("data-dir").Env())
	require.Equal(t, "EXPORTHUB_BOOTSTRAP_KEY", config.Lookup("bootstrap-key").Env())
	require.Equal(t, "EXPORTHUB_HUB_KEY", config.Lookup("hub-key").Env())
	require.Equal(t, "EXPORTHUB_NODE_ID", config.Lookup("node-id").Env())
}
