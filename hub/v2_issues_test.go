package hub_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/store"
)

// issueExport is an Ango issue export on the tasks of the sample (and
// one task the sample lacks).
const issueExport = "testdata/issues/ango_issues.json"

// importIssues imports the issue export into project p with the admin's
// key.
func importIssues(t *testing.T, h *hubtest.Hub, projectID string, body []byte, want int) []byte {
	t.Helper()
	return h.JSON(t, "POST", "/api/projects/"+projectID+"/issues/import", h.AdminKey, body, want, nil)
}

// zipOf returns a zip whose first entry, name, holds content.
func zipOf(t *testing.T, name string, content []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	require.NoError(t, err)
	_, err = w.Write(content)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// runToken issues a run token of project projectID.
func runToken(t *testing.T, h *hubtest.Hub, projectID string) string {
	t.Helper()
	exp := time.Now().Add(time.Hour)
	token, _, err := h.Server.IssueKey(context.Background(), &hub.IssueKeyParams{OrgID: h.OrgID, UserID: h.AdminID, Name: "run",
		ProjectID: projectID, RunID: store.NewID(), ExpiresAt: &exp})
	require.NoError(t, err)
	return token
}

// TestV2_IssuesGolden checks the issue shapes against golden files: the
// listing, a created issue, a comment, the issue export's first entry.
func TestV2_IssuesGolden(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	p := sampleProject(t, h, "Street scenes")
	body, err := os.ReadFile(issueExport)
	require.NoError(t, err)
	var imp hubapi.IssueImportResponse
	require.NoError(t, json.Unmarshal(importIssues(t, h, p.ID, body, http.StatusOK), &imp))
	require.Equal(t, hubapi.IssueImportResponse{Imported: 4, Inserted: 4}, imp)
	names := sampleNames(t, h, p)
	times := sampleTimes(t)
	for _, m := range timeRE.FindAll(body, -1) {
		times = append(times, string(bytes.Trim(m, `"`)))
	}

	v2Golden(t, h, "issues", "/v2/issues?project="+p.ID, names, times...)
	v2Golden(t, h, "issues_filtered", "/v2/issues?project="+p.ID+"&labelTask=65f0a1b2c3d4e5f600000001&stage=QA+Review&status=Open",
		names, times...)

	var created v2[hubapi.V2IssueResponse]
	h.JSON(t, "POST", "/v2/issues", h.AdminKey, map[string]any{"content": "Box too loose", "labelTask": "65f0a1b2c3d4e5f600000003",
		"position": "[10.5, 20]", "objectId": "img3-obj-1", "errorCodes": []any{map[string]any{"key": "BOX-LOOSE", "name": "Loose box",
			"category": "Geometry"}}, "contentMentions": []any{map[string]any{"userEmail": "labeler.two@example.com"}}},
		http.StatusOK, &created)
	var c struct {
		ID string `json:"_id"`
	}
	require.NoError(t, json.Unmarshal(created.Data.Issue, &c))
	names[c.ID] = "<new issue id>"
	v2GoldenBody(t, "issue_created", created.Data.Issue, names)

	var commented v2[hubapi.V2IssueResponse]
	h.JSON(t, "POST", "/v2/issues/"+c.ID+"/comment", h.AdminKey, map[string]any{"content": "Fixed"}, http.StatusOK, &commented)
	var cm struct {
		Comments []struct {
			ID string `json:"_id"`
		} `json:"comments"`
	}
	require.NoError(t, json.Unmarshal(commented.Data.Issue, &cm))
	names[cm.Comments[0].ID] = "<comment id>"
	v2GoldenBody(t, "issue_commented", commented.Data.Issue, names)

	var exp v2[hubapi.V2ExportResponse]
	h.JSON(t, "GET", "/v2/export?project="+p.ID+"&type=issue&stage=%5B%22Complete%22%5D", h.AdminKey, nil, http.StatusOK, &exp)
	require.EqualValues(t, 5, exp.Data.NumTasks, "every issue of the project, whatever the task filters")
	status, zipped := httpGet(t, exp.Data.ExportPath)
	require.Equal(t, http.StatusOK, status)
	entries := readZip(t, zipped)
	require.Len(t, entries, 1)
	entry, ok := entries["Street_scenes-issues.json"]
	require.True(t, ok, "the zip's first entry is the issue export; got %v", entries)
	var arr []json.RawMessage
	require.NoError(t, json.Unmarshal(entry, &arr), "a JSON array")
	v2GoldenBody(t, "issue_export", entry, names, times...)

	h.JSON(t, "GET", "/v2/export?project="+p.ID+"&type=issue&format=ndjson", h.AdminKey, nil, http.StatusOK, &exp)
	_, zipped = httpGet(t, exp.Data.ExportPath)
	nd := readZip(t, zipped)["Street_scenes-issues.ndjson"]
	require.Equal(t, 5, bytes.Count(nd, []byte("\n")), "NDJSON: one issue a line")
}

// v2GoldenBody compares a JSON body, indented and with names and the
// hub's times replaced, with testdata/v2/NAME.json.
func v2GoldenBody(t *testing.T, name string, body []byte, names map[string]string, keep ...string) {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, json.Indent(&out, body, "", "  "))
	got := out.String()
	for value, placeholder := range names {
		got = string(bytes.ReplaceAll([]byte(got), []byte(value), []byte(placeholder)))
	}
	got = timeRE.ReplaceAllStringFunc(got, func(s string) string {
		for _, k := range keep {
			if s == `"`+k+`"` {
				return s
			}
		}
		return `"<time>"`
	}) + "\n"
	file := filepath.Join("testdata", "v2", name+".json")
	if *updateGolden {
		require.NoError(t, os.WriteFile(file, []byte(got), 0o644))
	}
	want, err := os.ReadFile(file)
	require.NoError(t, err, "run go test -update to write %s", file)
	require.Equal(t, string(want), got, "%s differs", file)
}

