package hub_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/runs/runstest"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/waittest"
)

func TestNotificationAPI(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		rb := setupRuns(t, b, nil)
		h := rb.h
		p := rb.plugin(t, nil)
		rb.connect(t, p, runstest.Options{})

		stream := openStream(t, h, "/api/notifications/stream", "")
		defer stream.Body.Close()
		first := readEvents(t, stream, 1)
		require.Equal(t, "unread", first[0].name)
		require.JSONEq(t, `{"unread": 0}`, first[0].data)

		r := rb.start(t, p.ID, nil)
		end := rb.waitEnd(t, r.ID)
		require.Equal(t, string(store.RunSucceeded), end.Status, end.Message)

		live := readEvents(t, stream, 1)
		require.Equal(t, "notification", live[0].name)
		var n hubapi.NotificationResponse
		require.NoError(t, json.Unmarshal([]byte(live[0].data), &n))
		require.Equal(t, "export_ready", n.Kind)
		require.Regexp(t, `^Export ready: runs-plugin_[0-9a-f]+-\d{8}T\d{6}Z\.zip — Download$`, n.Title, "<project>-<plugin>-<UTC time>.zip")
		require.Equal(t, runs.ExportDownloadPath(end.ExportID), n.Link)
		require.Equal(t, end.ExportID, n.ExportID)

		var count hubapi.UnreadCountResponse
		h.JSON(t, http.MethodGet, "/api/notifications/unread-count", h.AdminKey, nil, http.StatusOK, &count)
		require.Equal(t, 1, count.Unread)

		// A failed run notifies too; marking one read leaves the other.
		rb2 := rb.plugin(t, nil)
		failed := rb.start(t, rb2.ID, nil)
		require.Equal(t, string(store.RunFailed), failed.Status)
		var list hubapi.NotificationListResponse
		h.JSON(t, http.MethodGet, "/api/notifications", h.AdminKey, nil, http.StatusOK, &list)
		require.Len(t, list.Notifications, 2)
		require.Equal(t, 2, list.Unread)
		require.Equal(t, failed.ID, list.Notifications[0].RunID, "newest first")
		h.JSON(t, http.MethodPost, "/api/notifications/read", h.AdminKey, map[string]any{"ids": []string{n.ID}}, http.StatusOK, &count)
		require.Equal(t, 1, count.Unread)
		h.JSON(t, http.MethodPost, "/api/notifications/read", h.AdminKey, nil, http.StatusOK, &count)
		require.Equal(t, 0, count.Unread)

		// Another user of the organization has none.
		_, other := h.NewUser(t, h.OrgID, store.RoleMember)
		h.JSON(t, http.MethodGet, "/api/notifications", other, nil, http.StatusOK, &list)
		require.Empty(t, list.Notifications)
		h.JSON(t, http.MethodPost, "/api/notifications/read", other, map[string]any{"ids": []string{n.ID}}, http.StatusOK, &count)
		h.JSON(t, http.MethodGet, "/api/notifications?limit=1", h.AdminKey, nil, http.StatusOK, &list)
		require.Len(t, list.Notifications, 1)
	})
}

// webhookReceiver records webhook deliveries and fails the first
// failFirst of them.
type webhookReceiver struct {
	mu        sync.Mutex
	failFirst int
	got       []delivered
}

type delivered struct {
	header http.Header
	body   []byte
}

