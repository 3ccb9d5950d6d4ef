package hub_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/blob"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs/runstest"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/hubclient"
)

// fixedZip is a Handler returning the same bytes every time.
func fixedZip(body []byte) runstest.Handler {
	return func(context.Context, *runstest.Run) (string, []byte, error) { return "fixed.zip", body, nil }
}

func TestExportAPI_HubStorage(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		rb := setupRuns(t, b, nil)
		h := rb.h
		body := []byte(strings.Repeat("exporthub ", 1000))
		p := rb.plugin(t, nil)
		rb.connect(t, p, runstest.Options{SkipExport: true, Handler: fixedZip(body)})
		end := rb.waitEnd(t, rb.start(t, p.ID, nil).ID)
		require.Equal(t, string(store.RunSucceeded), end.Status, end.Message)

		var exp hubapi.ExportResponse
		h.JSON(t, http.MethodGet, "/api/exports/"+end.ExportID, h.AdminKey, nil, http.StatusOK, &exp)
		sum := sha256.Sum256(body)
		require.Equal(t, hex.EncodeToString(sum[:]), exp.SHA256)
		require.Equal(t, int64(len(body)), exp.Size)
		require.Regexp(t, `^runs-plugin_[0-9a-f]+-\d{8}T\d{6}Z\.zip$`, exp.FileName, "the hub names the file <project>-<plugin>-<UTC time>.zip")
		require.True(t, strings.HasSuffix(exp.ObjectKey, "/fixed.zip"), "the key keeps the uploaded name: %s", exp.ObjectKey)
		require.Empty(t, exp.StorageID)
		require.True(t, strings.HasPrefix(exp.ObjectKey, "orgs/"+h.OrgID+"/projects/"+rb.project.ID+"/exports/"), "got key %s", exp.ObjectKey)

		var list hubapi.ExportListResponse
		h.JSON(t, http.MethodGet, "/api/projects/"+rb.project.ID+"/exports", h.AdminKey, nil, http.StatusOK, &list)
		require.Len(t, list.Exports, 1)
		require.Equal(t, exp.ID, list.Exports[0].ID)

		resp := h.Do(t, http.MethodGet, "/api/exports/"+exp.ID+"/download", h.AdminKey, nil)
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, body, got)
		require.Equal(t, `attachment; filename=`+exp.FileName, resp.Header.Get("Content-Disposition"))

		req, err := http.NewRequest(http.MethodGet, h.URL+"/api/exports/"+exp.ID+"/download", nil)
		require.NoError(t, err)
		req.Header.Set("apikey", h.AdminKey)
		req.Header.Set("Range", "bytes=10-19")
		resp, err = http.DefaultClient.Do(req)
		require.NoError(t, err)
		part, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusPartialContent, resp.StatusCode)
		require.Equal(t, body[10:20], part)

		o := h.NewOrg(t, "Other")
		h.JSON(t, http.MethodGet, "/api/exports/"+exp.ID, o.AdminKey, nil, http.StatusNotFound, nil)
		h.JSON(t, http.MethodGet, "/api/exports/"+exp.ID+"/download", o.AdminKey, nil, http.StatusNotFound, nil)
		h.JSON(t, http.MethodGet, "/api/projects/"+rb.project.ID+"/exports", o.AdminKey, nil, http.StatusNotFound, nil)
	})
}

// TestExportAPI_OrgStorage runs a plugin that delivers to an organization
// storage of each provider (its own URLs, and proxied through the hub),
// then downloads the export as a user does.
func TestExportAPI_OrgStorage(t *testing.T) {
	t.Parallel()
	servers := storageServers(t)
	rb := setupRuns(t, hubtest.SQLite, nil)
	h := rb.h
	for provider, srv := range servers {
		for _, proxied := range []bool{false, true} {
			name := provider
			if proxied {
				name += "Proxied"
			}
			t.Run(name, func(t *testing.T) {
				in := srv.StorageInput(t)
				in.Proxied = proxied
				var st hubapi.StorageResponse
				h.JSON(t, http.MethodPost, "/api/storages", h.AdminKey, storageRequest("ours "+name, in), http.StatusCreated, &st)

				body := []byte("zip bytes in the organization's bucket: " + name)
				p := rb.plugin(t, nil)
				rb.connect(t, p, runstest.Options{SkipExport: true, Handler: func(ctx context.Context, r *runstest.Run) (string, []byte, error) {
					r.StorageID = st.ID
					return "own.zip", body, nil
				}})
				end := rb.waitEnd(t, rb.start(t, p.ID, nil).ID)
				require.Equal(t, string(store.RunSucceeded), end.Status, end.Message)
				var exp hubapi.ExportResponse
				h.JSON(t, http.MethodGet, "/api/exports/"+end.ExportID, h.AdminKey, nil, http.StatusOK, &exp)
				require.Equal(t, st.ID, exp.StorageID)
				require.Equal(t, in.Bucket, exp.Bucket)
				require.Equal(t, int64(len(body)), exp.Size)
				require.Contains(t, srv.ObjectKeys(t, in.Bucket), exp.ObjectKey)

				// The download is a redirect to the storage's presigned URL
				// (the hub's own for a proxied storage).
				noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
				req, err := http.NewRequest(http.MethodGet, h.URL+"/api/exports/"+exp.ID+"/download", nil)
				require.NoError(t, err)
				req.Header.Set("apikey", h.AdminKey)
				resp, err := noFollow.Do(req)
				require.NoError(t, err)
				resp.Body.Close()
				require.Equal(t, http.StatusFound, resp.StatusCode)
				loc := resp.Header.Get("Location")
				if proxied {
					require.True(t, strings.HasPrefix(loc, h.URL+blob.StorageHandlerPath+st.ID+"/"), loc)
				} else {
					require.True(t, strings.HasPrefix(loc, srv.ObjectURLPrefix(in.Bucket)), loc)
				}
				status, got := httpGet(t, loc)
				require.Equal(t, http.StatusOK, status)
				require.Equal(t, body, got)

				// The Go client follows it without sending the API key there.
				var buf strings.Builder
				n, err := hubclient.New(h.URL, h.AdminKey).DownloadExport(context.Background(), exp.ID, &buf)
				require.NoError(t, err)
				require.Equal(t, int64(len(body)), n)
				require.Equal(t, string(body), buf.String())
			})
		}
	}
}
