package interop_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/waittest"
)

// serveHub builds a hub from cfg and serves it on a new loopback port
// until the returned stop is called (a hard stop, as a crash: nothing
// is shut down gracefully).
func serveHub(t *testing.T, cfg hub.Config) (*hub.Server, string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String()
	cfg.Listen, cfg.PublicURL = ln.Addr().String(), url
	s, err := hub.New(context.Background(), &cfg)
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }() // returns ErrServerClosed at stop
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = srv.Close()
		require.NoError(t, s.Close())
	}
	t.Cleanup(stop)
	return s, url, stop
}

func TestInterop_HubRestartedDuringRun(t *testing.T) {
	t.Parallel()
	requirePython(t)
	key, _, _ := auth.NewKey(auth.KeyPrefix)
	cfg := hub.Config{DataDir: t.TempDir(), BootstrapKey: key, Logger: hubtest.NewLogger(t)}

	s1, url1, crash := serveHub(t, cfg)
	b := s1.Bootstrap()
	require.NotNil(t, b)
	h1 := &testHub{Hub: &hubtest.Hub{Server: s1, URL: url1, AdminKey: key, OrgID: b.OrgID, AdminID: b.UserID}}
	h1.project = h1.newProject(t)
	p := h1.newPlugin(t, map[string]any{})
	py := startPython(t, h1, p, map[string]string{"MODE": "block"})
	h1.waitInstances(t, p.ID, 1)
	run := h1.startRun(t, p.ID, nil)
	waittest.Within(t, 20*time.Second, "run running", func() bool { return h1.run(t, run.ID).Status == string(store.RunRunning) })

	crash()
	py.kill()

	s2, url2, _ := serveHub(t, cfg)
	h2 := &testHub{Hub: &hubtest.Hub{Server: s2, URL: url2, AdminKey: key, OrgID: b.OrgID, AdminID: b.UserID}, project: h1.project}
	end := h2.run(t, run.ID)
	require.Equal(t, string(store.RunFailed), end.Status, "the run must end at start-up, never stay %s", end.Status)
	require.Equal(t, runs.MsgHubRestarted, end.Message)
	require.NotNil(t, end.EndedAt)

	logs := h2.logs(t, run.ID)
	require.NotEmpty(t, logs)
	require.Equal(t, runs.MsgHubRestarted, logs[len(logs)-1].Msg)
	require.Equal(t, "ERROR", logs[len(logs)-1].Level)

	var notes hubapi.NotificationListResponse
	h2.JSON(t, http.MethodGet, "/api/notifications", key, nil, http.StatusOK, &notes)
	require.NotEmpty(t, notes.Notifications)
	require.True(t, strings.HasSuffix(notes.Notifications[0].Title, runs.MsgHubRestarted), "got %q", notes.Notifications[0].Title)

	// Nothing else is affected: the restarted hub runs the plugin again.
	p2 := h2.newPlugin(t, map[string]any{})
	startPython(t, h2, p2, nil)
	h2.waitInstances(t, p2.ID, 1)
	ok := h2.waitEnd(t, h2.startRun(t, p2.ID, nil).ID, 60*time.Second)
	require.Equal(t, string(store.RunSucceeded), ok.Status, "message: %s", ok.Message)
}