func (wr *webhookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	wr.mu.Lock()
	defer wr.mu.Unlock()
	wr.got = append(wr.got, delivered{header: r.Header.Clone(), body: b})
	if len(wr.got) <= wr.failFirst {
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (wr *webhookReceiver) deliveries() []delivered {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	return append([]delivered(nil), wr.got...)
}

func TestWebhookAPI(t *testing.T) {
	t.Parallel()
	rb := setupRuns(t, hubtest.SQLite, func(c *hub.Config) { c.Runs.WebhookBackoff = 10 * time.Millisecond })
	h := rb.h
	recv := &webhookReceiver{failFirst: 2}
	srv := httptest.NewServer(recv)
	defer srv.Close()

	_, memberKey := h.NewUser(t, h.OrgID, store.RoleMember)
	h.JSON(t, http.MethodPut, "/api/org/webhook", memberKey, map[string]any{"url": srv.URL}, http.StatusForbidden, nil)
	for _, tc := range []struct{ url, msg string }{
		{"", "url is required"},
		{"ftp://example.com/x", "must start with http:// or https://"},
		{"http://u:p@example.com/", "must not hold credentials"},
	} {
		got := h.JSON(t, http.MethodPut, "/api/org/webhook", h.AdminKey, map[string]any{"url": tc.url}, http.StatusBadRequest, nil)
		require.Contains(t, failBody(t, got).Message, tc.msg)
	}

	var set hubapi.WebhookResponse
	h.JSON(t, http.MethodPut, "/api/org/webhook", h.AdminKey, map[string]any{"url": srv.URL + "/hook"}, http.StatusOK, &set)
	require.True(t, strings.HasPrefix(set.Secret, "whsec_"), "got secret %q", set.Secret)
	var get hubapi.WebhookResponse
	h.JSON(t, http.MethodGet, "/api/org/webhook", h.AdminKey, nil, http.StatusOK, &get)
	require.Equal(t, srv.URL+"/hook", get.URL)
	require.True(t, get.HasSecret)
	require.Empty(t, get.Secret, "the secret is shown only when made")
	// Changing the URL keeps the secret.
	h.JSON(t, http.MethodPut, "/api/org/webhook", h.AdminKey, map[string]any{"url": srv.URL}, http.StatusOK, &get)
	require.Empty(t, get.Secret)

	p := rb.plugin(t, nil)
	rb.connect(t, p, runstest.Options{})
	r := rb.start(t, p.ID, nil)
	end := rb.waitEnd(t, r.ID)
	require.Equal(t, string(store.RunSucceeded), end.Status, end.Message)

	waittest.For(t, "3 webhook attempts", func() bool { return len(recv.deliveries()) == 3 })
	ds := recv.deliveries()
	for _, d := range ds {
		require.Equal(t, ds[0].header.Get(runs.HeaderWebhookDelivery), d.header.Get(runs.HeaderWebhookDelivery), "retries repeat the delivery id")
		require.Equal(t, runs.EventRunEnded, d.header.Get(runs.HeaderWebhookEvent))
		mac := hmac.New(sha256.New, []byte(set.Secret))
		mac.Write(d.body)
		require.Equal(t, "sha256="+hex.EncodeToString(mac.Sum(nil)), d.header.Get(runs.HeaderWebhookSignature))
	}
	var ev runs.WebhookEvent
	require.NoError(t, json.Unmarshal(ds[2].body, &ev))
	require.Equal(t, runs.EventRunEnded, ev.Event)
	require.Equal(t, r.ID, ev.Run.ID)
	require.Equal(t, "succeeded", ev.Run.Status)
	require.Equal(t, p.Name, ev.Run.PluginName)
	require.NotNil(t, ev.Export)
	require.Equal(t, end.ExportID, ev.Export.ID)
	require.Equal(t, h.URL+runs.ExportDownloadPath(end.ExportID), ev.Export.DownloadURL)
	require.Len(t, ev.Export.SHA256, 64)

	// Rotating makes a new secret; deleting stops the calls.
	var rot hubapi.WebhookResponse
	h.JSON(t, http.MethodPut, "/api/org/webhook", h.AdminKey, map[string]any{"url": srv.URL, "rotateSecret": true}, http.StatusOK, &rot)
	require.NotEqual(t, set.Secret, rot.Secret)
	resp := h.Do(t, http.MethodDelete, "/api/org/webhook", h.AdminKey, nil)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	failed := rb.start(t, rb.plugin(t, nil).ID, nil)
	require.Equal(t, string(store.RunFailed), failed.Status)
	// The failed run's end is announced after the answer; give the
	// sender the time a delivery takes before checking none came.
	marker := rb.start(t, p.ID, nil)
	rb.waitEnd(t, marker.ID)
	require.Len(t, recv.deliveries(), 3)
}
