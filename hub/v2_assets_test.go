package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/store"
)

// sampleNDJSON is the AAF sample of the /v2 listings: 3 image assets (two
// in Complete with a stage history, one in Label) without assetIds.
const sampleNDJSON = "../aaf/testdata/image_small.ndjson"

// legacySample is one legacy asset (tasks/objects, two tasks, no stage).
const legacySample = "../aaf/testdata/legacy_v2_small.json"

// sampleTimes returns the times written in the samples, which the
// golden files keep (the hub's own times become placeholders).
func sampleTimes(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, f := range []string{sampleNDJSON, legacySample} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range timeRE.FindAll(b, -1) {
			out = append(out, strings.Trim(string(m), `"`))
		}
	}
	return out
}

// sampleProject creates a project with a review stage and imports the
// samples (3 v3 assets, then the legacy one).
func sampleProject(t *testing.T, h *hubtest.Hub, name string) *hubapi.ProjectResponse {
	t.Helper()
	p := createProject(t, h, h.AdminKey, map[string]any{"name": name, "stages": []any{
		map[string]any{"id": "Label", "name": "Label", "type": "Label", "position": map[string]any{"x": 100, "y": 0}},
		map[string]any{"id": "5c0ffee0-1111-4222-8333-944445555666", "name": "QA Review", "type": "Review",
			"position": map[string]any{"x": 200, "y": 0}},
	}})
	for _, f := range []string{sampleNDJSON, legacySample} {
		body, err := os.ReadFile(f)
		require.NoError(t, err)
		h.JSON(t, "POST", "/api/projects/"+p.ID+"/import", h.AdminKey, string(body), http.StatusOK, nil)
	}
	var out hubapi.ProjectResponse
	h.JSON(t, "GET", "/api/projects/"+p.ID, h.AdminKey, nil, http.StatusOK, &out)
	return &out
}

// v2AssetPage returns GET /v2/project/{id}/assets?query.
func v2AssetPage(t *testing.T, h *hubtest.Hub, key, projectID, query string) *hubapi.V2AssetsResponse {
	t.Helper()
	var res v2[hubapi.V2AssetsResponse]
	h.JSON(t, "GET", "/v2/project/"+projectID+"/assets?"+query, key, nil, http.StatusOK, &res)
	require.Equal(t, "success", res.Status)
	return &res.Data
}

// sampleNames returns the placeholders of a sample project's ids for the
// golden files.
func sampleNames(t *testing.T, h *hubtest.Hub, p *hubapi.ProjectResponse) map[string]string {
	t.Helper()
	names := map[string]string{p.ID: "<project id>", h.OrgID: "<org id>"}
	for _, b := range p.Batches {
		names[b.ID] = "<batch " + b.Name + " id>"
	}
	for _, a := range v2AssetPage(t, h, h.AdminKey, p.ID, "limit=100").Assets {
		names[a.ID] = "<asset " + a.ExternalID + " id>"
	}
	return names
}

// TestV2_ListingsGolden checks every /v2 listing of issue 10 against its
// golden shape: assets, tasks, a task, its history, projects, metrics.
func TestV2_ListingsGolden(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	p := sampleProject(t, h, "Street scenes")
	names := sampleNames(t, h, p)
	history := map[string]string{}
	var hist v2[hubapi.V2TaskHistoryResponse]
	h.JSON(t, "GET", "/v2/task/65f0a1b2c3d4e5f600000001/history", h.AdminKey, nil, http.StatusOK, &hist)
	for i, e := range hist.Data.TaskHistory {
		history[e.ID] = fmt.Sprintf("<history %d id>", i)
	}
	for k, v := range history {
		names[k] = v
	}
	times := sampleTimes(t)

	v2Golden(t, h, "assets", "/v2/project/"+p.ID+"/assets?page=1&limit=10", names, times...)
	v2Golden(t, h, "tasks", "/v2/project/"+p.ID+"/tasks?page=1&limit=10&sort=-externalId", names, times...)
	v2Golden(t, h, "tasks_fields", "/v2/project/"+p.ID+"/tasks?limit=2&fields=externalId,stage,status&status%5Beq%5D=Completed",
		names, times...)
	v2Golden(t, h, "task", "/v2/task/65f0a1b2c3d4e5f600000002", names, times...)
	v2Golden(t, h, "task_history", "/v2/task/65f0a1b2c3d4e5f600000001/history", names, times...)
	v2Golden(t, h, "task_legacy", "/v2/task/6362a0b1c2d3e4f500000301?includeAnswer=false", names, times...)
	v2Golden(t, h, "list_projects", "/v2/listProjects?page=1&limit=10", names, times...)
	v2Golden(t, h, "overview_label_stage_groups", "/v2/"+p.ID+"/overview/LabelStageGroups", names)
	v2Golden(t, h, "overview_asset_size", "/v2/"+p.ID+"/overview/AssetSize", names)
}

