package hub_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/blob/blobtest"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
)

// v2 is the /v2 success envelope with typed data.
type v2[T any] struct {
	Status string `json:"status"`
	Data   T      `json:"data"`
}

func httpGet(t *testing.T, u string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

func httpPut(t *testing.T, u string, body []byte) int {
	t.Helper()
	return httpPutHeader(t, u, body, nil)
}

func TestV2_Export(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		h := hubtest.Start(t, &hubtest.Options{Backend: b})
		p := createProject(t, h, h.AdminKey, map[string]any{"name": "Cars", "batches": []string{"b1", "b2"}})
		h.JSON(t, "POST", "/api/projects/"+p.ID+"/import", h.AdminKey, ndjson(t, manyAssets(6)...), http.StatusOK, nil)

		tests := []struct {
			name   string
			query  string
			entry  string
			wantN  int
			ndjson bool
		}{
			{"DefaultJSON", "", "Cars.json", 6, false},
			{"NDJSONCompleteStage", "&format=ndjson&stage=" + url.QueryEscape(`"Complete"`), "Cars.ndjson", 3, true},
			{"StageNullBatchIDs", "&format=NDJSON&stage=null&batches=" + url.QueryEscape(`["`+p.Batches[0].ID+`"]`), "Cars.ndjson", 3, true},
			{"ExtraFlagsIgnored", "&sendEmail=false&includeMetadata=true&includeHistory=false&doNotNotify=true&includeKeyFramesOnly=false", "Cars.json", 6, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var res v2[hubapi.V2ExportResponse]
				h.JSON(t, "GET", "/v2/export?project="+p.ID+tt.query, h.AdminKey, nil, http.StatusOK, &res)
				require.Equal(t, "success", res.Status)
				require.EqualValues(t, tt.wantN, res.Data.NumTasks)
				require.True(t, strings.HasPrefix(res.Data.ExportPath, h.URL+"/blob/"), "exportPath %s is served by the hub", res.Data.ExportPath)
				status, body := httpGet(t, res.Data.ExportPath)
				require.Equal(t, http.StatusOK, status, "%s", body)
				entries := readZip(t, body)
				require.Len(t, entries, 1)
				content, ok := entries[tt.entry]
				require.True(t, ok, "zip holds %s; got %v", tt.entry, entries)
				if tt.ndjson {
					require.Equal(t, tt.wantN, bytes.Count(content, []byte("\n")))
				} else {
					var arr []json.RawMessage
					require.NoError(t, json.Unmarshal(content, &arr))
					require.Len(t, arr, tt.wantN)
				}
			})
		}
		t.Run("UnknownProject", func(t *testing.T) {
			var fail hubapi.FailResponse
			h.JSON(t, "GET", "/v2/export?project=nope", h.AdminKey, nil, http.StatusNotFound, &fail)
			require.Equal(t, hubapi.FailResponse{Status: "fail", Message: `project "nope" not found`, Code: "not_found"}, fail)
		})
	})
}

func TestV2_UploadAndSignedURL(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	p := createProject(t, h, h.AdminKey, map[string]any{"name": "p"})

	var up v2[hubapi.V2UploadURLResponse]
	h.JSON(t, "GET", "/v2/getUploadUrl?name=result.zip&project="+p.ID+"&type=exports", h.AdminKey, nil, http.StatusOK, &up)
	require.True(t, strings.HasPrefix(up.Data.UploadURL, h.URL+"/blob/orgs/"+h.OrgID+"/projects/"+p.ID+"/exports/"))
	payload := []byte("PK zip bytes")
	require.Equal(t, http.StatusOK, httpPut(t, up.Data.UploadURL, payload))

	// The Python SDK pastes the upload URL, query string included, into
	// getSignedUrl without escaping it.
	var signed v2[hubapi.V2SignedURLResponse]
	h.JSON(t, "GET", "/v2/getSignedUrl?name="+up.Data.UploadURL+"&project="+p.ID+"&type=exports", h.AdminKey, nil, http.StatusOK, &signed)
	status, body := httpGet(t, signed.Data.SignedURL)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, payload, body)

	bare, _, _ := strings.Cut(up.Data.UploadURL, "?")
	h.JSON(t, "GET", "/v2/getSignedUrl?name="+url.QueryEscape(bare), h.AdminKey, nil, http.StatusOK, &signed)

	t.Run("TamperedURL", func(t *testing.T) {
		status, _ := httpGet(t, strings.Replace(signed.Data.SignedURL, "sig=", "sig=x", 1))
		require.Equal(t, http.StatusForbidden, status)
	})
	t.Run("UploadURLNotForGet", func(t *testing.T) {
		status, _ := httpGet(t, up.Data.UploadURL)
		require.Equal(t, http.StatusForbidden, status)
	})
	t.Run("Validation", func(t *testing.T) {
		tests := []struct {
			name, query, msg string
			status           int
		}{
			{"NoName", "/v2/getUploadUrl?project=" + p.ID, "query parameter name is required", 400},
			{"NoProject", "/v2/getUploadUrl?name=a.zip", "query parameter project is required", 400},
			{"BadType", "/v2/getUploadUrl?name=a.zip&project=" + p.ID + "&type=videos", `query parameter type "videos" is not one of exports, assets, brushes, medicalBrushes, instructions`, 400},
			{"UnknownStorage", "/v2/getUploadUrl?name=a.zip&project=" + p.ID + "&storageId=nope", `storage "nope" not found`, 404},
			{"SignedNotOurs", "/v2/getSignedUrl?name=" + url.QueryEscape("https://elsewhere.test/x.zip"), "", 400},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var fail hubapi.FailResponse
				h.JSON(t, "GET", tt.query, h.AdminKey, nil, tt.status, &fail)
				if tt.msg != "" {
					require.Equal(t, tt.msg, fail.Message)
				}
			})
		}
	})
}

