package hub_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs/runstest"
	"github.com/exporthub/exporthub/hub/store"
)

// legacyAsset is an asset in the legacy tasks/objects shape: it has no
// stage.
const legacyAsset = `{"asset":"https://assets.example.test/old.png","externalId":"legacy-1","batches":["b1"],` +
	`"tasks":[{"taskId":"t-old","objects":[],"classifications":[],"relations":[]}]}`

// v2ExportIDs calls GET /v2/export?project=ID&format=ndjson plus query and
// returns the externalIds of the download, in order.
func v2ExportIDs(t *testing.T, h *hubtest.Hub, projectID, query string) []string {
	t.Helper()
	var res v2[hubapi.V2ExportResponse]
	h.JSON(t, "GET", "/v2/export?project="+projectID+"&format=ndjson"+query, h.AdminKey, nil, http.StatusOK, &res)
	status, body := httpGet(t, res.Data.ExportPath)
	require.Equal(t, http.StatusOK, status)
	var content []byte
	for _, c := range readZip(t, body) {
		content = c
	}
	ids := []string{}
	for _, line := range bytes.Split(bytes.TrimSpace(content), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var a struct{ ExternalID string }
		require.NoError(t, json.Unmarshal(line, &a))
		ids = append(ids, a.ExternalID)
	}
	require.EqualValues(t, len(ids), res.Data.NumTasks)
	return ids
}

// TestV2_ExportStageParam checks the stage filter of /v2/export in every
// form the Ango SDK and other clients send it.
func TestV2_ExportStageParam(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	p := createProject(t, h, h.AdminKey, map[string]any{"name": "Stages", "batches": []string{"b1", "b2"},
		"stages": []any{"Start", "Label", map[string]any{"id": "5c0f-review", "name": "QA Review"}, "Complete"}})
	body := ndjson(t, testAsset("l1", "Label", "b1"), testAsset("c1", "Complete", "b2"), testAsset("r1", "5c0f-review", "b1")) + legacyAsset + "\n"
	var imp hubapi.ImportResponse
	h.JSON(t, "POST", "/api/projects/"+p.ID+"/import", h.AdminKey, body, http.StatusOK, &imp)
	require.Equal(t, 4, imp.Imported)
	all := []string{"l1", "c1", "r1", "legacy-1"}
	complete := []string{"c1", "legacy-1"} // the legacy asset has no stage: it is in Complete

	q := func(v string) string { return "&stage=" + url.QueryEscape(v) }
	tests := []struct {
		name, query string
		want        []string
	}{
		{"Absent", "", all},
		{"Null", q("null"), all},
		{"EmptyList", q("[]"), all},
		{"SDKDefault", q(`["Complete"]`), complete},
		{"ListOfTwo", q(`["Label","5c0f-review"]`), []string{"l1", "r1"}},
		{"ListByName", q(`["QA Review"]`), []string{"r1"}},
		{"ListWithNull", q(`["Label",null]`), []string{"l1"}},
		{"JSONString", q(`"Label"`), []string{"l1"}},
		{"Plain", q("Complete"), complete},
		{"PlainName", q("QA Review"), []string{"r1"}},
		{"Repeated", q("Label") + q("Complete"), []string{"l1", "c1", "legacy-1"}},
		{"FixedStageStart", q(`["Start"]`), []string{}},
		{"StageAndBatch", q(`["Complete"]`) + "&batches=" + url.QueryEscape(`["`+p.Batches[1].ID+`"]`), []string{"c1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, v2ExportIDs(t, h, p.ID, tt.query))
		})
	}

	stageIDs := "(its stage ids: Start, Label, 5c0f-review, Complete)"
	fails := []struct {
		name, query, msg string
	}{
		{"UnknownInList", q(`["Complete","Nope"]`), `stage: project ` + p.ID + ` has no stage "Nope" ` + stageIDs},
		{"UnknownPlain", q("Review"), `stage: project ` + p.ID + ` has no stage "Review" ` + stageIDs},
		{"UnknownJSONString", q(`"nope"`), `stage: project ` + p.ID + ` has no stage "nope" ` + stageIDs},
		{"BadList", q(`["Complete"`), `stage "[\"Complete\"" is not a JSON list of stage ids: unexpected end of JSON input`},
		{"NotStrings", q(`[1]`), `stage "[1]" is not a JSON list of stage ids: json: cannot unmarshal number into Go value of type string`},
		{"UnknownBatchID", "&batches=" + url.QueryEscape(`["65f0a1b2c3d4e5f6000000ff"]`),
			`batches: project ` + p.ID + ` has no batch "65f0a1b2c3d4e5f6000000ff"`},
		{"BadBool", "&includeHistory=yes", `includeHistory "yes" is not true or false`},
		{"BadTime", "&updatedAt=" + url.QueryEscape(`{"$gt":"yesterday"}`), `updatedAt.$gt "yesterday" is not an ISO 8601 time such as 2024-01-01T00:00:00.000Z`},
		{"BadTimeOperator", "&createdAt=" + url.QueryEscape(`{"$eq":"2024-01-01T00:00:00Z"}`), `createdAt: operator "$eq" is not one of $gt, $gte, $lt, $lte`},
		{"BadType", "&type=labels", `type "labels" is not one of task, issue`},
	}
	for _, tt := range fails {
		t.Run(tt.name, func(t *testing.T) {
			var fail hubapi.FailResponse
			h.JSON(t, "GET", "/v2/export?project="+p.ID+tt.query, h.AdminKey, nil, http.StatusBadRequest, &fail)
			require.Equal(t, tt.msg, fail.Message)
			require.Equal(t, "bad_request", fail.Code)
		})
	}
}