// TestV2_Assets checks paging and filtering GET /v2/project/{id}/assets
// on both backends.
func TestV2_Assets(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		h := hubtest.Start(t, &hubtest.Options{Backend: b})
		p := createProject(t, h, h.AdminKey, map[string]any{"name": "pages", "batches": []string{"b1", "b2", "b3"}})
		assets := manyAssets(25)
		for i, a := range assets {
			if i%5 == 0 {
				a["batches"] = []string{"b1", "b3"}
			}
			if i%4 == 0 {
				a["task"].(map[string]any)["tools"] = []any{} // not pre-labeled
			}
		}
		h.JSON(t, "POST", "/api/projects/"+p.ID+"/import", h.AdminKey, ndjson(t, assets...), http.StatusOK, nil)
		batchID := map[string]string{}
		for _, bt := range p.Batches {
			batchID[bt.Name] = bt.ID
		}

		t.Run("PagesUntilTotal", func(t *testing.T) {
			// As plugins do: page from 1 until total assets are read.
			var got []string
			seen := map[string]bool{}
			for page := 1; ; page++ {
				res := v2AssetPage(t, h, h.AdminKey, p.ID, fmt.Sprintf("page=%d&limit=10", page))
				require.EqualValues(t, 25, res.Total)
				for _, a := range res.Assets {
					require.False(t, seen[a.ID], "asset %s twice", a.ID)
					seen[a.ID] = true
					got = append(got, a.ExternalID)
				}
				if len(got) >= int(res.Total) || len(res.Assets) == 0 {
					break
				}
			}
			want := make([]string, 25)
			for i := range want {
				want[i] = fmt.Sprintf("ext-%d", i)
			}
			require.Equal(t, want, got, "pages follow the import order")
			again := v2AssetPage(t, h, h.AdminKey, p.ID, "page=2&limit=10")
			require.Equal(t, got[10:20], externalIDsOf(again.Assets), "the order is stable")
			require.Empty(t, v2AssetPage(t, h, h.AdminKey, p.ID, "page=4&limit=10").Assets, "past the end: an empty page")
			require.Len(t, v2AssetPage(t, h, h.AdminKey, p.ID, "").Assets, 10, "limit defaults to 10")
		})

		t.Run("Shape", func(t *testing.T) {
			a := v2AssetPage(t, h, h.AdminKey, p.ID, "limit=1").Assets[0]
			require.Regexp(t, `^[0-9a-f]{24}$`, a.ID)
			require.Equal(t, "https://assets.example.test/ext-0", a.Data)
			require.Equal(t, []string{batchID["b1"], batchID["b3"]}, a.Batches, "batches are ids")
			require.JSONEq(t, `{"width":640,"height":480}`, string(a.Metadata))
			require.Len(t, a.LabelTasks, 1)
			require.Equal(t, "task-ext-0", a.LabelTasks[0].ID, "the task id is the AAF's taskId")
			require.Equal(t, "Label", a.LabelTasks[0].Stage)
			require.Equal(t, []hubapi.V2StageHistory{}, a.LabelTasks[0].StageHistory, "no history in the AAF: none invented")
			require.False(t, a.IsPreLabeled)
			first := v2AssetPage(t, h, h.AdminKey, p.ID, "limit=1")
			require.Equal(t, a.ID, first.Assets[0].ID, "ids are stable")
		})

		filters := []struct {
			name    string
			query   string
			want    []string
			wantAll int
		}{
			{"ID", "filters=" + url.QueryEscape(`{"externalId":"ext-3"}`), []string{"ext-3"}, 1},
			{"ExternalIDList", "filters=" + url.QueryEscape(`{"externalId":{"$in":["ext-3","ext-7","nope"]}}`), []string{"ext-3", "ext-7"}, 2},
			{"PlainExternalID", "externalId=ext-9", []string{"ext-9"}, 1},
			{"PreLabeled", "limit=3&filters=" + url.QueryEscape(`{"isPreLabeled":false}`), []string{"ext-0", "ext-4", "ext-8"}, 7},
			{"BatchesAllMustMatch", "filters=" + url.QueryEscape(`{"batches":["b1","b3"]}`), []string{"ext-0", "ext-5", "ext-10", "ext-15", "ext-20"}, 5},
			{"BatchesByID", "limit=2&filters=" + url.QueryEscape(`{"batches":["`+batchID["b3"]+`"]}`), []string{"ext-0", "ext-5"}, 5},
			{"BatchesAndPreLabeled", "filters=" + url.QueryEscape(`{"batches":["b3"],"isPreLabeled":true}`), []string{"ext-5", "ext-10", "ext-15"}, 3},
			{"NullFilters", "limit=1&filters=null", []string{"ext-0"}, 25},
		}
		for _, tt := range filters {
			t.Run("Filter"+tt.name, func(t *testing.T) {
				res := v2AssetPage(t, h, h.AdminKey, p.ID, tt.query)
				require.Equal(t, tt.want, externalIDsOf(res.Assets))
				require.EqualValues(t, tt.wantAll, res.Total, "total counts what the filters select")
			})
		}

		t.Run("FilterByID", func(t *testing.T) {
			a := v2AssetPage(t, h, h.AdminKey, p.ID, "page=3&limit=1").Assets[0]
			res := v2AssetPage(t, h, h.AdminKey, p.ID, "filters="+url.QueryEscape(`{"_id":"`+a.ID+`"}`))
			require.Equal(t, []string{"ext-2"}, externalIDsOf(res.Assets))
			res = v2AssetPage(t, h, h.AdminKey, p.ID, "_id="+a.ID)
			require.Equal(t, []string{"ext-2"}, externalIDsOf(res.Assets))
			res = v2AssetPage(t, h, h.AdminKey, p.ID, "_id="+a.ID+"&filters="+url.QueryEscape(`{"_id":"other"}`))
			require.Empty(t, res.Assets, "the plain parameter and the filter must both hold")
		})
	})
}