// TestV2_Issues checks the issue endpoints' rules through the API on both
// backends: updates, deletes, run tokens, errors.
func TestV2_Issues(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		h := hubtest.Start(t, &hubtest.Options{Backend: b})
		p := sampleProject(t, h, "issues")
		body, err := os.ReadFile(issueExport)
		require.NoError(t, err)
		importIssues(t, h, p.ID, body, http.StatusOK)
		_, memberKey := h.NewUser(t, h.OrgID, store.RoleMember)
		token := runToken(t, h, p.ID)
		const issue = "66a0b1c2d3e4f50000000101"

		t.Run("ListAsPlugin", func(t *testing.T) {
			var res v2[hubapi.V2IssueListResponse]
			h.JSON(t, "GET", "/v2/issues?labelTask=65f0a1b2c3d4e5f600000001", token, nil, http.StatusOK, &res)
			require.EqualValues(t, 2, res.Data.Total, "a run token lists its project's issues without project=")
			h.JSON(t, "GET", "/v2/issues?project="+p.ID+"&createdBy=lead%40example.com&page=1&limit=1", memberKey, nil, http.StatusOK, &res)
			require.Len(t, res.Data.Issue, 1)
			require.EqualValues(t, 1, res.Data.Total)
			var asset v2[hubapi.V2AssetsResponse]
			h.JSON(t, "GET", "/v2/project/"+p.ID+"/assets?externalId=street-001.jpg", token, nil, http.StatusOK, &asset)
			h.JSON(t, "GET", "/v2/issues?project="+p.ID+"&asset="+asset.Data.Assets[0].ID, token, nil, http.StatusOK, &res)
			require.EqualValues(t, 2, res.Data.Total, "issues of an asset")
		})

		t.Run("UpdateStatusByAnyone", func(t *testing.T) {
			var res v2[hubapi.V2IssueResponse]
			h.JSON(t, "POST", "/v2/issues/"+issue, token, map[string]any{"status": "Resolved"}, http.StatusOK, &res)
			require.Contains(t, string(res.Data.Issue), `"status":"Resolved"`)
			var fail hubapi.FailResponse
			h.JSON(t, "POST", "/v2/issues/"+issue, memberKey, map[string]any{"content": "mine"}, http.StatusForbidden, &fail)
			require.Equal(t, "forbidden", fail.Code)
			require.Contains(t, fail.Message, "only the issue's author (reviewer.one@example.com) or an organization admin")
			h.JSON(t, "POST", "/v2/issues/"+issue, h.AdminKey, map[string]any{"content": "clearer"}, http.StatusOK, &res)
			h.JSON(t, "POST", "/v2/issues/"+issue, memberKey, map[string]any{"status": "Done"}, http.StatusBadRequest, &fail)
			require.Equal(t, `status "Done" is not one of Open, Resolved, Closed`, fail.Message)
		})

		t.Run("CreateErrors", func(t *testing.T) {
			var fail hubapi.FailResponse
			h.JSON(t, "POST", "/v2/issues", token, map[string]any{"content": "x"}, http.StatusBadRequest, &fail)
			require.Equal(t, "labelTask is required: the id of the task the issue is on", fail.Message)
			h.JSON(t, "POST", "/v2/issues", token, map[string]any{"content": "x", "labelTask": "nope"}, http.StatusNotFound, &fail)
			require.Equal(t, "labelTask nope: no such task", fail.Message)
			h.JSON(t, "POST", "/v2/issues", token, `{"content": `, http.StatusBadRequest, &fail)
			require.Equal(t, "invalid_json", fail.Code)
		})

		t.Run("Delete", func(t *testing.T) {
			var fail hubapi.FailResponse
			h.JSON(t, "DELETE", "/v2/issues/66a0b1c2d3e4f50000000104", h.AdminKey, nil, http.StatusBadRequest, &fail)
			require.Equal(t, "project is required: the issue's project", fail.Message)
			h.JSON(t, "DELETE", "/v2/issues/66a0b1c2d3e4f50000000104?project="+p.ID, token, nil, http.StatusForbidden, &fail)
			h.JSON(t, "DELETE", "/v2/issues/66a0b1c2d3e4f50000000104?project="+p.ID, memberKey, nil, http.StatusForbidden, &fail)
			var ok v2[hubapi.V2MessageResponse]
			h.JSON(t, "DELETE", "/v2/issues/66a0b1c2d3e4f50000000104?project="+p.ID, h.AdminKey, nil, http.StatusOK, &ok)
			require.Equal(t, "issue 66a0b1c2d3e4f50000000104 deleted", ok.Data.Message)
			h.JSON(t, "DELETE", "/v2/issues/66a0b1c2d3e4f50000000104?project="+p.ID, h.AdminKey, nil, http.StatusNotFound, &fail)
		})

		t.Run("ImportErrors", func(t *testing.T) {
			var fail hubapi.FailResponse
			h.JSON(t, "POST", "/api/projects/"+p.ID+"/issues/import", h.AdminKey, body, http.StatusConflict, &fail)
			require.Contains(t, fail.Message, `nothing was imported: issue 1: id "66a0b1c2d3e4f50000000101" is already an issue of the organization`)
			h.JSON(t, "POST", "/api/projects/"+p.ID+"/issues/import?mode=upsert", h.AdminKey, zipOf(t, "issues.json", body), http.StatusOK, nil)
			h.JSON(t, "POST", "/api/projects/"+p.ID+"/issues/import", h.AdminKey, `[{"_id": "x"}]`, http.StatusBadRequest, &fail)
			require.Equal(t, `issue 1 (_id "x"): labelTask is required: the id of the task the issue is on`, fail.Message)
			h.JSON(t, "POST", "/api/projects/"+p.ID+"/issues/import", token, body, http.StatusForbidden, &fail)
			h.JSON(t, "POST", "/api/projects/"+p.ID+"/issues/import?mode=merge", h.AdminKey, body, http.StatusBadRequest, &fail)
			require.Equal(t, `mode "merge" is not one of append, upsert`, fail.Message)
		})

		t.Run("OtherProjectsToken", func(t *testing.T) {
			other := createProject(t, h, h.AdminKey, map[string]any{"name": "other"})
			tok := runToken(t, h, other.ID)
			var fail hubapi.FailResponse
			h.JSON(t, "GET", "/v2/issues?project="+p.ID, tok, nil, http.StatusNotFound, &fail)
			h.JSON(t, "POST", "/v2/issues/"+issue, tok, map[string]any{"status": "Open"}, http.StatusNotFound, &fail)
			h.JSON(t, "POST", "/v2/issues/"+issue+"/comment", tok, map[string]any{"content": "x"}, http.StatusNotFound, &fail)
			h.JSON(t, "POST", "/v2/issues", tok, map[string]any{"content": "x", "labelTask": "65f0a1b2c3d4e5f600000001"}, http.StatusNotFound, &fail)
			var exp v2[hubapi.V2ExportResponse]
			h.JSON(t, "GET", "/v2/export?type=issue&project="+url.QueryEscape(p.ID), tok, nil, http.StatusNotFound, &exp)
		})
	})
}
