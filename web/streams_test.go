package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
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
