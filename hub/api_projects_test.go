package hub_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/store"
)

// at is a stage position x on the workflow canvas (y 0).
func at(x float64) *store.StagePosition { return &store.StagePosition{X: x} }

func createProject(t *testing.T, h *hubtest.Hub, key string, req any) *hubapi.ProjectResponse {
	t.Helper()
	var p hubapi.ProjectResponse
	h.JSON(t, "POST", "/api/projects", key, req, http.StatusCreated, &p)
	return &p
}

func TestServer_Health(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		h := hubtest.Start(t, &hubtest.Options{Backend: b})
		for _, c := range []struct{ path, want string }{
			{"/livez", `{"status":"ok"}`},
			{"/readyz", `{"status":"ok","database":"ok","blob":"ok"}`},
			{"/healthz", `{"status":"ok","database":"ok","blob":"ok"}`},
		} {
			body := h.JSON(t, "GET", c.path, "", nil, http.StatusOK, nil)
			require.JSONEq(t, c.want, string(body), c.path)
		}
	})
}

func TestProjects_CreateListGet(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		h := hubtest.Start(t, &hubtest.Options{Backend: b})
		p := createProject(t, h, h.AdminKey, map[string]any{
			"name":           "Street scenes",
			"description":    "cars",
			"categorySchema": map[string]any{"tools": []any{map[string]any{"schemaId": "sch-car", "title": "Car", "tool": "bounding-box"}}},
			"batches":        []any{"b1", map[string]any{"name": "b2"}},
		})
		require.Len(t, p.ID, 24)
		require.Equal(t, "Street scenes", p.Name)
		require.Equal(t, []hubapi.StageJSON{{ID: "Start", Name: "Start", Type: "Start", Position: at(0)},
			{ID: "Label", Name: "Label", Type: "Label", Position: at(300)}, {ID: "Complete", Name: "Complete", Type: "Complete", Position: at(600)}}, p.Stages)
		require.Len(t, p.Batches, 2)
		require.Equal(t, "b1", p.Batches[0].Name)
		require.NotEmpty(t, p.Batches[0].ID)
		require.JSONEq(t, `{"tools":[{"schemaId":"sch-car","title":"Car","tool":"bounding-box"}]}`, string(p.CategorySchema))

		var list hubapi.ProjectListResponse
		h.JSON(t, "GET", "/api/projects", h.AdminKey, nil, http.StatusOK, &list)
		require.Len(t, list.Projects, 1)
		require.Equal(t, p.ID, list.Projects[0].ID)

		h.JSON(t, "POST", "/api/projects/"+p.ID+"/import", h.AdminKey, ndjson(t, manyAssets(5)...), http.StatusOK, nil)
		var got hubapi.ProjectResponse
		h.JSON(t, "GET", "/api/projects/"+p.ID, h.AdminKey, nil, http.StatusOK, &got)
		require.Equal(t, &hubapi.AssetCountsResponse{Total: 5, ByStage: map[string]int64{"Label": 3, "Complete": 2}, ByBatch: map[string]int64{"b1": 3, "b2": 2}}, got.Counts)

		var upd hubapi.ProjectResponse
		h.JSON(t, "PATCH", "/api/projects/"+p.ID, h.AdminKey, map[string]any{"name": "Renamed", "batches": []string{"b1", "b3"}}, http.StatusOK, &upd)
		require.Equal(t, "Renamed", upd.Name)
		require.Equal(t, p.Batches[0], upd.Batches[0], "a batch given by name keeps its id")
		require.Equal(t, "b3", upd.Batches[1].Name)

		h.JSON(t, "DELETE", "/api/projects/"+p.ID, h.AdminKey, nil, http.StatusNoContent, nil)
		h.JSON(t, "GET", "/api/projects/"+p.ID, h.AdminKey, nil, http.StatusNotFound, nil)
	})
}