func TestV2_ProjectAndStorages(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		h := hubtest.Start(t, &hubtest.Options{Backend: b})
		p := createProject(t, h, h.AdminKey, map[string]any{"name": "p", "description": "d", "batches": []string{"b1"},
			"categorySchema": map[string]any{"tools": []any{}}})
		var res v2[hubapi.V2ProjectResponse]
		h.JSON(t, "GET", "/v2/project/"+p.ID, h.AdminKey, nil, http.StatusOK, &res)
		require.Equal(t, p.ID, res.Data.Project.ID)
		require.Equal(t, []hubapi.V2Batch{{ID: p.Batches[0].ID, Name: "b1"}}, res.Data.Project.Batches)
		require.Len(t, res.Data.Project.Stages, 3)
		require.JSONEq(t, `{"tools":[],"classifications":[],"relations":[]}`, string(res.Data.Project.CategorySchema),
			"Ango's schema always has tools, classifications and relations")

		var sts v2[hubapi.V2StoragesResponse]
		h.JSON(t, "GET", "/v2/storages", h.AdminKey, nil, http.StatusOK, &sts)
		require.Equal(t, []hubapi.V2Storage{}, sts.Data.Storages)
	})
}

// TestV2_Export_S3Blob runs the hub on an S3 bucket (versitygw) and
// PostgreSQL: the scale-out configuration.
func TestV2_Export_S3Blob(t *testing.T) {
	t.Parallel()
	s3 := blobtest.StartS3(t)
	bucket := s3.CreateBucket(t)
	h := hubtest.Start(t, &hubtest.Options{Backend: hubtest.Postgres, Configure: func(c *hub.Config) {
		c.BlobURL = "s3://" + bucket + "?endpoint=" + url.QueryEscape(s3.Endpoint) + "&region=" + blobtest.S3Region + "&use_path_style=true"
		c.BlobAccessKeyID, c.BlobSecretAccessKey = s3.AccessKey, s3.SecretKey
	}})
	h.JSON(t, "GET", "/healthz", "", nil, http.StatusOK, nil)
	p := createProject(t, h, h.AdminKey, map[string]any{"name": "scaled"})
	h.JSON(t, "POST", "/api/projects/"+p.ID+"/import", h.AdminKey, ndjson(t, manyAssets(5)...), http.StatusOK, nil)

	var res v2[hubapi.V2ExportResponse]
	h.JSON(t, "GET", "/v2/export?project="+p.ID+"&format=ndjson", h.AdminKey, nil, http.StatusOK, &res)
	require.True(t, strings.HasPrefix(res.Data.ExportPath, s3.Endpoint+"/"), "S3's own presigned URL: %s", res.Data.ExportPath)
	status, body := httpGet(t, res.Data.ExportPath)
	require.Equal(t, http.StatusOK, status, "%s", body)
	entries := readZip(t, body)
	require.Equal(t, 5, bytes.Count(entries["scaled.ndjson"], []byte("\n")))
	require.Len(t, s3.ObjectKeys(t, bucket), 1)
}

// TestV2_SDKCallsNotServed checks the SDK calls that change a project or
// its people, which this hub does not serve (docs/plugins-and-runs.md,
// the compatibility table): each answers 404 naming the endpoint, never
// a silent success.
func TestV2_SDKCallsNotServed(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	p := createProject(t, h, h.AdminKey, map[string]any{"name": "p"})
	tests := []struct {
		call, method, path string
	}{
		{"create_project", "POST", "/v2/project"},
		{"update_workflow_stages, create_label_set", "POST", "/v2/project/" + p.ID},
		{"delete_project", "DELETE", "/v2/project/" + p.ID},
		{"create_batch, create_batches", "POST", "/v2/batches/" + p.ID},
		{"assign_batches", "POST", "/v2/assignBatches"},
		{"assign_task", "POST", "/v2/task/assign"},
		{"add_members_to_project", "POST", "/v2/project/" + p.ID + "/assigned"},
		{"import_labels", "POST", "/v2/import/labels"},
		{"create_attachment", "POST", "/v2/attachments"},
		{"get_task_history by history id", "GET", "/v2/taskHistory/65f0a1b2c3d4e5f600000001"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			var fail hubapi.FailResponse
			h.JSON(t, tt.method, tt.path, h.AdminKey, map[string]any{}, http.StatusNotFound, &fail)
			require.Equal(t, "no such endpoint: "+tt.method+" "+tt.path, fail.Message, tt.call)
		})
	}
}