func externalIDsOf(assets []hubapi.V2Asset) []string {
	out := []string{}
	for _, a := range assets {
		out = append(out, a.ExternalID)
	}
	return out
}

// TestV2_ListingErrors is the table of the listings' 400s: each names
// the parameter and the value.
func TestV2_ListingErrors(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	p := createProject(t, h, h.AdminKey, map[string]any{"name": "errors", "batches": []string{"b1"}})
	h.JSON(t, "POST", "/api/projects/"+p.ID+"/import", h.AdminKey, ndjson(t, manyAssets(2)...), http.StatusOK, nil)
	assets, tasks := "/v2/project/"+p.ID+"/assets?", "/v2/project/"+p.ID+"/tasks?"
	q := url.QueryEscape
	tests := []struct {
		name, path, want string
	}{
		{"PageZero", assets + "page=0", `page "0" is not a whole number from 1`},
		{"PageWord", tasks + "page=two", `page "two" is not a whole number from 1`},
		{"LimitTooLarge", assets + "limit=5000", `limit "5000" is not a whole number from 1 to 1000`},
		{"LimitZero", "/v2/listProjects?limit=0", `limit "0" is not a whole number from 1 to 1000`},
		{"FiltersNotJSON", assets + "filters=" + q(`{"externalId":`), `filters "{\"externalId\":" is not a JSON object`},
		{"FiltersUnknownKey", assets + "filters=" + q(`{"stage":"Label"}`), `filters: key "stage" is not served (served: _id, externalId, isPreLabeled, batches)`},
		{"FiltersUnknownBatch", assets + "filters=" + q(`{"batches":["b1","nope"]}`), `filters: batches: project ` + p.ID + ` has no batch "nope"`},
		{"FiltersPreLabeledNotBool", assets + "filters=" + q(`{"isPreLabeled":"yes"}`), `filters: isPreLabeled "yes" is not true or false`},
		{"FiltersOperator", assets + "filters=" + q(`{"externalId":{"$regex":"x"}}`), `filters: externalId: operator "$regex" is not one of $in, $eq`},
		{"FiltersNumber", assets + "filters=" + q(`{"externalId":7}`), `filters: externalId 7 is not a string, a list of strings`},
		{"TaskStageUnknown", tasks + "stage=Nope", `stage: project ` + p.ID + ` has no stage "Nope"`},
		{"TaskStatus", tasks + "status%5Beq%5D=Done", `status[eq] "Done" is not one of Completed, TODO`},
		{"TaskBatchUnknown", tasks + "batches=" + q(`["nope"]`), `batches: project ` + p.ID + ` has no batch "nope"`},
		{"TaskFilterKey", tasks + "filter=" + q(`{"assignee":"x"}`), `filter: key "assignee" is not served (served: _id, externalId, stage, batches, status)`},
		{"TaskFilterStatus", tasks + "filter=" + q(`{"status":"Open"}`), `filter: status "Open" is not one of Completed, TODO`},
		{"TaskSort", tasks + "sort=-priority", `sort: "priority" is not one of _id, asset, createdAt, externalId, stage, updatedAt`},
		{"TaskFields", tasks + "fields=externalId,createdBy", `fields: "createdBy" is not one of _id, project, organization`},
		{"TaskIncludeAnswer", tasks + "includeAnswer=maybe", `includeAnswer "maybe" is not true or false`},
		{"Metric", "/v2/" + p.ID + "/overview/TimePerTask", `metric "TimePerTask" is not served; this hub serves LabelStageGroups, AssetSize`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var fail hubapi.FailResponse
			h.JSON(t, "GET", tt.path, h.AdminKey, nil, http.StatusBadRequest, &fail)
			require.Equal(t, "bad_request", fail.Code)
			require.Contains(t, fail.Message, tt.want)
		})
	}
}