func TestProjects_CreateValidation(t *testing.T) {
	t.Parallel()
	h := hubtest.Start(t, nil)
	tests := []struct {
		name string
		body string
		want int
		msg  string
	}{
		{"EmptyName", `{"name":"  "}`, 400, "name is required"},
		{"LongName", `{"name":"` + strings.Repeat("x", 201) + `"}`, 400, "name is longer than 200 characters"},
		{"SchemaNotObject", `{"name":"p","categorySchema":[1]}`, 400, "categorySchema must be a JSON object"},
		{"DuplicateStage", `{"name":"p","stages":["A","A"]}`, 400, `stages[1]: stage id "A" appears twice`},
		{"DuplicateBatch", `{"name":"p","batches":["b","b"]}`, 400, `batches[1]: batch name "b" appears twice`},
		{"BadStage", `{"name":"p","stages":[3]}`, 400, "stage must be a string or an object"},
		{"StageType", `{"name":"p","stages":[{"id":"q","name":"QA","type":"Quality"}]}`, 400,
			`stages[0] (q): type "Quality" is not one of Start, Label, Review, Logic, Plugin, Webhook, Complete, Archive, Consensus, Hold`},
		{"FixedStageType", `{"name":"p","stages":[{"id":"Complete","type":"Label"}]}`, 400, `stages[0]: the fixed stage Complete has type Complete, got "Label"`},
		{"StageNext", `{"name":"p","stages":[{"id":"a","next":["b"]}]}`, 400, `stages[0] (a): next names no stage of the project: "b"`},
		{"StagePosition", `{"name":"p","stages":[{"id":"a","position":{"x":"left"}}]}`, 400, `stage "a":`},
		{"NotJSON", `{"name":`, 400, "request body"},
		{"WrongType", `{"name":5}`, 400, `field "name": want string, got JSON number`},
		{"TwoValues", `{"name":"a"} {"name":"b"}`, 400, "more than one JSON value"},
		{"Empty", ``, 400, "request body is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var fail hubapi.FailResponse
			h.JSON(t, "POST", "/api/projects", h.AdminKey, tt.body, tt.want, &fail)
			require.Equal(t, "fail", fail.Status)
			require.Contains(t, fail.Message, tt.msg)
			require.NotEmpty(t, fail.Code)
		})
	}
}

