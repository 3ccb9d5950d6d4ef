package interop_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/blob/blobtest"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/hubclient"
)

// TestInterop_OrgStorages runs the Python plugin (as the imerit-ango SDK
// does it: the callback returns a storage_id, getUploadUrl and
// getSignedUrl get storageId, then a plain requests.put) against an
// organization storage of each provider on a real server, and downloads
// the export as a user does. Azure's own SAS upload URLs need an
// x-ms-blob-type header the SDK's plain PUT does not send, so the Azure
// storage is proxied through the hub (the documented setting for such
// plugins); AWS and GCP use their own presigned URLs.
func TestInterop_OrgStorages(t *testing.T) {
	t.Parallel()
	requirePython(t)
	h := startHub(t, nil, nil)
	tests := []struct {
		name    string
		srv     blobtest.StorageServer
		proxied bool
	}{
		{"AWS", blobtest.StartS3(t), false},
		{"GCP", blobtest.StartGCS(t), false},
		{"AZUREProxied", blobtest.StartAzurite(t), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.srv.StorageInput(t)
			in.Proxied = tt.proxied
			req := map[string]any{"name": tt.name, "provider": in.Provider, "endpoint": in.Endpoint, "bucket": in.Bucket, "proxied": in.Proxied,
				"accessKey": in.AccessKey, "secretKey": in.SecretKey, "accountName": in.AccountName, "accountKey": in.AccountKey}
			if in.Credentials != "" {
				req["credentials"] = json.RawMessage(in.Credentials)
			}
			var st hubapi.StorageResponse
			h.JSON(t, http.MethodPost, "/api/storages", h.AdminKey, req, http.StatusCreated, &st)

			p := h.newPlugin(t, map[string]any{"defaultConfig": map[string]any{"separator-character": ";"}})
			py := startPython(t, h, p, map[string]string{"STORAGE_ID": st.ID})
			h.waitInstances(t, p.ID, 1)
			run := h.startRun(t, p.ID, map[string]any{})
			end := h.waitEnd(t, run.ID, 60*time.Second)
			require.Equal(t, string(store.RunSucceeded), end.Status, "message: %s", end.Message)

			var exp hubapi.ExportResponse
			h.JSON(t, http.MethodGet, "/api/exports/"+end.ExportID, h.AdminKey, nil, http.StatusOK, &exp)
			require.Equal(t, st.ID, exp.StorageID, "the export is recorded in the organization storage")
			require.Equal(t, in.Bucket, exp.Bucket)
			require.Equal(t, []string{exp.ObjectKey}, tt.srv.ObjectKeys(t, in.Bucket), "the zip is in the storage's bucket")
			resp := py.waitEvent(t, "responded")
			require.Equal(t, run.ID, resp["session"])

			var buf strings.Builder
			n, err := hubclient.New(h.URL, h.AdminKey).DownloadExport(context.Background(), exp.ID, &buf)
			require.NoError(t, err)
			want := py.zipOf(t, run.ID)
			require.Equal(t, int64(len(want)), n)
			require.Equal(t, string(want), buf.String(), "the download is byte for byte what the callback produced")
			require.Equal(t, expectedBBoxes(t, ";"), bboxesOf(t, []byte(buf.String()), h.project))
		})
	}
}