// TestV2_Tasks checks the task listing's filters (the deprecated stage,
// batches and status[eq] parameters too), sort, fields and answers.
func TestV2_Tasks(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		h := hubtest.Start(t, &hubtest.Options{Backend: b})
		p := createProject(t, h, h.AdminKey, map[string]any{"name": "tasks", "batches": []string{"b1", "b2"}})
		h.JSON(t, "POST", "/api/projects/"+p.ID+"/import", h.AdminKey, ndjson(t, manyAssets(6)...), http.StatusOK, nil)
		b2 := p.Batches[1].ID
		list := func(query string) (ids []string, total int64, tasks []map[string]any) {
			t.Helper()
			var res v2[struct {
				Tasks []map[string]any `json:"tasks"`
				Total int64            `json:"total"`
			}]
			h.JSON(t, "GET", "/v2/project/"+p.ID+"/tasks?"+query, h.AdminKey, nil, http.StatusOK, &res)
			ids = []string{}
			for _, tk := range res.Data.Tasks {
				ids = append(ids, tk["_id"].(string))
			}
			return ids, res.Data.Total, res.Data.Tasks
		}
		q := url.QueryEscape
		tests := []struct {
			name  string
			query string
			want  []string
			total int64
		}{
			{"All", "limit=3", []string{"task-ext-0", "task-ext-1", "task-ext-2"}, 6},
			{"Page2", "limit=4&page=2", []string{"task-ext-4", "task-ext-5"}, 6},
			{"DeprecatedStage", "stage=Label", []string{"task-ext-0", "task-ext-2", "task-ext-4"}, 3},
			{"DeprecatedStageList", "stage=" + q(`["Complete"]`), []string{"task-ext-1", "task-ext-3", "task-ext-5"}, 3},
			{"DeprecatedBatches", "batches=" + q(`["`+b2+`"]`), []string{"task-ext-1", "task-ext-3", "task-ext-5"}, 3},
			{"DeprecatedStatusCompleted", "status%5Beq%5D=Completed", []string{"task-ext-1", "task-ext-3", "task-ext-5"}, 3},
			{"DeprecatedStatusTodo", "status%5Beq%5D=TODO&limit=2", []string{"task-ext-0", "task-ext-2"}, 3},
			{"StageAndStatusExclude", "stage=Label&status%5Beq%5D=Completed", []string{}, 0},
			{"FilterStage", "filter=" + q(`{"stage":["Label"]}`), []string{"task-ext-0", "task-ext-2", "task-ext-4"}, 3},
			{"FilterStageIn", "filter=" + q(`{"stage":{"$in":["Complete"]},"externalId":"ext-3"}`), []string{"task-ext-3"}, 1},
			{"FilterBatchesByName", "filter=" + q(`{"batches":["b1"]}`), []string{"task-ext-0", "task-ext-2", "task-ext-4"}, 3},
			{"FilterAndParamBatches", "batches=" + q(`["b1"]`) + "&filter=" + q(`{"batches":["b2"]}`), []string{}, 0},
			{"FilterID", "filter=" + q(`{"_id":"task-ext-4"}`), []string{"task-ext-4"}, 1},
			{"FilterStatus", "filter=" + q(`{"status":"TODO"}`) + "&limit=1", []string{"task-ext-0"}, 3},
			{"SortDesc", "sort=-externalId&limit=2", []string{"task-ext-5", "task-ext-4"}, 6},
			{"SortTwoKeys", "sort=stage,-externalId&limit=4", []string{"task-ext-5", "task-ext-3", "task-ext-1", "task-ext-4"}, 6},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ids, total, _ := list(tt.query)
				require.Equal(t, tt.want, ids)
				require.Equal(t, tt.total, total)
			})
		}

		t.Run("AnswerAndFields", func(t *testing.T) {
			_, _, tasks := list("limit=1")
			require.NotContains(t, tasks[0], "answer", "no answer unless includeAnswer=true")
			require.Equal(t, "TODO", tasks[0]["status"])
			require.Equal(t, "2024-03-04T10:15:30.120Z", tasks[0]["updatedAt"], "the AAF's updatedAt")
			_, _, tasks = list("limit=1&includeAnswer=true")
			answer := tasks[0]["answer"].(map[string]any)
			require.Len(t, answer["tools"], 1)
			require.Equal(t, "obj-ext-0", answer["tools"].([]any)[0].(map[string]any)["objectId"])
			_, _, tasks = list("limit=1&fields=externalId,status&includeAnswer=true")
			require.Equal(t, map[string]any{"_id": "task-ext-0", "externalId": "ext-0", "status": "TODO"}, tasks[0])
		})
	})
}