func TestProjects_Import(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		h := hubtest.Start(t, &hubtest.Options{Backend: b, Configure: func(c *hub.Config) { c.MaxImportBytes = 64 << 10 }})
		p := createProject(t, h, h.AdminKey, map[string]any{"name": "p", "batches": []string{"b1"}})
		path := "/api/projects/" + p.ID + "/import"
		count := func() int64 {
			var got hubapi.ProjectResponse
			h.JSON(t, "GET", "/api/projects/"+p.ID, h.AdminKey, nil, http.StatusOK, &got)
			return got.Counts.Total
		}

		t.Run("NDJSON", func(t *testing.T) {
			var res hubapi.ImportResponse
			h.JSON(t, "POST", path, h.AdminKey, ndjson(t, manyAssets(4)...), http.StatusOK, &res)
			require.Equal(t, 4, res.Imported)
			require.Equal(t, []hubapi.BatchJSON{{ID: res.AddedBatches[0].ID, Name: "b2"}}, res.AddedBatches, "unknown batches are added to the project")
			require.Empty(t, res.AddedStages, "Label and Complete are default stages")
		})
		t.Run("JSONArray", func(t *testing.T) {
			arr, err := json.MarshalIndent([]any{testAsset("arr-1", "Review 1", "b1"), testAsset("arr-2", "Complete")}, "", "  ")
			require.NoError(t, err)
			var res hubapi.ImportResponse
			h.JSON(t, "POST", path, h.AdminKey, arr, http.StatusOK, &res)
			require.Equal(t, 2, res.Imported)
			require.Equal(t, []hubapi.StageJSON{{ID: "Review 1", Name: "Review 1", Type: "Review", Position: at(600)}}, res.AddedStages,
				"a new stage goes before Complete, typed Review by its name")
			var got hubapi.ProjectResponse
			h.JSON(t, "GET", "/api/projects/"+p.ID, h.AdminKey, nil, http.StatusOK, &got)
			require.Equal(t, []hubapi.StageJSON{{ID: "Start", Name: "Start", Type: "Start", Position: at(0)},
				{ID: "Label", Name: "Label", Type: "Label", Position: at(300)}, {ID: "Review 1", Name: "Review 1", Type: "Review", Position: at(600)},
				{ID: "Complete", Name: "Complete", Type: "Complete", Position: at(900)}}, got.Stages, "Complete stays the rightmost stage")
			require.EqualValues(t, 6, count())
		})
		t.Run("DuplicateAppendRejected", func(t *testing.T) {
			var fail hubapi.FailResponse
			h.JSON(t, "POST", path, h.AdminKey, ndjson(t, testAsset("new-1", "Label"), testAsset("ext-0", "Label")), http.StatusConflict, &fail)
			require.Equal(t, "conflict", fail.Code)
			require.Equal(t, `nothing was imported: asset 2: externalId "ext-0" is already in the project or earlier in the input; use mode=upsert to replace existing assets`, fail.Message)
			require.EqualValues(t, 6, count(), "all or nothing")
		})
		t.Run("Upsert", func(t *testing.T) {
			var res hubapi.ImportResponse
			h.JSON(t, "POST", path+"?mode=upsert", h.AdminKey, ndjson(t, testAsset("new-1", "Label"), testAsset("ext-0", "Complete")), http.StatusOK, &res)
			require.Equal(t, hubapi.ImportResponse{Imported: 2, Inserted: 1, Updated: 1}, res)
			require.EqualValues(t, 7, count())
		})
		t.Run("InvalidAAFRejectedWithLocation", func(t *testing.T) {
			bad := testAsset("bad-1", "Label")
			bad["task"].(map[string]any)["tools"] = []any{map[string]any{"objectId": "o", "schemaId": "s", "bounding-box": []any{1, 2}}}
			body := ndjson(t, testAsset("ok-1", "Label"), testAsset("ok-2", "Label"), bad)
			var fail struct {
				hubapi.FailResponse
				Errors []hubapi.ImportError `json:"errors"`
			}
			h.JSON(t, "POST", path, h.AdminKey, body, http.StatusBadRequest, &fail)
			require.Equal(t, "invalid_aaf", fail.Code)
			require.Contains(t, fail.Message, "nothing was imported")
			require.Len(t, fail.Errors, 1)
			e := fail.Errors[0]
			require.Equal(t, 2, e.Index)
			require.Equal(t, "bad-1", e.ExternalID)
			require.Equal(t, 3, e.Line)
			require.Contains(t, e.Path, "task.tools[0]")
			require.NotEmpty(t, e.Message)
			require.EqualValues(t, 7, count(), "all or nothing")
		})
		t.Run("SyntaxError", func(t *testing.T) {
			var fail struct {
				hubapi.FailResponse
				Errors []hubapi.ImportError `json:"errors"`
			}
			h.JSON(t, "POST", path, h.AdminKey, ndjson(t, testAsset("s-1", "Label"))+`{"externalId": "s-2", "task": {`+"\n", http.StatusBadRequest, &fail)
			require.Equal(t, "invalid_aaf", fail.Code)
			require.Equal(t, 2, fail.Errors[0].Line)
			require.EqualValues(t, 7, count())
		})
		t.Run("BodyTooLarge", func(t *testing.T) {
			var fail hubapi.FailResponse
			big := manyAssets(300)
			for i, a := range big {
				a["externalId"] = fmt.Sprintf("big-%d", i)
				a["task"].(map[string]any)["taskId"] = fmt.Sprintf("task-big-%d", i)
			}
			h.JSON(t, "POST", path, h.AdminKey, ndjson(t, big...), http.StatusRequestEntityTooLarge, &fail)
			require.Equal(t, "body_too_large", fail.Code)
			require.Contains(t, fail.Message, "limit of 65536 bytes")
			require.EqualValues(t, 7, count())
		})
		t.Run("BadMode", func(t *testing.T) {
			var fail hubapi.FailResponse
			h.JSON(t, "POST", path+"?mode=merge", h.AdminKey, "", http.StatusBadRequest, &fail)
			require.Equal(t, `mode "merge" is not one of append, upsert`, fail.Message)
		})
	})
}