// TestV2_ExportOptions checks the other ExportOptions the SDK sends: time
// filters, task types, includeMetadata and includeHistory.
func TestV2_ExportOptions(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	p := createProject(t, h, h.AdminKey, map[string]any{"name": "Options"})
	early, late := testAsset("early", "Complete"), testAsset("late", "Complete")
	early["task"].(map[string]any)["updatedAt"] = "2024-01-10T08:00:00.000Z"
	late["task"].(map[string]any)["updatedAt"] = "2024-03-01T08:00:00.000Z"
	late["task"].(map[string]any)["stageHistory"] = []any{map[string]any{"stage": "Label", "stageId": "Label",
		"completedAt": "2024-02-28T08:00:00.000Z", "completedBy": "a@example.test", "duration": 1000, "tools": []any{}}}
	h.JSON(t, "POST", "/api/projects/"+p.ID+"/import", h.AdminKey, ndjson(t, early, late), http.StatusOK, nil)

	t.Run("UpdatedAt", func(t *testing.T) {
		rng := func(v string) string { return "&updatedAt=" + url.QueryEscape(v) }
		require.Equal(t, []string{"late"}, v2ExportIDs(t, h, p.ID, rng(`{"$gt":"2024-02-01T00:00:00.000000Z"}`)))
		require.Equal(t, []string{"early"}, v2ExportIDs(t, h, p.ID, rng(`{"$lt":"2024-02-01T00:00:00.000000Z"}`)))
		require.Equal(t, []string{"early", "late"}, v2ExportIDs(t, h, p.ID, rng(`{"$gt":"2024-01-01T00:00:00Z","$lt":"2024-12-31T00:00:00Z"}`)))
		require.Equal(t, []string{"late"}, v2ExportIDs(t, h, p.ID, rng(`{"$gte":"2024-03-01T08:00:00.000Z"}`)), "$gte includes the bound")
		require.Equal(t, []string{}, v2ExportIDs(t, h, p.ID, rng(`{"$gt":"2024-03-01T08:00:00.000Z"}`)), "$gt excludes it")
	})
	t.Run("CreatedAt", func(t *testing.T) {
		// Both were imported just now.
		require.Equal(t, []string{"early", "late"}, v2ExportIDs(t, h, p.ID, "&createdAt="+url.QueryEscape(`{"$gt":"2020-01-01T00:00:00Z"}`)))
		require.Equal(t, []string{}, v2ExportIDs(t, h, p.ID, "&createdAt="+url.QueryEscape(`{"$lt":"2020-01-01T00:00:00Z"}`)))
	})
	t.Run("TaskTypes", func(t *testing.T) {
		require.Equal(t, []string{"early", "late"}, v2ExportIDs(t, h, p.ID, "&taskTypes="+url.QueryEscape(`["default"]`)))
		require.Equal(t, []string{}, v2ExportIDs(t, h, p.ID, "&taskTypes="+url.QueryEscape(`["benchmark"]`)), "only default tasks exist")
	})
	t.Run("IncludeFlags", func(t *testing.T) {
		download := func(query string) map[string]any {
			var res v2[hubapi.V2ExportResponse]
			h.JSON(t, "GET", "/v2/export?project="+p.ID+"&format=json&stage=%5B%22Complete%22%5D"+query, h.AdminKey, nil, http.StatusOK, &res)
			_, body := httpGet(t, res.Data.ExportPath)
			var arr []map[string]any
			require.NoError(t, json.Unmarshal(readZip(t, body)["Options.json"], &arr))
			require.Len(t, arr, 2)
			return arr[1]
		}
		full := download("&includeMetadata=true&includeHistory=true")
		require.Contains(t, full, "metadata")
		require.Contains(t, full["task"], "stageHistory")

		lean := download("&includeMetadata=false&includeHistory=false")
		require.NotContains(t, lean, "metadata")
		require.NotContains(t, lean["task"], "stageHistory")
		require.Equal(t, full["task"].(map[string]any)["tools"], lean["task"].(map[string]any)["tools"], "the rest of the task is kept")
		require.Equal(t, full["externalId"], lean["externalId"])
	})
}

