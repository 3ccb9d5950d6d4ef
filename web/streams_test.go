package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/runs/runstest"
	"github.com/exporthub/exporthub/web"
)

// TestUI_StreamEndsWithSession checks that an open event stream ends
// when its session is signed out elsewhere: streams have no fixed
// lifetime, so they check their session.
func TestUI_StreamEndsWithSession(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	b := newBrowser(t, h.URL)
	b.signIn(t, h.AdminKey, "")
	resp, err := b.Get(h.URL + "/ui/notifications/stream")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	rd := bufio.NewReader(resp.Body)
	for {
		line, err := rd.ReadString('\n')
		require.NoError(t, err)
		if strings.HasPrefix(line, "event: notifications") {
			break
		}
	}

	_, page := b.get(t, "/projects")
	signout, _ := b.post(t, "/signout", url.Values{"csrf_token": {token(t, page)}})
	require.Equal(t, http.StatusSeeOther, signout.StatusCode)

	ended := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, rd)
		ended <- err
	}()
	select {
	case err := <-ended:
		require.NoError(t, err, "the stream ends cleanly")
	case <-time.After(10 * web.DefaultSessionCheckInterval):
		t.Fatal("the stream of a signed-out session is still open")
	}
	again, err := b.Get(h.URL + "/ui/notifications/stream")
	require.NoError(t, err)
	again.Body.Close()
	require.Equal(t, http.StatusUnauthorized, again.StatusCode, "the browser's reconnection is refused")
}

// TestUI_InstanceNode checks that the Development box names the hub node
// of each instance on a hub with replicas (PostgreSQL), and shows no node
// column on a single hub (SQLite).
func TestUI_InstanceNode(t *testing.T) {
	t.Parallel()
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			h := hubtest.Start(t, &hubtest.Options{Backend: backend})
			var p hubapi.PluginSecretResponse
			h.JSON(t, http.MethodPost, "/api/plugins", h.AdminKey, map[string]any{"name": "node"}, http.StatusCreated, &p)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			inst, err := runstest.Connect(ctx, runstest.Options{Host: h.URL, ID: p.ID, Secret: p.Secret})
			require.NoError(t, err)
			defer inst.Close()

			b := newBrowser(t, h.URL)
			b.signIn(t, h.AdminKey, "")
			var got web.InstancesResponse
			require.Eventually(t, func() bool {
				resp, body := b.get(t, "/ui/plugins/"+p.ID+"/instances")
				require.Equal(t, http.StatusOK, resp.StatusCode)
				require.NoError(t, json.Unmarshal([]byte(body), &got))
				return len(got.Instances) == 1
			}, 10*time.Second, 20*time.Millisecond, "the instance is listed")
			_, page := b.get(t, "/plugins/"+p.ID)
			if backend == hubtest.SQLite {
				require.Empty(t, got.Instances[0].Node)
				require.Contains(t, page, `<th scope="col" data-node-col hidden>Hub node</th>`)
				return
			}
			node := h.Server.Config().NodeID
			require.NotEmpty(t, node)
			require.Equal(t, node, got.Instances[0].Node)
			require.Contains(t, page, `<th scope="col" data-node-col>Hub node</th>`)
			require.Contains(t, page, `<td class="mono">`+node+`</td>`)
		})
	}
}

// TestUI_BellFollowsNotificationFeed checks that the bell's stream
// follows the hub's notification feed, with no polling of the store: a
// notification stored for the user and a mark-read made elsewhere (the
// API, another tab) each reach an open bell at once. It also checks the
// API's bound on one mark-read, now the hub's rule for the bell too.
func TestUI_BellFollowsNotificationFeed(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	b := newBrowser(t, h.URL)
	b.signIn(t, h.AdminKey, "")
	resp, err := b.Get(h.URL + "/ui/notifications/stream")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	bells := make(chan string, 16)
	go func() {
		rd := bufio.NewScanner(resp.Body)
		next := false
		for rd.Scan() {
			line := rd.Text()
			switch {
			case line == "event: notifications":
				next = true
			case next && strings.HasPrefix(line, "data: "):
				bells <- line[len("data: "):]
				next = false
			}
		}
		close(bells)
	}()
	bell := func(what string) map[string]any {
		t.Helper()
		select {
		case data, ok := <-bells:
			require.True(t, ok, "the stream ended waiting for %s", what)
			var v map[string]any
			require.NoError(t, json.Unmarshal([]byte(data), &v))
			return v
		case <-time.After(5 * time.Second):
			t.Fatalf("no bell event for %s", what)
			return nil
		}
	}
	require.EqualValues(t, 0, bell("the first content")["unread"])

	// A run with no instance online fails at once and notifies the user.
	var project hubapi.ProjectResponse
	h.JSON(t, http.MethodPost, "/api/projects", h.AdminKey, map[string]any{"name": "bell"}, http.StatusCreated, &project)
	var p hubapi.PluginSecretResponse
	h.JSON(t, http.MethodPost, "/api/plugins", h.AdminKey, map[string]any{"name": "Offline"}, http.StatusCreated, &p)
	h.JSON(t, http.MethodPost, "/api/projects/"+project.ID+"/plugins/"+p.ID, h.AdminKey, nil, http.StatusOK, nil)
	h.JSON(t, http.MethodPost, "/api/projects/"+project.ID+"/plugins/"+p.ID+"/runs", h.AdminKey, nil, http.StatusCreated, nil)
	require.EqualValues(t, 1, bell("the run's notification")["unread"])

	// Marked read through the API: the open bell shows it.
	h.JSON(t, http.MethodPost, "/api/notifications/read", h.AdminKey, map[string]any{"all": true}, http.StatusOK, nil)
	require.EqualValues(t, 0, bell("the mark-read made elsewhere")["unread"])

	// One mark-read names at most runs.MaxMarkRead notifications, in the
	// browser as in the API.
	_, page := b.get(t, "/projects")
	ids := make([]string, runs.MaxMarkRead+1)
	for i := range ids {
		ids[i] = fmt.Sprintf("n%d", i)
	}
	body, err := json.Marshal(map[string]any{"ids": ids})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, h.URL+"/ui/notifications/read", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(web.CSRFHeader, token(t, page))
	got, err := b.Do(req)
	require.NoError(t, err)
	defer got.Body.Close()
	msg, err := io.ReadAll(got.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, got.StatusCode)
	require.Contains(t, string(msg), `"message":"ids holds 1001 notifications, at most 1000 at once"`)
	api := h.JSON(t, http.MethodPost, "/api/notifications/read", h.AdminKey, map[string]any{"ids": ids}, http.StatusBadRequest, nil)
	require.Contains(t, string(api), `"message":"ids holds 1001 notifications, at most 1000 at once"`)
}