func TestProjects_ImportInvalid(t *testing.T) {
	t.Parallel()
	const maxErrors = 5
	// encode returns the one-line JSON of each asset.
	encode := func(t *testing.T, assets ...map[string]any) []string {
		t.Helper()
		lines := strings.Split(strings.TrimSuffix(ndjson(t, assets...), "\n"), "\n")
		require.Len(t, lines, len(assets))
		return lines
	}
	asNDJSON := func(lines []string) string { return strings.Join(lines, "\n") + "\n" }
	asArray := func(lines []string) string { return "[\n" + strings.Join(lines, ",\n") + "\n]\n" }
	// at returns the offset in body of marker plus delta.
	at := func(t *testing.T, body, marker string, delta int) int64 {
		t.Helper()
		i := strings.Index(body, marker)
		require.GreaterOrEqual(t, i, 0, "marker %q in %s", marker, body)
		return int64(i + delta)
	}
	badBox := func(ext string) map[string]any {
		a := testAsset(ext, "Label")
		a["task"].(map[string]any)["tools"].([]any)[0].(map[string]any)["bounding-box"] = []any{1, 2}
		return a
	}
	noTask := testAsset("no-task", "Label")
	delete(noTask, "task")
	badPoint := testAsset("bad-point", "Label")
	badPoint["task"].(map[string]any)["tools"] = []any{map[string]any{"objectId": "pt", "schemaId": "s", "point": []any{1, "2x"}}}
	const boxMsg = "bounding box must be an object with numeric x, y, width, height; got array"

	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		h := hubtest.Start(t, &hubtest.Options{Backend: b, Configure: func(c *hub.Config) {
			c.MaxImportBytes = 64 << 10
			c.MaxImportErrors = maxErrors
		}})
		p := createProject(t, h, h.AdminKey, map[string]any{"name": "p", "batches": []string{"b1"}})
		path := "/api/projects/" + p.ID + "/import"
		h.JSON(t, "POST", path, h.AdminKey, ndjson(t, manyAssets(3)...), http.StatusOK, nil)
		var before hubapi.ProjectResponse
		h.JSON(t, "GET", "/api/projects/"+p.ID, h.AdminKey, nil, http.StatusOK, &before)
		require.EqualValues(t, 3, before.Counts.Total)
		// reject posts body, requires the 400 and that the project did
		// not change, and returns the answer.
		reject := func(t *testing.T, body string) *hubapi.ImportFailResponse {
			t.Helper()
			var fail hubapi.ImportFailResponse
			h.JSON(t, "POST", path, h.AdminKey, body, http.StatusBadRequest, &fail)
			require.Equal(t, "fail", fail.Status)
			require.Equal(t, "invalid_aaf", fail.Code)
			var after hubapi.ProjectResponse
			h.JSON(t, "GET", "/api/projects/"+p.ID, h.AdminKey, nil, http.StatusOK, &after)
			require.Equal(t, before.Counts, after.Counts, "nothing was imported")
			require.Equal(t, before.Batches, after.Batches, "no batch was added")
			require.Equal(t, before.Stages, after.Stages, "no stage was added")
			return &fail
		}

		t.Run("ThreeInvalidAssetsListed", func(t *testing.T) {
			lines := encode(t, testAsset("three-1", "Label", "new-batch"), badBox("bad-box"), testAsset("three-2", "New stage"),
				noTask, badPoint, testAsset("three-3", "Label"))
			for _, tc := range []struct {
				name  string
				body  string
				first int // line of the first asset
			}{
				{"NDJSON", asNDJSON(lines), 1},
				{"JSONArray", asArray(lines), 2},
			} {
				t.Run(tc.name, func(t *testing.T) {
					fail := reject(t, tc.body)
					require.Equal(t, []hubapi.ImportError{
						{Index: 1, ExternalID: "bad-box", Line: tc.first + 1, Offset: at(t, tc.body, `"bounding-box":[1,2]`, len(`"bounding-box":`)),
							Path: `task.tools[0]."bounding-box"`, ObjectID: "obj-bad-box", Message: boxMsg},
						{Index: 3, ExternalID: "no-task", Line: tc.first + 3, Offset: at(t, tc.body, `{"asset":"https://assets.example.test/no-task"`, 0),
							Message: `missing "task" (and no legacy "tasks")`},
						{Index: 4, ExternalID: "bad-point", Line: tc.first + 4, Offset: at(t, tc.body, `"2x"`, 0),
							Path: "task.tools[0].point[1]", ObjectID: "pt", Message: `coordinate must be a number, got string "2x"`},
					}, fail.Errors)
					require.False(t, fail.Truncated)
					require.Equal(t, fmt.Sprintf(`invalid AAF, nothing was imported: asset 2 ("bad-box") line %d: task.tools[0]."bounding-box" (objectId "obj-bad-box"): %s (and 2 more)`, tc.first+1, boxMsg), fail.Message)
				})
			}
		})
		t.Run("ExactlyMaxErrors", func(t *testing.T) {
			var assets []map[string]any
			for i := range maxErrors {
				assets = append(assets, testAsset(fmt.Sprintf("max-%d", i), "Label"), badBox(fmt.Sprintf("bad-%d", i)))
			}
			fail := reject(t, ndjson(t, assets...))
			require.Len(t, fail.Errors, maxErrors)
			require.False(t, fail.Truncated, "the whole input was read: there is no further problem")
			require.Equal(t, 2*maxErrors-1, fail.Errors[maxErrors-1].Index)
			require.True(t, strings.HasSuffix(fail.Message, fmt.Sprintf("(and %d more)", maxErrors-1)), fail.Message)
		})
		t.Run("MoreThanMaxErrorsTruncated", func(t *testing.T) {
			var assets []map[string]any
			for i := range 3 * maxErrors {
				assets = append(assets, badBox(fmt.Sprintf("many-%d", i)))
			}
			fail := reject(t, asArray(encode(t, assets...)))
			require.Len(t, fail.Errors, maxErrors)
			for i, e := range fail.Errors {
				require.Equal(t, i, e.Index)
				require.Equal(t, fmt.Sprintf("many-%d", i), e.ExternalID)
				require.Equal(t, i+2, e.Line)
			}
			require.True(t, fail.Truncated)
			require.True(t, strings.HasSuffix(fail.Message, fmt.Sprintf("(and at least %d more)", maxErrors)), fail.Message)
		})
		t.Run("SyntaxErrorEndsAJSONArray", func(t *testing.T) {
			lines := encode(t, badBox("syn-1"), testAsset("syn-2", "Label"))
			lines = append(lines, `{"externalId":"syn-3","task":{"tools":[1,]}}`)
			lines = append(lines, encode(t, badBox("syn-4"))...)
			body := asArray(lines)
			fail := reject(t, body)
			require.Equal(t, []hubapi.ImportError{
				{Index: 0, ExternalID: "syn-1", Line: 2, Offset: at(t, body, `"bounding-box":[1,2]`, len(`"bounding-box":`)),
					Path: `task.tools[0]."bounding-box"`, ObjectID: "obj-syn-1", Message: boxMsg},
				{Index: 2, Line: 4, Offset: at(t, body, `,]`, 1), Message: "invalid JSON: invalid character ']' looking for beginning of value"},
			}, fail.Errors, "the array cannot be read past the syntax error")
			require.False(t, fail.Truncated)
		})
		t.Run("SyntaxErrorInNDJSONGoesOn", func(t *testing.T) {
			lines := encode(t, testAsset("nd-1", "Label"))
			lines = append(lines, `{"externalId":"nd-2","task":{`)
			lines = append(lines, encode(t, badBox("nd-3"))...)
			fail := reject(t, asNDJSON(lines))
			require.Len(t, fail.Errors, 2)
			require.Equal(t, hubapi.ImportError{Index: 1, Line: 2, Offset: int64(len(lines[0]) + len(lines[1])),
				Message: "invalid JSON: unexpected end of input"}, fail.Errors[0])
			require.Equal(t, 2, fail.Errors[1].Index)
			require.Equal(t, "nd-3", fail.Errors[1].ExternalID)
			require.Equal(t, 3, fail.Errors[1].Line)
		})
		t.Run("BodyTooLargeAfterInvalid", func(t *testing.T) {
			big := manyAssets(300)
			for i, a := range big {
				a["externalId"] = fmt.Sprintf("big-%d", i)
				a["task"].(map[string]any)["taskId"] = fmt.Sprintf("task-big-%d", i)
			}
			fail := reject(t, ndjson(t, append([]map[string]any{badBox("first")}, big...)...))
			require.Len(t, fail.Errors, 1)
			require.Equal(t, "first", fail.Errors[0].ExternalID)
			require.True(t, fail.Truncated, "the rest of the body was not checked")
			require.True(t, strings.HasSuffix(fail.Message, "(the rest of the input was not checked: http: request body too large)"), fail.Message)
		})
		t.Run("BodyTooLargeJustAfterInvalid", func(t *testing.T) {
			// The bad asset ends a few bytes before the limit: the body
			// fails in the read that also brings it (or, with the
			// reader's workers reading ahead, before it is decoded), and
			// it is still the problem reported.
			var before []string
			size := 0
			for i := 0; size < 60<<10; i++ {
				line := encode(t, testAsset(fmt.Sprintf("fill-%d", i), "Label"))[0]
				before = append(before, line)
				size += len(line) + 2
			}
			var after []map[string]any
			for i := range 100 {
				after = append(after, testAsset(fmt.Sprintf("past-%d", i), "Label"))
			}
			lines := append(append(before, encode(t, badBox("near-limit"))...), encode(t, after...)...)
			for _, tc := range []struct {
				name string
				body string
			}{
				{"NDJSON", asNDJSON(lines)},
				{"JSONArray", asArray(lines)},
			} {
				t.Run(tc.name, func(t *testing.T) {
					require.Less(t, strings.Index(tc.body, "near-limit"), 64<<10)
					fail := reject(t, tc.body)
					require.Len(t, fail.Errors, 1)
					require.Equal(t, "near-limit", fail.Errors[0].ExternalID)
					require.Equal(t, len(before), fail.Errors[0].Index)
					require.True(t, fail.Truncated, "the rest of the body was not checked")
					require.True(t, strings.HasSuffix(fail.Message, "(the rest of the input was not checked: http: request body too large)"), fail.Message)
				})
			}
		})
	})
}

