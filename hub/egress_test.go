package hub_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs/runstest"
	"github.com/exporthub/exporthub/hub/store"
)

// countingServer is a loopback HTTP server that counts its requests.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// TestEgress_PrivateAddressesRefused: without allow-private-networks,
// organization storages and webhooks cannot make the hub connect to
// loopback, link-local or private addresses, and the errors say "refused
// by policy" whatever the port would have answered.
func TestEgress_PrivateAddressesRefused(t *testing.T) {
	t.Parallel()
	rb := setupRuns(t, hubtest.SQLite, func(c *hub.Config) { c.AllowPrivateNetworks = nil })
	h := rb.h
	srv, hits := countingServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	_, openPort, _ := net.SplitHostPort(srv.Listener.Addr().String())

	storage := func(name, endpoint string) map[string]any {
		return map[string]any{"name": name, "provider": "AWS", "endpoint": endpoint, "region": "us-east-1",
			"bucket": "b", "accessKey": "a", "secretKey": "s"}
	}

	t.Run("StorageCheck", func(t *testing.T) {
		var msgs []string
		for i, ep := range []string{srv.URL, "http://127.0.0.1:" + strconv.Itoa(closedPort), "http://localhost:" + openPort, "http://169.254.169.254", "http://10.0.0.1"} {
			var fail hubapi.FailResponse
			h.JSON(t, http.MethodPost, "/api/storages", h.AdminKey, storage("s"+strconv.Itoa(i), ep), http.StatusBadRequest, &fail)
			require.Equal(t, "storage_unreachable", fail.Code, ep)
			require.Contains(t, fail.Message, "refused by policy", ep)
			u, _ := url.Parse(ep)
			msgs = append(msgs, strings.ReplaceAll(fail.Message, u.Host, "HOST"))
		}
		require.Equal(t, msgs[0], msgs[1], "an open and a closed port answer alike")
		require.Zero(t, hits.Load(), "the hub sent nothing to the loopback server")
	})

	t.Run("ResponseNamingAPrivateStorage", func(t *testing.T) {
		req := storage("skipped", srv.URL)
		req["skipCheck"] = true
		var st hubapi.StorageResponse
		h.JSON(t, http.MethodPost, "/api/storages", h.AdminKey, req, http.StatusCreated, &st)
		r := startRESTRuns(t, rb, 1)[0]
		q := url.Values{"name": {"x.zip"}, "storageId": {st.ID}}
		var up v2[hubapi.V2UploadURLResponse]
		h.JSON(t, http.MethodGet, "/v2/getUploadUrl?"+q.Encode(), r.req.APIKey, nil, http.StatusOK, &up)
		h.JSON(t, http.MethodPost, "/v2/pluginResponse", r.req.APIKey, map[string]any{"export": true, "response": up.Data.UploadURL, "session": r.run.ID}, http.StatusOK, nil)
		end := rb.waitEnd(t, r.run.ID)
		require.Equal(t, string(store.RunFailed), end.Status)
		require.Contains(t, end.Message, "refused by policy")
		require.Zero(t, hits.Load())
	})

	t.Run("Webhook", func(t *testing.T) {
		h.JSON(t, http.MethodPut, "/api/org/webhook", h.AdminKey, map[string]any{"url": srv.URL + "/hook"}, http.StatusOK, nil)
		p := rb.plugin(t, nil)
		rb.connect(t, p, runstest.Options{SkipExport: true, Handler: fixedZip([]byte("PK"))})
		end := rb.waitEnd(t, rb.start(t, p.ID, nil).ID)
		require.Equal(t, string(store.RunSucceeded), end.Status, end.Message)
		time.Sleep(500 * time.Millisecond) // a delivery would be under way by now
		require.Zero(t, hits.Load(), "the webhook was not sent to loopback")
	})
}
