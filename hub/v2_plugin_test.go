package hub_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs/runstest"
	"github.com/exporthub/exporthub/hub/store"
)

func TestV2Plugin_Callbacks(t *testing.T) {
	t.Parallel()
	rb := setupRuns(t, hubtest.SQLite, nil)
	h := rb.h
	p := rb.plugin(t, nil)
	tokens := make(chan *gateway.RunRequest, 4)
	rb.connect(t, p, runstest.Options{SkipExport: true,
		OnRequest: func(req *gateway.RunRequest, _ time.Time) { tokens <- req },
		Handler: func(ctx context.Context, r *runstest.Run) (string, []byte, error) {
			<-ctx.Done() // the test answers through the REST callbacks
			return "", nil, ctx.Err()
		}})
	runA := rb.start(t, p.ID, nil)
	reqA := <-tokens
	runB := rb.start(t, p.ID, nil)
	reqB := <-tokens
	require.Equal(t, runA.ID, reqA.Session)

	t.Run("UserKeyRefused", func(t *testing.T) {
		got := h.JSON(t, http.MethodPost, "/v2/pluginLog", h.AdminKey, map[string]any{"session": runA.ID, "msg": "x"}, http.StatusForbidden, nil)
		require.Contains(t, failBody(t, got).Message, "need the run token")
	})

	t.Run("OtherSessionRefused", func(t *testing.T) {
		got := h.JSON(t, http.MethodPost, "/v2/pluginLog", reqA.APIKey, map[string]any{"session": runB.ID, "msg": "x"}, http.StatusForbidden, nil)
		require.Contains(t, failBody(t, got).Message, "not the run this token belongs to")
		h.JSON(t, http.MethodPost, "/v2/pluginResponse", reqA.APIKey, map[string]any{"session": runB.ID, "error": true}, http.StatusForbidden, nil)
		require.False(t, store.RunStatus(rb.run(t, runB.ID).Status).Final())
	})

	t.Run("NotJSON", func(t *testing.T) {
		h.JSON(t, http.MethodPost, "/v2/pluginLog", reqA.APIKey, "[1]", http.StatusBadRequest, nil)
		h.JSON(t, http.MethodPost, "/v2/pluginLog", reqA.APIKey, nil, http.StatusBadRequest, nil)
	})

	t.Run("RunTokenOutsideItsScope", func(t *testing.T) {
		h.JSON(t, http.MethodGet, "/api/runs/"+runA.ID, reqA.APIKey, nil, http.StatusForbidden, nil)
		h.JSON(t, http.MethodGet, "/api/plugins", reqA.APIKey, nil, http.StatusForbidden, nil)
	})

	t.Run("LogThenResponse", func(t *testing.T) {
		var ack struct {
			Status string          `json:"status"`
			Data   hub.V2PluginAck `json:"data"`
		}
		logAck := h.JSON(t, http.MethodPost, "/v2/pluginLog", reqA.APIKey, map[string]any{
			"level": "ERROR", "organization": h.OrgID, "pluginId": p.ID, "runBy": h.AdminID, "session": runA.ID, "msg": "over REST", "file": "a.txt",
		}, http.StatusOK, &ack)
		require.Equal(t, "success", ack.Status)
		require.Equal(t, runA.ID, ack.Data.Session)
		v2GoldenText(t, h, "plugin_ack", logAck, map[string]string{runA.ID: "<run id>"})

		// Upload a file as the SDK does, then respond.
		q := url.Values{"name": {"rest.zip"}, "project": {rb.project.ID}, "type": {"exports"}}
		var up v2[hubapi.V2UploadURLResponse]
		h.JSON(t, http.MethodGet, "/v2/getUploadUrl?"+q.Encode(), reqA.APIKey, nil, http.StatusOK, &up)
		require.Equal(t, http.StatusOK, httpPut(t, up.Data.UploadURL, []byte("PK rest")))
		q.Set("name", up.Data.UploadURL)
		var sig v2[hubapi.V2SignedURLResponse]
		h.JSON(t, http.MethodGet, "/v2/getSignedUrl?"+q.Encode(), reqA.APIKey, nil, http.StatusOK, &sig)
		responseAck := h.JSON(t, http.MethodPost, "/v2/pluginResponse", reqA.APIKey, map[string]any{"export": true, "response": sig.Data.SignedURL, "session": runA.ID}, http.StatusOK, nil)
		v2GoldenText(t, h, "plugin_ack", responseAck, map[string]string{runA.ID: "<run id>"})

		end := rb.waitEnd(t, runA.ID)
		require.Equal(t, string(store.RunSucceeded), end.Status, end.Message)
		logs := rb.logs(t, runA.ID)
		require.Len(t, logs, 1)
		require.Equal(t, "ERROR", logs[0].Level)
		require.JSONEq(t, `{"file": "a.txt"}`, string(logs[0].Extra))

		// The token died with the run.
		got := h.JSON(t, http.MethodPost, "/v2/pluginResponse", reqA.APIKey, map[string]any{"error": true, "session": runA.ID}, http.StatusUnauthorized, nil)
		require.Contains(t, failBody(t, got).Message, "revoked")
	})

	t.Run("ResponseForAnotherProjectsFile", func(t *testing.T) {
		// A file of another project cannot complete run B.
		other := createProject(t, h, h.AdminKey, map[string]any{"name": "elsewhere"})
		var up v2[hubapi.V2UploadURLResponse]
		// Upload as the admin to the other project: run B's token cannot.
		q := url.Values{"name": {"x.zip"}, "project": {other.ID}, "type": {"exports"}}
		h.JSON(t, http.MethodGet, "/v2/getUploadUrl?"+q.Encode(), reqB.APIKey, nil, http.StatusNotFound, nil)
		h.JSON(t, http.MethodGet, "/v2/getUploadUrl?"+q.Encode(), h.AdminKey, nil, http.StatusOK, &up)
		require.Equal(t, http.StatusOK, httpPut(t, up.Data.UploadURL, []byte("PK other")))
		q.Set("name", up.Data.UploadURL)
		var sig v2[hubapi.V2SignedURLResponse]
		h.JSON(t, http.MethodGet, "/v2/getSignedUrl?"+q.Encode(), h.AdminKey, nil, http.StatusOK, &sig)
		h.JSON(t, http.MethodPost, "/v2/pluginResponse", reqB.APIKey, map[string]any{"export": true, "response": sig.Data.SignedURL, "session": runB.ID}, http.StatusOK, nil)
		end := rb.waitEnd(t, runB.ID)
		require.Equal(t, string(store.RunFailed), end.Status)
		require.Equal(t, "upload failed: the uploaded file belongs to another project", end.Message)
	})
}
