package hub_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/store"
)

// TestServer_OrgIsolation calls every endpoint that names a resource with
// organization B's admin key on organization A's resources: each must
// answer 404 (never 403, so nothing leaks), and A's resources must be
// intact afterwards.
func TestServer_OrgIsolation(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		h := hubtest.Start(t, &hubtest.Options{Backend: b})
		orgB := h.NewOrg(t, "Bravo")
		keyA, keyB := h.AdminKey, orgB.AdminKey

		pa := createProject(t, h, keyA, map[string]any{"name": "alpha"})
		h.JSON(t, "POST", "/api/projects/"+pa.ID+"/import", keyA, ndjson(t, manyAssets(3)...), http.StatusOK, nil)
		h.JSON(t, "POST", "/api/projects/"+pa.ID+"/issues/import", keyA, `[{"_id": "issue-a", "labelTask": "task-ext-0", "content": "a"}]`,
			http.StatusOK, nil)
		pb := createProject(t, h, keyB, map[string]any{"name": "bravo"})
		var sa hubapi.StorageResponse
		h.JSON(t, "POST", "/api/storages", keyA, map[string]any{"name": "a-bucket", "endpoint": "http://127.0.0.1:9", "bucket": "a",
			"accessKey": "ak", "secretKey": "sk", "skipCheck": true}, http.StatusCreated, &sa)
		userA, _ := h.NewUser(t, h.OrgID, store.RoleMember)
		var ka hubapi.KeyCreateResponse
		h.JSON(t, "POST", "/api/keys", keyA, map[string]any{"name": "a"}, http.StatusCreated, &ka)
		var upA v2[hubapi.V2UploadURLResponse]
		h.JSON(t, "GET", "/v2/getUploadUrl?name=a.zip&project="+pa.ID, keyA, nil, http.StatusOK, &upA)

		tests := []struct {
			name   string
			method string
			path   string
			body   any
		}{
			{"ProjectGet", "GET", "/api/projects/" + pa.ID, nil},
			{"ProjectUpdate", "PATCH", "/api/projects/" + pa.ID, map[string]any{"name": "stolen"}},
			{"ProjectDelete", "DELETE", "/api/projects/" + pa.ID, nil},
			{"ProjectImport", "POST", "/api/projects/" + pa.ID + "/import", ndjson(t, testAsset("evil", "Label"))},
			{"ProjectExport", "GET", "/api/projects/" + pa.ID + "/export", nil},
			{"UserDelete", "DELETE", "/api/users/" + userA, nil},
			{"KeyRevoke", "DELETE", "/api/keys/" + ka.ID, nil},
			{"StorageGet", "GET", "/api/storages/" + sa.ID, nil},
			{"StorageDelete", "DELETE", "/api/storages/" + sa.ID, nil},
			{"V2Export", "GET", "/v2/export?project=" + pa.ID, nil},
			{"V2Project", "GET", "/v2/project/" + pa.ID, nil},
			{"V2UploadURL", "GET", "/v2/getUploadUrl?name=x.zip&project=" + pa.ID, nil},
			{"V2UploadURLForeignStorage", "GET", "/v2/getUploadUrl?name=x.zip&project=" + pb.ID + "&storageId=" + sa.ID, nil},
			{"V2SignedURLForeignObject", "GET", "/v2/getSignedUrl?name=" + upA.Data.UploadURL, nil},
			{"V2SignedURLForeignProject", "GET", "/v2/getSignedUrl?name=" + url.QueryEscape(upA.Data.UploadURL) + "&project=" + pa.ID, nil},
			{"V2SignedURLForeignStorage", "GET", "/v2/getSignedUrl?name=x&storageId=" + sa.ID, nil},
			{"V2StorageByID", "GET", "/v2/storages?_id=" + sa.ID, nil},
			{"V2Assets", "GET", "/v2/project/" + pa.ID + "/assets", nil},
			{"V2Tasks", "GET", "/v2/project/" + pa.ID + "/tasks", nil},
			{"V2Task", "GET", "/v2/task/task-ext-0", nil},
			{"V2TaskHistory", "GET", "/v2/task/task-ext-0/history", nil},
			{"V2Overview", "GET", "/v2/" + pa.ID + "/overview/LabelStageGroups", nil},
			{"V2Issues", "GET", "/v2/issues?project=" + pa.ID, nil},
			{"V2IssueCreate", "POST", "/v2/issues", map[string]any{"content": "x", "labelTask": "task-ext-0"}},
			{"V2IssueUpdate", "POST", "/v2/issues/issue-a", map[string]any{"status": "Resolved"}},
			{"V2IssueComment", "POST", "/v2/issues/issue-a/comment", map[string]any{"content": "x"}},
			{"V2IssueDelete", "DELETE", "/v2/issues/issue-a?project=" + pa.ID, nil},
			{"V2IssueExport", "GET", "/v2/export?type=issue&project=" + pa.ID, nil},
			{"ProjectIssueImport", "POST", "/api/projects/" + pa.ID + "/issues/import", `[]`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var fail hubapi.FailResponse
				h.JSON(t, tt.method, tt.path, keyB, tt.body, http.StatusNotFound, &fail)
				require.Equal(t, "not_found", fail.Code)
				if !strings.Contains(tt.path, pa.ID) {
					// Only an id the caller sent may come back.
					require.NotContains(t, fail.Message, pa.ID)
				}
			})
		}

		t.Run("ListsShowOnlyOwnOrg", func(t *testing.T) {
			for _, path := range []string{"/api/projects", "/api/storages", "/api/users", "/api/keys", "/v2/storages", "/v2/listProjects"} {
				body := string(h.JSON(t, "GET", path, keyB, nil, http.StatusOK, nil))
				for _, foreign := range []string{pa.ID, sa.ID, userA, ka.ID, h.AdminID} {
					require.NotContains(t, body, foreign, "GET %s with org B's key", path)
				}
			}
		})
		t.Run("OrgAIntact", func(t *testing.T) {
			var got hubapi.ProjectResponse
			h.JSON(t, "GET", "/api/projects/"+pa.ID, keyA, nil, http.StatusOK, &got)
			require.Equal(t, "alpha", got.Name)
			require.EqualValues(t, 3, got.Counts.Total)
			h.JSON(t, "GET", "/api/storages/"+sa.ID, keyA, nil, http.StatusOK, nil)
			h.JSON(t, "GET", "/api/me", ka.Key, nil, http.StatusOK, nil)
		})
	})
}