// TestV2_Task checks GET /v2/task/{id} and its history: found by the
// caller's reach only, and the 409 of a task id in two projects.
func TestV2_Task(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	p := sampleProject(t, h, "tasks")

	var res v2[hubapi.V2TaskResponse]
	h.JSON(t, "GET", "/v2/task/65f0a1b2c3d4e5f600000001", h.AdminKey, nil, http.StatusOK, &res)
	var task map[string]any
	require.NoError(t, json.Unmarshal(res.Data.Task, &task))
	require.Equal(t, "Completed", task["status"])
	require.Equal(t, "2024-03-04T10:15:30.120Z", task["completedAt"], "the last stage history entry's completedAt")
	require.Contains(t, task, "answer", "a single task comes with its answer by default")

	var hist v2[hubapi.V2TaskHistoryResponse]
	h.JSON(t, "GET", "/v2/task/65f0a1b2c3d4e5f600000003/history", h.AdminKey, nil, http.StatusOK, &hist)
	require.Len(t, hist.Data.TaskHistory, 1, "street-003 left only Start")
	h.JSON(t, "GET", "/v2/task/6362a0b1c2d3e4f500000301/history", h.AdminKey, nil, http.StatusOK, &hist)
	require.Empty(t, hist.Data.TaskHistory, "a legacy task has no stage history: none is invented")
	require.NotNil(t, hist.Data.TaskHistory)

	var fail hubapi.FailResponse
	h.JSON(t, "GET", "/v2/task/nope", h.AdminKey, nil, http.StatusNotFound, &fail)
	h.JSON(t, "GET", "/v2/task/6362a0b1c2d3e4f500000302", h.AdminKey, nil, http.StatusNotFound, &fail)

	// The same export imported into a second project: a user's key cannot
	// tell which task it means, a run token can.
	twin := sampleProject(t, h, "twin")
	h.JSON(t, "GET", "/v2/task/65f0a1b2c3d4e5f600000001", h.AdminKey, nil, http.StatusConflict, &fail)
	require.Contains(t, fail.Message, p.ID)
	require.Contains(t, fail.Message, twin.ID)
	exp := time.Now().Add(time.Hour)
	token, _, err := h.Server.IssueKey(context.Background(), &hub.IssueKeyParams{OrgID: h.OrgID, UserID: h.AdminID, Name: "run",
		ProjectID: twin.ID, RunID: store.NewID(), ExpiresAt: &exp})
	require.NoError(t, err)
	h.JSON(t, "GET", "/v2/task/65f0a1b2c3d4e5f600000001", token, nil, http.StatusOK, &res)
	require.True(t, strings.Contains(string(res.Data.Task), twin.ID), "the run token's project")
}