func TestProjects_Export(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		h := hubtest.Start(t, &hubtest.Options{Backend: b})
		p := createProject(t, h, h.AdminKey, map[string]any{"name": "Exp ort", "batches": []string{"b1", "b2"}})
		// A pretty-printed array: the NDJSON export must still be one line per asset.
		arr, err := json.MarshalIndent(manyAssets(7), "", "  ")
		require.NoError(t, err)
		h.JSON(t, "POST", "/api/projects/"+p.ID+"/import", h.AdminKey, arr, http.StatusOK, nil)
		b1ID := p.Batches[0].ID

		tests := []struct {
			name  string
			query string
			want  []string
		}{
			{"All", "", []string{"ext-0", "ext-1", "ext-2", "ext-3", "ext-4", "ext-5", "ext-6"}},
			{"StagePlain", "stage=Complete", []string{"ext-1", "ext-3", "ext-5"}},
			{"StageJSON", "stage=" + url.QueryEscape(`"Label"`), []string{"ext-0", "ext-2", "ext-4", "ext-6"}},
			{"StageNull", "stage=null", []string{"ext-0", "ext-1", "ext-2", "ext-3", "ext-4", "ext-5", "ext-6"}},
			{"StageList", "stage=" + url.QueryEscape(`["Label","Complete"]`), []string{"ext-0", "ext-1", "ext-2", "ext-3", "ext-4", "ext-5", "ext-6"}},
			{"BatchByName", "batches=b2", []string{"ext-1", "ext-3", "ext-5"}},
			{"BatchByIDJSON", "batches=" + url.QueryEscape(`["`+b1ID+`"]`), []string{"ext-0", "ext-2", "ext-4", "ext-6"}},
			{"StageAndBatch", "stage=Label&batches=b2", nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := h.Do(t, "GET", "/api/projects/"+p.ID+"/export?"+tt.query, h.AdminKey, nil)
				defer resp.Body.Close()
				require.Equal(t, http.StatusOK, resp.StatusCode)
				require.Equal(t, "application/x-ndjson", resp.Header.Get("Content-Type"))
				require.Equal(t, `attachment; filename="Exp_ort.ndjson"`, resp.Header.Get("Content-Disposition"))
				body, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				var got []string
				for _, line := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
					if line == "" {
						continue
					}
					var a struct{ ExternalID string }
					require.NoError(t, json.Unmarshal([]byte(line), &a), "line %q", line)
					got = append(got, a.ExternalID)
				}
				require.Equal(t, tt.want, got)
				require.Equal(t, len(tt.want), atoi(t, resp.Header.Get(hubapi.HeaderTotalCount)))
			})
		}
		t.Run("JSON", func(t *testing.T) {
			resp := h.Do(t, "GET", "/api/projects/"+p.ID+"/export?format=json&stage=Complete", h.AdminKey, nil)
			defer resp.Body.Close()
			var arr []map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&arr))
			require.Len(t, arr, 3)
			require.Equal(t, "ext-1", arr[0]["externalId"])
		})
		t.Run("EmptyJSON", func(t *testing.T) {
			body := h.JSON(t, "GET", "/api/projects/"+p.ID+"/export?format=json&stage=Start", h.AdminKey, nil, http.StatusOK, nil)
			require.Equal(t, "[]\n", string(body))
		})
		t.Run("UnknownStage", func(t *testing.T) {
			var fail hubapi.FailResponse
			h.JSON(t, "GET", "/api/projects/"+p.ID+"/export?stage=Nope", h.AdminKey, nil, http.StatusBadRequest, &fail)
			require.Equal(t, `stage: project `+p.ID+` has no stage "Nope" (its stage ids: Start, Label, Complete)`, fail.Message)
		})
		t.Run("Lossless", func(t *testing.T) {
			one := `{"externalId":"raw-1","asset":"https://x.test/a.png","unknownKey":{"keep":[1,2.50,"x"]},"task":{"taskId":"t","stageId":"Label","tools":[],"classifications":[],"relations":[]}}`
			h.JSON(t, "POST", "/api/projects/"+p.ID+"/import", h.AdminKey, one+"\n", http.StatusOK, nil)
			body := h.JSON(t, "GET", "/api/projects/"+p.ID+"/export?batches=", h.AdminKey, nil, http.StatusOK, nil)
			require.True(t, strings.HasSuffix(string(body), one+"\n"), "export ends with the raw asset as imported; got %s", body)
		})
		t.Run("BadFormat", func(t *testing.T) {
			var fail hubapi.FailResponse
			h.JSON(t, "GET", "/api/projects/"+p.ID+"/export?format=xml", h.AdminKey, nil, http.StatusBadRequest, &fail)
			require.Equal(t, `format "xml" is not one of ndjson, json`, fail.Message)
		})
	})
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	_, err := fmt.Sscan(s, &n)
	require.NoError(t, err)
	return n
}

