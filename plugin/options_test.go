package plugin_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/plugin"
)

func TestNew_Options(t *testing.T) {
	t.Parallel()

	h := plugin.HandlerFunc(countingHandler)
	tests := []struct {
		name    string
		opt     plugin.Option
		wantErr string
	}{
		{name: "Host", opt: plugin.WithHost("ftp://hub"), wantErr: `plugin: invalid option: Host "ftp://hub": want an http:// or https:// URL`},
		{name: "Credentials", opt: plugin.WithCredentials("", "s"), wantErr: "plugin: invalid option: plugin id and secret must not be empty"},
		{name: "Connector", opt: plugin.WithConnector("grpc"), wantErr: `plugin: invalid option: connector "grpc": want WS or REST`},
		{name: "Port", opt: plugin.WithPort(70000), wantErr: "plugin: invalid option: port 70000: want 1 to 65535"},
		{name: "Concurrency", opt: plugin.WithConcurrency(0), wantErr: "plugin: invalid option: concurrency 0: want at least 1"},
		{name: "Reconnect", opt: plugin.WithReconnect(time.Second, time.Millisecond, 0), wantErr: "plugin: invalid option: reconnect delays 1s..1ms: want 0 < min <= max"},
		{name: "HeartbeatInterval", opt: plugin.WithHeartbeatInterval(-time.Second), wantErr: "plugin: invalid option: heartbeat interval -1s: want a positive duration"},
		{name: "MaxExportSize", opt: plugin.WithMaxExportSize(0), wantErr: "plugin: invalid option: max export size 0: want a positive size"},
		{name: "TempDir", opt: plugin.WithTempDir("/does/not/exist"), wantErr: `plugin: invalid option: temp dir "/does/not/exist" is not a directory`},
		{name: "Logger", opt: plugin.WithLogger(nil), wantErr: "plugin: invalid option: logger is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := plugin.New(h, tt.opt)
			require.EqualError(t, err, tt.wantErr)
			require.ErrorIs(t, err, plugin.ErrInvalidOption)
		})
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv("HOST", "http://hub.internal:7420")
	t.Setenv("PLUGIN_ID", "p1")
	t.Setenv("PLUGIN_SECRET", "s1")
	t.Setenv("CONNECTOR", "REST")
	t.Setenv("PORT", "9090")
	e, err := plugin.New(plugin.HandlerFunc(countingHandler), plugin.FromEnv())
	require.NoError(t, err)
	require.Equal(t, "http://hub.internal:7420", e.Host)
	require.Equal(t, "p1", e.ID)
	require.Equal(t, "s1", e.Secret)
	require.Equal(t, plugin.ConnectorREST, e.Connector)
	require.Equal(t, 9090, e.Port)

	t.Setenv("PORT", "eighty")
	_, err = plugin.New(plugin.HandlerFunc(countingHandler), plugin.FromEnv())
	require.EqualError(t, err, `plugin: invalid option: PORT "eighty": want a port number from 1 to 65535`)
}

func TestExport_RunValidates(t *testing.T) {
	t.Parallel()

	err := (&plugin.Export{Concurrency: -2, Port: -1}).Run(context.Background())
	require.ErrorIs(t, err, plugin.ErrInvalidOption)
	for _, want := range []string{"ID is empty (set PLUGIN_ID)", "Secret is empty (set PLUGIN_SECRET)", "Callback is nil", "Port -1: want 1 to 65535", "Concurrency -2: want at least 1"} {
		require.ErrorContains(t, err, want)
	}
}

func TestExport_Shutdown(t *testing.T) {
	t.Parallel()

	t.Run("BeforeRun", func(t *testing.T) {
		t.Parallel()
		e := &plugin.Export{ID: "id", Secret: "s", Callback: countingHandler}
		require.NoError(t, e.Shutdown(context.Background()))
		require.ErrorIs(t, e.Run(context.Background()), plugin.ErrClosed)
	})

	t.Run("WhileRunning", func(t *testing.T) {
		t.Parallel()
		hub := newHub(t)
		e := &plugin.Export{ID: hub.ID, Secret: hub.Secret, Host: hub.URL(), Callback: countingHandler, Logger: testLogger(t)}
		done := make(chan error, 1)
		go func() { done <- e.Run(context.Background()) }()
		hub.WaitConnected(t, 1)
		require.NoError(t, e.Shutdown(context.Background()))
		require.NoError(t, <-done)
		require.NoError(t, e.Shutdown(context.Background()), "a second Shutdown is harmless")
		require.ErrorIs(t, e.Run(context.Background()), plugin.ErrClosed)
	})
}