// TestV2_ExportKeyFrames exports a video project with and without
// includeOnlyKeyFrames: the hub keeps video annotations as imported, one
// entry per object and keyframe (it never interpolates the frames
// between), so both give every keyframe, byte for byte the same.
func TestV2_ExportKeyFrames(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	p := createProject(t, h, h.AdminKey, map[string]any{"name": "Clips"})
	video, err := os.ReadFile("../aaf/testdata/video_small.json")
	require.NoError(t, err)
	h.JSON(t, "POST", "/api/projects/"+p.ID+"/import", h.AdminKey, video, http.StatusOK, nil)
	download := func(query string) []byte {
		var res v2[hubapi.V2ExportResponse]
		h.JSON(t, "GET", "/v2/export?project="+p.ID+"&format=ndjson"+query, h.AdminKey, nil, http.StatusOK, &res)
		status, body := httpGet(t, res.Data.ExportPath)
		require.Equal(t, http.StatusOK, status)
		return readZip(t, body)["Clips.ndjson"]
	}
	keyFramesOnly := download("&includeOnlyKeyFrames=true")
	require.Equal(t, download("&includeOnlyKeyFrames=false"), keyFramesOnly)
	require.Equal(t, download(""), keyFramesOnly)
	var imported, exported []map[string]any
	require.NoError(t, json.Unmarshal(video, &imported))
	for _, line := range bytes.Split(bytes.TrimSpace(keyFramesOnly), []byte("\n")) {
		var a map[string]any
		require.NoError(t, json.Unmarshal(line, &a))
		exported = append(exported, a)
	}
	require.Len(t, exported, len(imported))
	for i := range imported {
		tools := imported[i]["task"].(map[string]any)["tools"]
		require.NotEmpty(t, tools)
		require.Equal(t, tools, exported[i]["task"].(map[string]any)["tools"], "every keyframe of %s, as imported", imported[i]["externalId"])
	}
}

// TestAssetShape_Apply checks that leaving parts out keeps the other keys
// in order.
func TestAssetShape_Apply(t *testing.T) {
	t.Parallel()
	in := `{"externalId":"x","metadata":{"width":1},"task":{"z":1,"stageHistory":[{"a":1}],"tools":[]},"batches":[]}`
	tests := []struct {
		name  string
		shape hub.AssetShape
		want  string
	}{
		{"Nothing", hub.AssetShape{}, in},
		{"Metadata", hub.AssetShape{OmitMetadata: true}, `{"externalId":"x","task":{"z":1,"stageHistory":[{"a":1}],"tools":[]},"batches":[]}`},
		{"History", hub.AssetShape{OmitHistory: true}, `{"externalId":"x","metadata":{"width":1},"task":{"z":1,"tools":[]},"batches":[]}`},
		{"Both", hub.AssetShape{OmitMetadata: true, OmitHistory: true}, `{"externalId":"x","task":{"z":1,"tools":[]},"batches":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.shape.Apply([]byte(in))
			require.NoError(t, err)
			require.Equal(t, tt.want, string(got))
		})
	}
}

// TestV2_ExportEmptyWarns checks that a run whose export selects no asset
// gets a WARNING line saying so, instead of a silent empty success.
func TestV2_ExportEmptyWarns(t *testing.T) {
	t.Parallel()
	rb := setupRuns(t, hubtest.SQLite, nil)
	p := rb.plugin(t, nil)
	rb.connect(t, p, runstest.Options{})
	r := rb.start(t, p.ID, map[string]any{"stage": []string{"Start"}})
	require.Equal(t, int64(0), r.NumTasks)
	end := rb.waitEnd(t, r.ID)
	require.Equal(t, string(store.RunSucceeded), end.Status, end.Message)
	var out hubapi.RunLogsResponse
	rb.h.JSON(t, http.MethodGet, "/api/runs/"+r.ID+"/logs", rb.h.AdminKey, nil, http.StatusOK, &out)
	var warned []string
	for _, l := range out.Logs {
		if l.Level == "WARNING" && strings.Contains(l.Msg, "0 assets") {
			warned = append(warned, l.Msg)
		}
	}
	require.Equal(t, []string{`the export holds 0 assets: nothing in project "runs" matches stages Start; all batches`}, warned)
}