// readZip returns the entries of a zip body.
func readZip(t *testing.T, body []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		out[f.Name] = b
	}
	return out
}

// TestProjects_Stages checks the workflow as Ango has it: stages with
// types, positions and next, the fixed stages always there, other keys
// kept, on create, update and read.
func TestProjects_Stages(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		h := hubtest.Start(t, &hubtest.Options{Backend: b})
		body := `{"name":"Workflow","stages":[
			{"id":"Start","name":"Start","type":"Start","position":{"x":10,"y":50},"next":["lbl"]},
			{"id":"lbl","name":"Labeling","type":"Label","position":{"x":400,"y":60},"next":["rev"],"assignedTo":["a@example.test"]},
			{"id":"rev","name":"QA","type":"Review","position":{"x":200,"y":70},"next":["Complete"]},
			"Hold area"]}`
		var p hubapi.ProjectResponse
		h.JSON(t, "POST", "/api/projects", h.AdminKey, body, http.StatusCreated, &p)
		want := []hubapi.StageJSON{
			{ID: "Start", Name: "Start", Type: "Start", Position: &store.StagePosition{X: 10, Y: 50}, Next: []string{"lbl"}},
			{ID: "lbl", Name: "Labeling", Type: "Label", Position: &store.StagePosition{X: 400, Y: 60}, Next: []string{"rev"},
				Extra: map[string]json.RawMessage{"assignedTo": json.RawMessage(`["a@example.test"]`)}},
			{ID: "rev", Name: "QA", Type: "Review", Position: &store.StagePosition{X: 200, Y: 70}, Next: []string{"Complete"}},
			{ID: "Hold area", Name: "Hold area", Type: "Hold", Position: at(700)},
			{ID: "Complete", Name: "Complete", Type: "Complete", Position: at(1000)},
		}
		require.Equal(t, want, p.Stages, "given values kept, Complete added, types and positions filled")

		var got hubapi.ProjectResponse
		h.JSON(t, "GET", "/api/projects/"+p.ID, h.AdminKey, nil, http.StatusOK, &got)
		require.Equal(t, want, got.Stages)
		raw := h.JSON(t, "GET", "/api/projects/"+p.ID, h.AdminKey, nil, http.StatusOK, nil)
		require.Contains(t, string(raw), `"assignedTo":["a@example.test"]`, "keys Ango sends beyond ours are kept")

		// PATCH replaces the workflow; Start is added back.
		h.JSON(t, "PATCH", "/api/projects/"+p.ID, h.AdminKey, map[string]any{"stages": []any{
			map[string]any{"id": "r2", "name": "Second review", "type": "Review"}}}, http.StatusOK, &got)
		require.Equal(t, []hubapi.StageJSON{{ID: "Start", Name: "Start", Type: "Start", Position: at(0)},
			{ID: "r2", Name: "Second review", Type: "Review", Position: at(300)},
			{ID: "Complete", Name: "Complete", Type: "Complete", Position: at(600)}}, got.Stages)
	})
}
