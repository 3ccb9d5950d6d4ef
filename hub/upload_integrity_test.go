package hub_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs/runstest"
	"github.com/exporthub/exporthub/hub/store"
)

// restRun is a run whose plugin answers through the /v2 REST callbacks
// with the run token, as the Python SDK does.
type restRun struct {
	rb  *runsBundle
	run *hubapi.RunResponse
	req *gateway.RunRequest
}

// startRESTRuns connects a plugin that leaves every run to the test and
// starts n runs.
func startRESTRuns(t *testing.T, rb *runsBundle, n int) []*restRun {
	t.Helper()
	p := rb.plugin(t, nil)
	tokens := make(chan *gateway.RunRequest, n)
	rb.connect(t, p, runstest.Options{SkipExport: true,
		OnRequest: func(req *gateway.RunRequest, _ time.Time) { tokens <- req },
		Handler: func(ctx context.Context, _ *runstest.Run) (string, []byte, error) {
			<-ctx.Done()
			return "", nil, ctx.Err()
		}})
	var out []*restRun
	for range n {
		run := rb.start(t, p.ID, nil)
		req := <-tokens
		require.Equal(t, run.ID, req.Session)
		out = append(out, &restRun{rb: rb, run: run, req: req})
	}
	return out
}

// uploadURL asks for an upload URL with the run token.
func (r *restRun) uploadURL(t *testing.T, name string) string {
	t.Helper()
	q := url.Values{"name": {name}, "type": {"exports"}}
	var up v2[hubapi.V2UploadURLResponse]
	r.rb.h.JSON(t, http.MethodGet, "/v2/getUploadUrl?"+q.Encode(), r.req.APIKey, nil, http.StatusOK, &up)
	return up.Data.UploadURL
}

// respond sends the signed URL of uploadURL as the run's response.
func (r *restRun) respond(t *testing.T, uploadURL string) *hubapi.RunResponse {
	t.Helper()
	q := url.Values{"name": {uploadURL}}
	var sig v2[hubapi.V2SignedURLResponse]
	r.rb.h.JSON(t, http.MethodGet, "/v2/getSignedUrl?"+q.Encode(), r.req.APIKey, nil, http.StatusOK, &sig)
	r.rb.h.JSON(t, http.MethodPost, "/v2/pluginResponse", r.req.APIKey, map[string]any{"export": true, "response": sig.Data.SignedURL, "session": r.run.ID}, http.StatusOK, nil)
	return r.rb.waitEnd(t, r.run.ID)
}

// download fetches an export; err is the body read error (a download cut
// short).
func download(t *testing.T, h *hubtest.Hub, exportID string) (*http.Response, []byte, error) {
	t.Helper()
	resp := h.Do(t, http.MethodGet, "/api/exports/"+exportID+"/download", h.AdminKey, nil)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// TestUploads_SingleUseAndOwnRun: an upload URL stores one file while its
// run is active; a finished export is never overwritten and its download
// is what was recorded; a response may only name its own run's upload.
func TestUploads_SingleUseAndOwnRun(t *testing.T) {
	t.Parallel()
	rb := setupRuns(t, hubtest.SQLite, nil)
	h := rb.h
	rr := startRESTRuns(t, rb, 3)
	a, b, c := rr[0], rr[1], rr[2]

	upA := a.uploadURL(t, "a.zip")
	require.Equal(t, http.StatusOK, httpPut(t, upA, []byte("PK first")))
	// A second PUT to the same URL, while the run is still active.
	require.Equal(t, http.StatusConflict, httpPut(t, upA, []byte("PK second")))
	endA := a.respond(t, upA)
	require.Equal(t, string(store.RunSucceeded), endA.Status, endA.Message)

	t.Run("PutAfterRunEndedRefused", func(t *testing.T) {
		got := httpPutBody(t, upA, []byte("PK evil"))
		require.Equal(t, http.StatusForbidden, got.status)
		require.Contains(t, got.body, "has ended")
		resp, body, err := download(t, h, endA.ExportID)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "PK first", string(body))
	})

	t.Run("ResponseNamingAnotherRunsExport", func(t *testing.T) {
		end := b.respond(t, upA)
		require.Equal(t, string(store.RunFailed), end.Status)
		require.Contains(t, end.Message, "not uploaded for this run")
		require.Empty(t, end.ExportID)
	})

	t.Run("OwnUploadAccepted", func(t *testing.T) {
		upC := c.uploadURL(t, "c.zip")
		require.Equal(t, http.StatusOK, httpPut(t, upC, []byte("PK c")))
		end := c.respond(t, upC)
		require.Equal(t, string(store.RunSucceeded), end.Status, end.Message)
	})

	t.Run("DownloadChecksRecordedHash", func(t *testing.T) {
		var exp hubapi.ExportResponse
		h.JSON(t, http.MethodGet, "/api/exports/"+endA.ExportID, h.AdminKey, nil, http.StatusOK, &exp)
		sum := sha256.Sum256([]byte("PK first"))
		require.Equal(t, hex.EncodeToString(sum[:]), exp.SHA256)
		ctx := context.Background()

		// Same size, other bytes, written behind the hub's back.
		_, err := h.Server.Blob().Hub().Write(ctx, exp.ObjectKey, strings.NewReader("PK FIRST"))
		require.NoError(t, err)
		resp, body, err := download(t, h, exp.ID)
		require.Error(t, err, "a download that differs from X-Content-SHA256 is cut short")
		require.NotEqual(t, "PK FIRST", string(body))
		require.Equal(t, exp.SHA256, resp.Header.Get("X-Content-SHA256"))

		req, err := http.NewRequest(http.MethodGet, h.URL+"/api/exports/"+exp.ID+"/download", nil)
		require.NoError(t, err)
		req.Header.Set("apikey", h.AdminKey)
		req.Header.Set("Range", "bytes=0-1")
		rresp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		rbody, _ := io.ReadAll(rresp.Body)
		rresp.Body.Close()
		require.Equal(t, http.StatusConflict, rresp.StatusCode)
		require.Contains(t, string(rbody), "no longer matches its recorded SHA-256")

		// Another size is refused before anything is sent.
		_, err = h.Server.Blob().Hub().Write(ctx, exp.ObjectKey, strings.NewReader("PK something else"))
		require.NoError(t, err)
		h.JSON(t, http.MethodGet, "/api/exports/"+exp.ID+"/download", h.AdminKey, nil, http.StatusConflict, nil)
	})
}

type putResult struct {
	status int
	body   string
}

// httpPutBody PUTs body to u and returns the status and answer.
func httpPutBody(t *testing.T, u string, body []byte) putResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, u, strings.NewReader(string(body)))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return putResult{resp.StatusCode, string(b)}
}