// TestV2_ListProjects checks paging GET /v2/listProjects, newest first.
func TestV2_ListProjects(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	var ids []string
	for i := range 3 {
		ids = append(ids, createProject(t, h, h.AdminKey, map[string]any{"name": fmt.Sprintf("p%d", i)}).ID)
	}
	var res v2[hubapi.V2ProjectListResponse]
	h.JSON(t, "GET", "/v2/listProjects?page=1&limit=2", h.AdminKey, nil, http.StatusOK, &res)
	require.Equal(t, 3, res.Data.Total)
	require.Equal(t, []string{ids[2], ids[1]}, []string{res.Data.Projects[0].ID, res.Data.Projects[1].ID})
	h.JSON(t, "GET", "/v2/listProjects?page=2&limit=2", h.AdminKey, nil, http.StatusOK, &res)
	require.Len(t, res.Data.Projects, 1)
	require.Equal(t, ids[0], res.Data.Projects[0].ID)
}

// TestV2_Overview checks the metrics' counts and the 404 of other paths
// under /v2.
func TestV2_Overview(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	p := sampleProject(t, h, "metrics")
	var res v2[hubapi.V2MetricResponse]
	h.JSON(t, "GET", "/v2/"+p.ID+"/overview/LabelStageGroups", h.AdminKey, nil, http.StatusOK, &res)
	require.EqualValues(t, 4, res.Data.Total)
	counts := map[string]int64{}
	var order []string
	for _, st := range res.Data.Stages {
		counts[st.StageID] = st.Count
		order = append(order, st.StageID)
	}
	require.Equal(t, []string{"Start", "Label", "5c0ffee0-1111-4222-8333-944445555666", "Complete"}, order, "workflow order")
	require.Equal(t, map[string]int64{"Start": 0, "Label": 1, "5c0ffee0-1111-4222-8333-944445555666": 0, "Complete": 3}, counts)
	h.JSON(t, "GET", "/v2/"+p.ID+"/overview/AssetSize", h.AdminKey, nil, http.StatusOK, &res)
	sizes := map[string]int64{}
	for _, bt := range res.Data.Batches {
		sizes[bt.Name] = bt.Count
	}
	require.Equal(t, map[string]int64{"batch-a": 2, "night-shots": 1, "legacy-batch": 1}, sizes)

	var fail hubapi.FailResponse
	h.JSON(t, "GET", "/v2/"+p.ID+"/nothing/LabelStageGroups", h.AdminKey, nil, http.StatusNotFound, &fail)
	require.Equal(t, "no such endpoint: GET /v2/"+p.ID+"/nothing/LabelStageGroups", fail.Message)
	h.JSON(t, "GET", "/v2/"+store.NewID()+"/overview/AssetSize", h.AdminKey, nil, http.StatusNotFound, &fail)
	resp := h.Do(t, "GET", "/v2/"+p.ID+"/overview/AssetSize", "", nil)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the metrics need a key")
}
