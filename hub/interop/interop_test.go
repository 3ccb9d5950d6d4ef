package interop_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"math"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/waittest"
	"github.com/exporthub/exporthub/internal/wire/wiretest"
)

// bboxRow is one row of the seed's example output.
type bboxRow struct {
	ExternalID  string `json:"externalId"`
	URL         string `json:"URL"`
	Annotations string `json:"Annotations"`
}

// expectedBBoxes computes, from the sample, what the seed's example
// conversion must write for the assets in stages (the SDK's default,
// Complete, when none): each bounding box as "title x y w h" (numbers
// rounded half to even), one asset's boxes joined by sep.
func expectedBBoxes(t *testing.T, sep string, stages ...string) []bboxRow {
	if len(stages) == 0 {
		stages = []string{"Complete"}
	}
	t.Helper()
	f, err := os.Open(sampleFile)
	require.NoError(t, err)
	defer f.Close()
	var out []bboxRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var a struct {
			Asset      string `json:"asset"`
			ExternalID string `json:"externalId"`
			Task       struct {
				StageID string `json:"stageId"`
				Tools   []struct {
					Title string             `json:"title"`
					Box   map[string]float64 `json:"bounding-box"`
				} `json:"tools"`
			} `json:"task"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &a))
		if !slices.Contains(stages, a.Task.StageID) {
			continue
		}
		var boxes []string
		for _, tool := range a.Task.Tools {
			if tool.Box == nil {
				continue
			}
			parts := []string{tool.Title}
			for _, k := range []string{"x", "y", "width", "height"} {
				parts = append(parts, strconv.Itoa(int(math.RoundToEven(tool.Box[k]))))
			}
			boxes = append(boxes, strings.Join(parts, " "))
		}
		out = append(out, bboxRow{ExternalID: a.ExternalID, URL: a.Asset, Annotations: strings.Join(boxes, sep)})
	}
	require.NoError(t, sc.Err())
	return out
}

// bboxesOf reads the rows of the example's zip.
func bboxesOf(t *testing.T, b []byte, projectID string) []bboxRow {
	t.Helper()
	entries := zipEntries(t, b)
	require.Len(t, entries, 1)
	var rows []bboxRow
	require.NoError(t, json.Unmarshal([]byte(entries[projectID+".json"]), &rows), "entries: %v", entries)
	return rows
}

// zipEntries reads a zip into entry name -> content.
func zipEntries(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		c, err := io.ReadAll(rc)
		rc.Close()
		require.NoError(t, err)
		out[f.Name] = string(c)
	}
	return out
}

// sseEvent is one event of a text/event-stream.
type sseEvent struct {
	ID, Name, Data string
}

// readSSE reads a whole event stream (until the server ends it).
func readSSE(t *testing.T, h *testHub, path string) []sseEvent {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set(auth.HeaderAPIKey, h.AdminKey)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	var out []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.Name != "" {
				out = append(out, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "id: "):
			cur.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			cur.Name = line[7:]
		case strings.HasPrefix(line, "data: "):
			cur.Data = line[6:]
		}
	}
	return out
}

func TestInterop_WS(t *testing.T) {
	t.Parallel()
	requirePython(t)
	h := startHub(t, nil, nil)

	t.Run("BBoxesEndToEnd", func(t *testing.T) {
		t.Parallel()
		p := h.newPlugin(t, map[string]any{"defaultConfig": map[string]any{"separator-character": "\n"}})
		py := startPython(t, h, p, nil)
		h.waitInstances(t, p.ID, 1)
		inst := h.plugin(t, p.ID).Instances[0]
		require.Contains(t, inst.RemoteAddr, "127.0.0.1")
		require.False(t, inst.LastHeartbeat.IsZero())

		run := h.startRun(t, p.ID, map[string]any{"configJSON": `{"separator-character": ";"}`})
		require.NotEqual(t, string(store.RunFailed), run.Status, run.Message)
		require.Equal(t, int64(3), run.NumTasks)
		stream := make(chan []sseEvent, 1)
		go func() { stream <- readSSE(t, h, "/api/runs/"+run.ID+"/logs/stream") }()

		end := h.waitEnd(t, run.ID, 60*time.Second)
		require.Equal(t, string(store.RunSucceeded), end.Status, "message: %s", end.Message)
		require.NotEmpty(t, end.ExportID)
		require.NotNil(t, end.StartedAt)
		require.NotNil(t, end.EndedAt)

		// The run request arrived exactly as the protocol says.
		req := py.waitEvent(t, "plugin")["request"].(map[string]any)
		require.Equal(t, run.ID, req["session"])
		require.Equal(t, h.project, req["projectId"])
		require.Equal(t, h.OrgID, req["orgId"])
		require.Equal(t, h.AdminID, req["runBy"])
		require.Equal(t, `{"separator-character": ";"}`, req["configJSON"])
		require.Nil(t, req["stage"])
		require.Equal(t, []any{}, req["batches"])
		require.Equal(t, p.ID, req["pluginId"])
		require.True(t, strings.HasPrefix(req["apiKey"].(string), auth.RunTokenPrefix), "got apiKey %q, want a run token", req["apiKey"])
		require.ElementsMatch(t, slices.Collect(maps.Keys(wiretest.Object(t, "run-request-defaults"))), slices.Collect(maps.Keys(req)),
			"the Python client got the keys of the golden run request")

		// The download is byte for byte what the callback produced.
		got := h.download(t, end.ExportID)
		require.Equal(t, py.zipOf(t, run.ID), got)
		require.Equal(t, expectedBBoxes(t, ";"), bboxesOf(t, got, h.project))
		var exp hubapi.ExportResponse
		h.JSON(t, http.MethodGet, "/api/exports/"+end.ExportID, h.AdminKey, nil, http.StatusOK, &exp)
		require.Regexp(t, `^interop_[0-9a-f]+-bboxes_[0-9a-f]+-\d{8}T\d{6}Z\.zip$`, exp.FileName)
		require.Equal(t, int64(len(got)), exp.Size)
		require.Len(t, exp.SHA256, 64)
		require.Equal(t, run.ID, exp.RunID)

		// The log line kept its level, message and extra keys.
		logs := h.logs(t, run.ID)
		require.NotEmpty(t, logs)
		var line *hubapi.RunLogLine
		for _, l := range logs {
			if l.Msg == "converted assets" {
				line = l
			}
		}
		require.NotNil(t, line, "got logs %v, want the callback's line", logs)
		require.Equal(t, "INFO", line.Level)
		require.JSONEq(t, `{"assets": 2, "separator": ";"}`, string(line.Extra), "the SDK exports stage Complete by default: 2 of the 3 assets")
		require.False(t, line.Time.IsZero())

		// The live stream carried the same lines, then the end.
		evs := <-stream
		require.NotEmpty(t, evs)
		last := evs[len(evs)-1]
		require.Equal(t, "end", last.Name)
		var endEv hubapi.RunEndEvent
		require.NoError(t, json.Unmarshal([]byte(last.Data), &endEv))
		require.Equal(t, string(store.RunSucceeded), endEv.Status)
		require.Equal(t, end.ExportID, endEv.ExportID)
		require.Len(t, evs, len(logs)+1)
		for i, l := range logs {
			require.Equal(t, strconv.FormatInt(l.Seq, 10), evs[i].ID)
		}

		// Resuming after the last line gives just the end.
		again := readSSE(t, h, "/api/runs/"+run.ID+"/logs/stream?after="+strconv.FormatInt(logs[len(logs)-1].Seq, 10))
		require.Len(t, again, 1)
		require.Equal(t, "end", again[0].Name)

		// The user who ran it was notified, with the download link.
		note := h.waitNotification(t, run.ID)
		require.Regexp(t, `^Export ready: interop_[0-9a-f]+-bboxes_[0-9a-f]+-\d{8}T\d{6}Z\.zip — Download$`, note.Title)
		require.Equal(t, runs.ExportDownloadPath(end.ExportID), note.Link)
		require.False(t, note.Read)

		// The run token is revoked with the run.
		resp := h.Do(t, http.MethodGet, "/v2/project/"+h.project, req["apiKey"].(string), nil)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	})

	t.Run("StageFilters", func(t *testing.T) {
		t.Parallel()
		p := h.newPlugin(t, map[string]any{})
		py := startPython(t, h, p, map[string]string{"MODE": "ids"})
		h.waitInstances(t, p.ID, 1)
		for _, tc := range []struct {
			name  string
			stage any
			want  string
		}{
			// No stage chosen: the run request says null, the SDK still
			// asks for stage=["Complete"].
			{"NoneChosen", nil, "street-001.jpg\nstreet-002.jpg\nstage: null\n"},
			{"OneStage", []string{"Label"}, "street-003.jpg\nstage: Label\n"},
			{"TwoStages", []string{"Complete", "Label"}, "street-001.jpg\nstreet-002.jpg\nstreet-003.jpg\nstage: Complete, Label\n"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := map[string]any{}
				if tc.stage != nil {
					body["stage"] = tc.stage
				}
				run := h.startRun(t, p.ID, body)
				end := h.waitEnd(t, run.ID, 60*time.Second)
				require.Equal(t, string(store.RunSucceeded), end.Status, "message: %s", end.Message)
				req := py.requestOf(t, run.ID)
				if tc.stage == nil {
					require.Nil(t, req["stage"], "no stage chosen is null in the run request")
				} else {
					require.Equal(t, tc.stage, toStrings(req["stage"]), "the run request's stage is a list of stage ids")
				}
				require.Equal(t, tc.want, zipEntries(t, h.download(t, end.ExportID))["ids.txt"])
			})
		}
	})

	t.Run("LegacyAssetsInDefaultExport", func(t *testing.T) {
		t.Parallel()
		// Assets in the legacy tasks/objects shape have no stage: they are
		// imported in Complete, so the SDK's default filter finds them.
		legacy, err := os.ReadFile(legacySample)
		require.NoError(t, err)
		var p hubapi.ProjectResponse
		h.JSON(t, http.MethodPost, "/api/projects", h.AdminKey, map[string]any{"name": "legacy " + store.NewID()[:6]}, http.StatusCreated, &p)
		h.JSON(t, http.MethodPost, "/api/projects/"+p.ID+"/import", h.AdminKey, legacy, http.StatusOK, nil)
		plug := h.newPlugin(t, map[string]any{})
		h.JSON(t, http.MethodPost, "/api/projects/"+p.ID+"/plugins/"+plug.ID, h.AdminKey, nil, http.StatusOK, nil)
		startPython(t, h, plug, map[string]string{"MODE": "ids"})
		h.waitInstances(t, plug.ID, 1)
		var run hubapi.RunResponse
		h.JSON(t, http.MethodPost, "/api/projects/"+p.ID+"/plugins/"+plug.ID+"/runs", h.AdminKey, map[string]any{}, http.StatusCreated, &run)
		end := h.waitEnd(t, run.ID, 60*time.Second)
		require.Equal(t, string(store.RunSucceeded), end.Status, "message: %s", end.Message)
		require.Equal(t, "parking-17.png\nstage: null\n", zipEntries(t, h.download(t, end.ExportID))["ids.txt"])
		for _, l := range h.logs(t, run.ID) {
			require.NotEqual(t, "WARNING", l.Level, "no empty-export warning: %s", l.Msg)
		}
	})

	t.Run("StageReport", func(t *testing.T) {
		t.Parallel()
		// The review stage is listed first but placed right of Label: a
		// stage report orders stages by position.x.
		pid := h.newProjectWith(t, map[string]any{"name": "report " + store.NewID()[:6], "stages": []any{
			map[string]any{"id": "5c0ffee0-1111-4222-8333-944445555666", "name": "QA Review", "type": "Review", "position": map[string]any{"x": 200, "y": 0}},
			map[string]any{"id": "Label", "name": "Labeling", "type": "Label", "position": map[string]any{"x": 100, "y": 0}},
		}}, sampleFile)
		p := h.newPlugin(t, map[string]any{})
		h.JSON(t, http.MethodPost, "/api/projects/"+pid+"/plugins/"+p.ID, h.AdminKey, nil, http.StatusOK, nil)
		startPython(t, h, p, map[string]string{"MODE": "stage-report"})
		h.waitInstances(t, p.ID, 1)
		var run hubapi.RunResponse
		h.JSON(t, http.MethodPost, "/api/projects/"+pid+"/plugins/"+p.ID+"/runs", h.AdminKey, map[string]any{}, http.StatusCreated, &run)
		end := h.waitEnd(t, run.ID, 60*time.Second)
		require.Equal(t, string(store.RunSucceeded), end.Status, "message: %s", end.Message)
		require.Equal(t, "externalId,Labeling [Label],QA Review [Review]\n"+
			"street-001.jpg,labeler.one@example.com,reviewer.one@example.com\n"+
			"street-002.jpg,labeler.two@example.com,\n", zipEntries(t, h.download(t, end.ExportID))["stage_report.csv"])
	})

	// reportProject is a project with a review stage holding the sample and
	// the legacy asset (which has no stage history), with plugin p enabled.
	reportProject := func(t *testing.T, p *hubapi.PluginSecretResponse) string {
		pid := h.newProjectWith(t, map[string]any{"name": "report " + store.NewID()[:6], "stages": []any{
			map[string]any{"id": "5c0ffee0-1111-4222-8333-944445555666", "name": "QA Review", "type": "Review", "position": map[string]any{"x": 200, "y": 0}},
			map[string]any{"id": "Label", "name": "Labeling", "type": "Label", "position": map[string]any{"x": 100, "y": 0}},
		}}, sampleFile)
		legacy, err := os.ReadFile(legacySample)
		require.NoError(t, err)
		h.JSON(t, http.MethodPost, "/api/projects/"+pid+"/import", h.AdminKey, legacy, http.StatusOK, nil)
		h.JSON(t, http.MethodPost, "/api/projects/"+pid+"/plugins/"+p.ID, h.AdminKey, nil, http.StatusOK, nil)
		return pid
	}
	runOn := func(t *testing.T, pid, pluginID string, body map[string]any) *hubapi.RunResponse {
		var run hubapi.RunResponse
		h.JSON(t, http.MethodPost, "/api/projects/"+pid+"/plugins/"+pluginID+"/runs", h.AdminKey, body, http.StatusCreated, &run)
		end := h.waitEnd(t, run.ID, 60*time.Second)
		require.Equal(t, string(store.RunSucceeded), end.Status, "message: %s", end.Message)
		return end
	}

	t.Run("ThroughputReport", func(t *testing.T) {
		t.Parallel()
		// A throughput report over stageHistory in a date range, paging
		// get_assets 3 assets at a time until total: street-001's Label
		// and review are in range, street-002's Label (11:02) is not,
		// street-003 and the legacy asset have no completed entry.
		p := h.newPlugin(t, map[string]any{})
		pid := reportProject(t, p)
		startPython(t, h, p, map[string]string{"MODE": "throughput"})
		h.waitInstances(t, p.ID, 1)
		end := runOn(t, pid, p.ID, map[string]any{"configJSON": `{"from": "2024-03-04T09:55:00.000Z", "to": "2024-03-04T11:00:00.000Z", "page_size": 3}`})
		require.Equal(t, "user,stage,tasks,seconds\n"+
			"labeler.one@example.com,Labeling,1,185.0\n"+
			"reviewer.one@example.com,QA Review,1,60.0\n", zipEntries(t, h.download(t, end.ExportID))["throughput.csv"])
		var read *hubapi.RunLogLine
		for _, l := range h.logs(t, end.ID) {
			if l.Msg == "read assets" {
				read = l
			}
		}
		require.NotNil(t, read, "the plugin logs its paging")
		require.JSONEq(t, `{"pages": 2, "assets": 4, "total": 4}`, string(read.Extra), "two pages of 3 until total")

		wide := runOn(t, pid, p.ID, map[string]any{"configJSON": `{"from": "2024-01-01T00:00:00.000Z", "to": "2025-01-01T00:00:00.000Z", "page_size": 1000}`})
		require.Equal(t, "user,stage,tasks,seconds\n"+
			"labeler.one@example.com,Labeling,1,185.0\n"+
			"labeler.two@example.com,Labeling,1,12.0\n"+
			"reviewer.one@example.com,QA Review,1,60.0\n", zipEntries(t, h.download(t, wide.ExportID))["throughput.csv"])
	})

	t.Run("SDKTour", func(t *testing.T) {
		t.Parallel()
		// The SDK's other read calls, with the run's token.
		p := h.newPlugin(t, map[string]any{})
		pid := reportProject(t, p)
		startPython(t, h, p, map[string]string{"MODE": "sdk-tour"})
		h.waitInstances(t, p.ID, 1)
		end := runOn(t, pid, p.ID, map[string]any{})
		var tour map[string]any
		require.NoError(t, json.Unmarshal([]byte(zipEntries(t, h.download(t, end.ExportID))["tour.json"]), &tour))
		require.Equal(t, []any{pid}, tour["projects"], "a run token lists its own project")
		require.EqualValues(t, 1, tour["projectsTotal"])
		require.Equal(t, []any{
			map[string]any{"_id": "65f0a1b2c3d4e5f600000002", "externalId": "street-002.jpg", "stage": "Complete", "status": "Completed"},
			map[string]any{"_id": "65f0a1b2c3d4e5f600000001", "externalId": "street-001.jpg", "stage": "Complete", "status": "Completed"},
			map[string]any{"_id": "6362a0b1c2d3e4f500000301", "externalId": "parking-17.png", "stage": "Complete", "status": "Completed"},
		}, tour["completed"])
		require.EqualValues(t, 3, tour["completedTotal"])
		require.Equal(t, map[string]any{"street-003.jpg": float64(0)}, tour["labelStageTools"])
		require.Equal(t, []any{"street-002.jpg"}, tour["filtered"])
		require.Equal(t, map[string]any{"externalId": "street-002.jpg", "stage": "Complete", "status": "Completed",
			"updatedBy": "labeler.two@example.com", "duration": float64(12000)}, tour["task"])
		require.Equal(t, []any{[]any{"Start", nil, float64(0)}, []any{"Label", "labeler.two@example.com", float64(0)}}, tour["history"])
		require.Equal(t, map[string]any{"Start": float64(0), "Label": float64(1), "5c0ffee0-1111-4222-8333-944445555666": float64(0),
			"Complete": float64(3)}, tour["stageGroups"], "street-003 is in Label, the others in Complete")
		require.Equal(t, map[string]any{"status": "fail", "code": "bad_request",
			"message": `metric "TimePerTask" is not served; this hub serves LabelStageGroups, AssetSize`}, tour["unknownMetric"])
		require.Equal(t, map[string]any{"content": "Box misses the mirror", "status": "Open", "position": "[120.5, 80]",
			"objectId": "obj-1", "errorCode": "BOX-LOOSE", "stageId": "Complete", "labelTask": "65f0a1b2c3d4e5f600000002"},
			tour["created"], "create_issue sends the position as a string, as the SDK does")
		require.Equal(t, []any{"Fixed it"}, tour["comments"])
		require.Equal(t, "Resolved", tour["updatedStatus"])
		require.Equal(t, []any{[]any{true, "Resolved"}}, tour["listed"])
		require.Equal(t, map[string]any{"status": "fail", "code": "forbidden", "message": "a run token may not delete issues"}, tour["deleteByRunToken"])
		require.Equal(t, map[string]any{"status": "fail", "code": "not_found", "message": "labelTask nope: no such task"}, tour["noTask"])
	})

	t.Run("IssueReport", func(t *testing.T) {
		t.Parallel()
		// An issue report: the issue export, the stages by position.x, the
		// stage history of each issue's asset paging get_assets 2 at a time.
		p := h.newPlugin(t, map[string]any{})
		pid := reportProject(t, p)
		issues, err := os.ReadFile("../testdata/issues/ango_issues.json")
		require.NoError(t, err)
		h.JSON(t, http.MethodPost, "/api/projects/"+pid+"/issues/import", h.AdminKey, issues, http.StatusOK, nil)
		startPython(t, h, p, map[string]string{"MODE": "issue-report"})
		h.waitInstances(t, p.ID, 1)
		end := runOn(t, pid, p.ID, map[string]any{"configJSON": `{"page_size": 2}`})
		files := zipEntries(t, h.download(t, end.ExportID))
		require.Equal(t, "External ID,Batch,Issue ID,Stage,Created By,Created At - Date,Status,Error Code,Content,Comments,Labeler [Labeling],Reviewer [QA Review]\n"+
			"street-001.jpg,\"batch-a, night-shots\",66a0b1c2d3e4f50000000101,QA Review,reviewer.one@example.com,2024-03-04,Open,BOX-LOOSE,The car box misses the side mirror,labeler.one@example.com: Extended it,labeler.one@example.com,reviewer.one@example.com\n"+
			"street-001.jpg,\"batch-a, night-shots\",66a0b1c2d3e4f50000000102,QA Review,reviewer.one@example.com,2024-03-04,Resolved,CLASS-WRONG,Wrong weather class,,labeler.one@example.com,reviewer.one@example.com\n"+
			"street-002.jpg,batch-a,66a0b1c2d3e4f50000000103,Label,lead@example.com,2024-03-04,Open,OBJ-MISSING,Missing pedestrian on the left,\"labeler.two@example.com: Added\nlead@example.com: Thanks\",labeler.two@example.com,\n"+
			"street-999.jpg,,66a0b1c2d3e4f50000000104,Labeling,reviewer.one@example.com,2024-03-05,Open,,Frame out of focus,,,\n",
			files["issues.csv"])
		require.Equal(t, "Labeler [Labeling],Error Code,issues\n"+
			"labeler.one@example.com,BOX-LOOSE,1\n"+
			"labeler.one@example.com,CLASS-WRONG,1\n"+
			"labeler.two@example.com,OBJ-MISSING,1\n", files["error_codes.csv"])
		var read *hubapi.RunLogLine
		for _, l := range h.logs(t, end.ID) {
			if l.Msg == "read assets" {
				read = l
			}
		}
		require.NotNil(t, read)
		require.JSONEq(t, `{"pages": 2, "assets": 4, "total": 4}`, string(read.Extra))
	})

	t.Run("EmptyExportWarns", func(t *testing.T) {
		t.Parallel()
		p := h.newPlugin(t, map[string]any{})
		startPython(t, h, p, map[string]string{"MODE": "ids"})
		h.waitInstances(t, p.ID, 1)
		run := h.startRun(t, p.ID, map[string]any{"stage": []string{"Start"}})
		end := h.waitEnd(t, run.ID, 60*time.Second)
		require.Equal(t, string(store.RunSucceeded), end.Status, "message: %s", end.Message)
		var warned bool
		for _, l := range h.logs(t, run.ID) {
			warned = warned || (l.Level == "WARNING" && strings.HasPrefix(l.Msg, "the export holds 0 assets: nothing in project"))
		}
		require.True(t, warned, "an export of 0 assets is not a silent success")
	})

	t.Run("PluginKilledMidRun", func(t *testing.T) {
		t.Parallel()
		p := h.newPlugin(t, map[string]any{})
		py := startPython(t, h, p, map[string]string{"MODE": "block"})
		h.waitInstances(t, p.ID, 1)
		run := h.startRun(t, p.ID, nil)
		waittest.Within(t, 20*time.Second, "run running", func() bool { return h.run(t, run.ID).Status == string(store.RunRunning) })
		py.kill()
		end := h.waitEnd(t, run.ID, 20*time.Second)
		require.Equal(t, string(store.RunLost), end.Status)
		require.Equal(t, gateway.MsgInstanceDisconnected, end.Message)
		h.waitInstances(t, p.ID, 0)
	})

	t.Run("PluginKilledMidRunRetried", func(t *testing.T) {
		t.Parallel()
		p := h.newPlugin(t, map[string]any{})
		blocked := startPython(t, h, p, map[string]string{"MODE": "block"})
		h.waitInstances(t, p.ID, 1)
		run := h.startRun(t, p.ID, map[string]any{"retries": 1})
		require.Equal(t, 1, run.Retries)
		waittest.Within(t, 20*time.Second, "run running", func() bool { return h.run(t, run.ID).Status == string(store.RunRunning) })
		// A second process of the plugin comes online, then the first
		// dies: the run goes to the second.
		second := startPython(t, h, p, nil)
		h.waitInstances(t, p.ID, 2)
		blocked.kill()
		end := h.waitEnd(t, run.ID, 60*time.Second)
		require.Equal(t, string(store.RunSucceeded), end.Status, "message: %s", end.Message)
		require.Equal(t, 2, end.Attempt)
		require.Equal(t, []string{run.ID}, second.sessions(t), "the second process did the run")
		require.Equal(t, second.zipOf(t, run.ID), h.download(t, end.ExportID))
		var retried bool
		for _, l := range h.logs(t, run.ID) {
			retried = retried || (l.Level == "WARNING" && l.Msg == "plugin instance lost; retrying (attempt 2 of 2)")
		}
		require.True(t, retried, "want the retry in the run's log")
	})

	t.Run("WrongSecret", func(t *testing.T) {
		t.Parallel()
		p := h.newPlugin(t, map[string]any{})
		py := startPython(t, h, p, map[string]string{"PLUGIN_SECRET": "00000000-0000-4000-8000-000000000000"})
		ev := py.waitEvent(t, "error")
		require.Equal(t, map[string]any{"message": gateway.MsgInvalidSecret}, ev["data"])
		py.waitEvent(t, "disconnected")
		require.Empty(t, h.plugin(t, p.ID).Instances)
	})

	t.Run("NeverAnswers", func(t *testing.T) {
		t.Parallel()
		p := h.newPlugin(t, map[string]any{"runTimeout": "2s"})
		startPython(t, h, p, map[string]string{"MODE": "block"})
		h.waitInstances(t, p.ID, 1)
		run := h.startRun(t, p.ID, nil)
		end := h.waitEnd(t, run.ID, 20*time.Second)
		require.Equal(t, string(store.RunTimedOut), end.Status)
		require.Equal(t, "no response from the plugin within 2s", end.Message)
		// The instance stays connected: only the run ended.
		require.Len(t, h.plugin(t, p.ID).Instances, 1)
	})

	t.Run("CallbackRaises", func(t *testing.T) {
		t.Parallel()
		p := h.newPlugin(t, map[string]any{})
		startPython(t, h, p, map[string]string{"MODE": "raise"})
		h.waitInstances(t, p.ID, 1)
		run := h.startRun(t, p.ID, nil)
		end := h.waitEnd(t, run.ID, 30*time.Second)
		require.Equal(t, string(store.RunFailed), end.Status)
		require.Equal(t, runs.MsgPluginError, end.Message)
		require.Empty(t, end.ExportID)
		require.Equal(t, "Export failed: "+p.Name+" — "+runs.MsgPluginError, h.waitNotification(t, run.ID).Title)
	})

	t.Run("UploadMissing", func(t *testing.T) {
		t.Parallel()
		p := h.newPlugin(t, map[string]any{})
		startPython(t, h, p, map[string]string{"MODE": "skip-put"})
		h.waitInstances(t, p.ID, 1)
		run := h.startRun(t, p.ID, nil)
		end := h.waitEnd(t, run.ID, 30*time.Second)
		require.Equal(t, string(store.RunFailed), end.Status)
		require.Equal(t, "upload failed: nothing was uploaded as "+h.project+".zip", end.Message)
	})

	t.Run("NoInstanceOnline", func(t *testing.T) {
		t.Parallel()
		p := h.newPlugin(t, map[string]any{})
		run := h.startRun(t, p.ID, nil)
		require.Equal(t, string(store.RunFailed), run.Status)
		require.Equal(t, runs.MsgNoInstance, run.Message)
		require.NotNil(t, run.EndedAt)
	})

	t.Run("TwoInstancesShareRuns", func(t *testing.T) {
		t.Parallel()
		p := h.newPlugin(t, map[string]any{})
		a := startPython(t, h, p, nil)
		b := startPython(t, h, p, nil)
		h.waitInstances(t, p.ID, 2)
		const n = 6
		ids := map[string]bool{}
		for range n {
			ids[h.startRun(t, p.ID, nil).ID] = true
		}
		instances := map[string]int{}
		for id := range ids {
			end := h.waitEnd(t, id, 60*time.Second)
			require.Equal(t, string(store.RunSucceeded), end.Status, "run %s: %s", id, end.Message)
			instances[end.InstanceID]++
		}
		require.Len(t, instances, 2, "got runs on %v, want both instances used", instances)
		got := append(a.sessions(t), b.sessions(t)...)
		sort.Strings(got)
		want := make([]string, 0, n)
		for id := range ids {
			want = append(want, id)
		}
		sort.Strings(want)
		require.Equal(t, want, got, "want each run done exactly once, by one instance")
		require.NotEmpty(t, a.sessions(t))
		require.NotEmpty(t, b.sessions(t))
	})

	t.Run("Cancel", func(t *testing.T) {
		t.Parallel()
		p := h.newPlugin(t, map[string]any{})
		py := startPython(t, h, p, map[string]string{"MODE": "block"})
		h.waitInstances(t, p.ID, 1)
		run := h.startRun(t, p.ID, nil)
		py.waitEvent(t, "plugin")
		var out hubapi.RunResponse
		h.JSON(t, http.MethodPost, "/api/runs/"+run.ID+"/cancel", h.AdminKey, nil, http.StatusOK, &out)
		require.Equal(t, string(store.RunCancelled), out.Status)
		require.Equal(t, runs.MsgCancelled, out.Message)
		// Our `cancel` event reached the plugin, which ignores it.
		ev := py.waitEvent(t, "cancel")
		require.Equal(t, map[string]any{"session": run.ID}, ev["data"])
		h.JSON(t, http.MethodPost, "/api/runs/"+run.ID+"/cancel", h.AdminKey, nil, http.StatusConflict, nil)
	})
}

func TestInterop_REST(t *testing.T) {
	t.Parallel()
	requirePython(t)
	ports := []int{freePort(t), freePort(t), freePort(t)}
	h := startHub(t, ports, nil)
	restPlugin := func(t *testing.T, port int, mode string) (*hubapi.PluginSecretResponse, *pyPlugin) {
		p := h.newPlugin(t, map[string]any{"connector": "rest", "baseUrl": "http://127.0.0.1:" + strconv.Itoa(port)})
		py := startPython(t, h, p, map[string]string{"CONNECTOR": "REST", "PORT": strconv.Itoa(port), "MODE": mode})
		py.waitEvent(t, "listening")
		h.waitInstances(t, p.ID, 1)
		return p, py
	}

	t.Run("BBoxesEndToEnd", func(t *testing.T) {
		t.Parallel()
		p, py := restPlugin(t, ports[0], "bboxes")
		inst := h.plugin(t, p.ID).Instances[0]
		require.Equal(t, store.ConnectorREST, inst.Connector)
		run := h.startRun(t, p.ID, map[string]any{"configJSON": `{"separator-character": "|"}`})
		end := h.waitEnd(t, run.ID, 60*time.Second)
		require.Equal(t, string(store.RunSucceeded), end.Status, "message: %s", end.Message)
		got := h.download(t, end.ExportID)
		require.Equal(t, py.zipOf(t, run.ID), got)
		require.Equal(t, expectedBBoxes(t, "|"), bboxesOf(t, got, h.project))
		var line *hubapi.RunLogLine
		for _, l := range h.logs(t, run.ID) {
			if l.Msg == "converted assets" {
				line = l
			}
		}
		require.NotNil(t, line)
		require.Equal(t, "INFO", line.Level)
		require.JSONEq(t, `{"assets": 2, "separator": "|"}`, string(line.Extra), "the SDK exports stage Complete by default: 2 of the 3 assets")
	})

	t.Run("CallbackRaises", func(t *testing.T) {
		t.Parallel()
		p, _ := restPlugin(t, ports[1], "raise")
		run := h.startRun(t, p.ID, nil)
		end := h.waitEnd(t, run.ID, 30*time.Second)
		require.Equal(t, string(store.RunFailed), end.Status)
		require.Equal(t, runs.MsgPluginError, end.Message)
		var found bool
		for _, l := range h.logs(t, run.ID) {
			found = found || l.Msg == "about to fail"
		}
		require.True(t, found, "want the log line sent before the failure")
	})

	t.Run("PluginKilledMidRun", func(t *testing.T) {
		t.Parallel()
		p, py := restPlugin(t, ports[2], "block")
		run := h.startRun(t, p.ID, nil)
		waittest.Within(t, 20*time.Second, "run running", func() bool { return h.run(t, run.ID).Status == string(store.RunRunning) })
		py.kill()
		end := h.waitEnd(t, run.ID, 20*time.Second)
		require.Equal(t, string(store.RunLost), end.Status)
		// Whichever the hub notices first: the run's connection breaking
		// or the next heartbeat failing.
		require.Contains(t, []string{gateway.MsgInstanceDisconnected, gateway.MsgRESTHeartbeatLost}, end.Message)
	})
}