// TestServer_RunTokenScope checks that a run token reaches its own
// project's /v2 endpoints and nothing else.
func TestServer_RunTokenScope(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		h := hubtest.Start(t, &hubtest.Options{Backend: b})
		ctx := context.Background()
		own := createProject(t, h, h.AdminKey, map[string]any{"name": "own"})
		other := createProject(t, h, h.AdminKey, map[string]any{"name": "other"})
		h.JSON(t, "POST", "/api/projects/"+own.ID+"/import", h.AdminKey, ndjson(t, manyAssets(2)...), http.StatusOK, nil)
		h.JSON(t, "POST", "/api/projects/"+other.ID+"/import", h.AdminKey, ndjson(t, testAsset("other-0", "Label")), http.StatusOK, nil)
		exp := time.Now().Add(time.Hour)
		runID := store.NewID()
		token, _, err := h.Server.IssueKey(ctx, &hub.IssueKeyParams{OrgID: h.OrgID, UserID: h.AdminID, Name: "run",
			ProjectID: own.ID, RunID: runID, ExpiresAt: &exp})
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(token, "ehr_"))
		var otherUp v2[hubapi.V2UploadURLResponse]
		h.JSON(t, "GET", "/v2/getUploadUrl?name=o.zip&project="+other.ID, h.AdminKey, nil, http.StatusOK, &otherUp)

		allowed := []string{
			"/v2/project/" + own.ID,
			"/v2/export?project=" + own.ID + "&format=ndjson",
			"/v2/getUploadUrl?name=r.zip&project=" + own.ID + "&type=exports",
			"/v2/getUploadUrl?name=r.zip",
			"/v2/storages",
			"/v2/project/" + own.ID + "/assets",
			"/v2/project/" + own.ID + "/tasks",
			"/v2/task/task-ext-0",
			"/v2/task/task-ext-0/history",
			"/v2/" + own.ID + "/overview/AssetSize",
			"/v2/listProjects",
		}
		for _, path := range allowed {
			h.JSON(t, "GET", path, token, nil, http.StatusOK, nil)
		}
		var listed v2[hubapi.V2ProjectListResponse]
		h.JSON(t, "GET", "/v2/listProjects", token, nil, http.StatusOK, &listed)
		require.Equal(t, 1, listed.Data.Total, "a run token lists its own project only")
		require.Equal(t, own.ID, listed.Data.Projects[0].ID)
		notFound := []string{
			"/v2/project/" + other.ID,
			"/v2/export?project=" + other.ID,
			"/v2/getUploadUrl?name=r.zip&project=" + other.ID,
			"/v2/getSignedUrl?name=" + url.QueryEscape(otherUp.Data.UploadURL),
			"/v2/project/" + other.ID + "/assets",
			"/v2/project/" + other.ID + "/tasks",
			"/v2/task/task-other-0",
			"/v2/task/task-other-0/history",
			"/v2/" + other.ID + "/overview/AssetSize",
		}
		for _, path := range notFound {
			h.JSON(t, "GET", path, token, nil, http.StatusNotFound, nil)
		}
		forbidden := []struct{ method, path string }{
			{"GET", "/api/projects"},
			{"GET", "/api/projects/" + own.ID},
			{"GET", "/api/projects/" + own.ID + "/export"},
			{"POST", "/api/projects/" + own.ID + "/import"},
			{"GET", "/api/keys"},
			{"POST", "/api/keys"},
			{"GET", "/api/me"},
			{"GET", "/api/users"},
			{"POST", "/api/storages"},
		}
		for _, f := range forbidden {
			var fail hubapi.FailResponse
			h.JSON(t, f.method, f.path, token, "{}", http.StatusForbidden, &fail)
			require.Equal(t, "a run token may only call the /v2 endpoints of its own project and run", fail.Message, "%s %s", f.method, f.path)
		}

		require.NoError(t, h.Server.Store().APIKeyRevokeForRun(ctx, runID, time.Now()))
		h.JSON(t, "GET", "/v2/project/"+own.ID, token, nil, http.StatusUnauthorized, nil)
	})
}
