package hub_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/runs/runstest"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/waittest"
)

// runsBundle is a hub with a project of 4 assets (2 Complete in batch
// b1, 1 Label in b2, 1 Label in b1) for the plugin and run tests.
type runsBundle struct {
	h       *hubtest.Hub
	project *hubapi.ProjectResponse
}

// setupRuns starts a hub on backend with a short log flush interval.
func setupRuns(t *testing.T, backend hubtest.Backend, configure func(*hub.Config)) *runsBundle {
	t.Helper()
	h := hubtest.Start(t, &hubtest.Options{Backend: backend, Configure: func(c *hub.Config) {
		c.Runs.LogFlushInterval = 10 * time.Millisecond
		c.Runs.FollowInterval = 200 * time.Millisecond
		if configure != nil {
			configure(c)
		}
	}})
	p := createProject(t, h, h.AdminKey, map[string]any{"name": "runs"})
	body := ndjson(t, testAsset("a1", "Complete", "b1"), testAsset("a2", "Complete", "b1"), testAsset("a3", "Label", "b2"), testAsset("a4", "Label", "b1"))
	h.JSON(t, http.MethodPost, "/api/projects/"+p.ID+"/import", h.AdminKey, body, http.StatusOK, nil)
	h.JSON(t, http.MethodGet, "/api/projects/"+p.ID, h.AdminKey, nil, http.StatusOK, p)
	return &runsBundle{h: h, project: p}
}

// plugin creates a plugin from req (name defaulted) and enables it on the
// project.
func (rb *runsBundle) plugin(t *testing.T, req map[string]any) *hubapi.PluginSecretResponse {
	t.Helper()
	if req == nil {
		req = map[string]any{}
	}
	if req["name"] == nil {
		req["name"] = "plugin " + store.NewID()[:8]
	}
	var p hubapi.PluginSecretResponse
	rb.h.JSON(t, http.MethodPost, "/api/plugins", rb.h.AdminKey, req, http.StatusCreated, &p)
	rb.h.JSON(t, http.MethodPost, "/api/projects/"+rb.project.ID+"/plugins/"+p.ID, rb.h.AdminKey, nil, http.StatusOK, nil)
	return &p
}

// connect connects a Go plugin instance and waits until the hub lists it.
func (rb *runsBundle) connect(t *testing.T, p *hubapi.PluginSecretResponse, o runstest.Options) *runstest.Plugin {
	t.Helper()
	o.Host, o.ID, o.Secret = rb.h.URL, p.ID, p.Secret
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before := len(rb.pluginGet(t, p.ID).Instances)
	inst, err := runstest.Connect(ctx, o)
	require.NoError(t, err)
	t.Cleanup(inst.Close)
	waittest.For(t, "instance online", func() bool { return len(rb.pluginGet(t, p.ID).Instances) == before+1 })
	return inst
}

func (rb *runsBundle) pluginGet(t *testing.T, id string) *hubapi.PluginResponse {
	t.Helper()
	var p hubapi.PluginResponse
	rb.h.JSON(t, http.MethodGet, "/api/plugins/"+id, rb.h.AdminKey, nil, http.StatusOK, &p)
	return &p
}

// start posts a run and requires 201.
func (rb *runsBundle) start(t *testing.T, pluginID string, body any) *hubapi.RunResponse {
	t.Helper()
	var r hubapi.RunResponse
	rb.h.JSON(t, http.MethodPost, "/api/projects/"+rb.project.ID+"/plugins/"+pluginID+"/runs", rb.h.AdminKey, body, http.StatusCreated, &r)
	return &r
}

func (rb *runsBundle) run(t *testing.T, id string) *hubapi.RunResponse {
	t.Helper()
	var r hubapi.RunResponse
	rb.h.JSON(t, http.MethodGet, "/api/runs/"+id, rb.h.AdminKey, nil, http.StatusOK, &r)
	return &r
}

// waitEnd waits until a run ended and returns it.
func (rb *runsBundle) waitEnd(t *testing.T, id string) *hubapi.RunResponse {
	t.Helper()
	var r *hubapi.RunResponse
	waittest.For(t, "run "+id+" to end", func() bool {
		r = rb.run(t, id)
		return store.RunStatus(r.Status).Final()
	})
	return r
}

func (rb *runsBundle) logs(t *testing.T, id string) []*hubapi.RunLogLine {
	t.Helper()
	var out hubapi.RunLogsResponse
	rb.h.JSON(t, http.MethodGet, "/api/runs/"+id+"/logs", rb.h.AdminKey, nil, http.StatusOK, &out)
	return out.Logs
}

// failBody decodes an error answer.
func failBody(t *testing.T, b []byte) hubapi.FailResponse {
	t.Helper()
	var f hubapi.FailResponse
	require.NoError(t, json.Unmarshal(b, &f), "decode %s", b)
	return f
}

func TestRunAPI_Create(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		rb := setupRuns(t, b, nil)
		p := rb.plugin(t, map[string]any{"defaultConfig": `{"sep": ","}`})
		rb.connect(t, p, runstest.Options{})

		t.Run("Validation", func(t *testing.T) {
			for _, tc := range []struct {
				name   string
				body   any
				status int
				msg    string
			}{
				{"ConfigNotJSON", map[string]any{"configJSON": `{"a": `}, http.StatusBadRequest, "configJSON is not valid JSON at byte 6"},
				// The web UI's rule, now the hub's: a Config JSON is one object of at most 64 KiB.
				{"ConfigNotObject", map[string]any{"configJSON": `["coco"]`}, http.StatusBadRequest, "configJSON must be a JSON object, got an array"},
				{"ConfigValueNotObject", map[string]any{"configJSON": 3}, http.StatusBadRequest, "configJSON must be a JSON object, got a number"},
				{"ConfigTooLarge", map[string]any{"configJSON": `{"a": "` + strings.Repeat("x", 64<<10) + `"}`}, http.StatusRequestEntityTooLarge, "configJSON is 65545 bytes, larger than the limit of 65536 bytes"},
				{"UnknownStage", map[string]any{"stage": "Nope"}, http.StatusBadRequest, `stage project ` + rb.project.ID + ` has no stage "Nope"`},
				{"UnknownStageInList", map[string]any{"stage": []string{"Complete", "Nope"}}, http.StatusBadRequest, `stage project ` + rb.project.ID + ` has no stage "Nope"`},
				{"StageNotAList", map[string]any{"stage": 3}, http.StatusBadRequest, "stage must be a list of stage ids, a stage id or null"},
				{"UnknownBatch", map[string]any{"batches": []string{"b1", "zz"}}, http.StatusBadRequest, `batches[1] project ` + rb.project.ID + ` has no batch "zz"`},
				{"BodyNotJSON", `{"stage": ]`, http.StatusBadRequest, "request body is not valid JSON at byte 11"},
				{"TooManyRetries", map[string]any{"retries": 6}, http.StatusBadRequest, "retries must be from 0 to 5, got 6"},
				{"NegativeRetries", map[string]any{"retries": -1}, http.StatusBadRequest, "retries must be from 0 to 5, got -1"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got := rb.h.JSON(t, http.MethodPost, "/api/projects/"+rb.project.ID+"/plugins/"+p.ID+"/runs", rb.h.AdminKey, tc.body, tc.status, nil)
					require.Contains(t, failBody(t, got).Message, tc.msg)
				})
			}
		})

		t.Run("NotEnabled", func(t *testing.T) {
			var other hubapi.PluginSecretResponse
			rb.h.JSON(t, http.MethodPost, "/api/plugins", rb.h.AdminKey, map[string]any{"name": "not enabled"}, http.StatusCreated, &other)
			got := rb.h.JSON(t, http.MethodPost, "/api/projects/"+rb.project.ID+"/plugins/"+other.ID+"/runs", rb.h.AdminKey, nil, http.StatusConflict, nil)
			require.Contains(t, failBody(t, got).Message, "is not enabled on project")
		})

		t.Run("UnknownPlugin", func(t *testing.T) {
			rb.h.JSON(t, http.MethodPost, "/api/projects/"+rb.project.ID+"/plugins/"+store.NewID()+"/runs", rb.h.AdminKey, nil, http.StatusNotFound, nil)
		})

		t.Run("OtherOrganization", func(t *testing.T) {
			o := rb.h.NewOrg(t, "Other")
			rb.h.JSON(t, http.MethodPost, "/api/projects/"+rb.project.ID+"/plugins/"+p.ID+"/runs", o.AdminKey, nil, http.StatusNotFound, nil)
		})

		t.Run("FiltersAndDefaults", func(t *testing.T) {
			r := rb.start(t, p.ID, map[string]any{"stage": "Complete", "batches": []string{"b1"}})
			require.Equal(t, int64(2), r.NumTasks)
			require.Equal(t, []string{"Complete"}, r.Stage)
			require.Equal(t, `{"sep": ","}`, r.ConfigJSON, "got %s, want the plugin's default config", r.ConfigJSON)
			require.Len(t, r.Batches, 1)
			end := rb.waitEnd(t, r.ID)
			require.Equal(t, string(store.RunSucceeded), end.Status, end.Message)

			r = rb.start(t, p.ID, map[string]any{"stage": []string{"Label", "Complete"}})
			require.Equal(t, int64(4), r.NumTasks, "a stage list selects the union of its stages")
			require.Equal(t, []string{"Label", "Complete"}, r.Stage)
			rb.waitEnd(t, r.ID)

			r = rb.start(t, p.ID, map[string]any{"configJSON": map[string]any{"sep": ";"}})
			require.Equal(t, int64(4), r.NumTasks)
			require.Equal(t, []string{}, r.Stage)
			require.JSONEq(t, `{"sep": ";"}`, r.ConfigJSON)
			rb.waitEnd(t, r.ID)
		})
	})
}

func TestRunAPI_Lifecycle(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b hubtest.Backend) {
		rb := setupRuns(t, b, nil)
		p := rb.plugin(t, nil)
		var got *gateway.RunRequest
		inst := rb.connect(t, p, runstest.Options{
			OnRequest: func(req *gateway.RunRequest, _ time.Time) { got = req },
			Handler: func(ctx context.Context, r *runstest.Run) (string, []byte, error) {
				r.Log("WARNING", "half way", map[string]any{"done": 2})
				return runstest.TinyZip(ctx, r)
			},
		})
		r := rb.start(t, p.ID, map[string]any{"configJSON": `{"x": 1}`, "batches": []string{"b2"}})
		require.NotNil(t, r.Deadline, "the answer to POST is the run, in whatever state it reached")
		end := rb.waitEnd(t, r.ID)
		require.Equal(t, string(store.RunSucceeded), end.Status, end.Message)
		require.Empty(t, inst.Errors())
		require.NotNil(t, got)
		require.Equal(t, r.ID, got.Session)
		require.Equal(t, `{"x": 1}`, got.ConfigJSON)
		require.Nil(t, got.Stage)
		require.Equal(t, int64(1), got.NumTasks)
		require.NotNil(t, end.DispatchedAt)
		require.NotNil(t, end.StartedAt)
		require.NotNil(t, end.EndedAt)
		require.NotEmpty(t, end.InstanceID)

		logs := rb.logs(t, r.ID)
		require.Len(t, logs, 1)
		require.Equal(t, "WARNING", logs[0].Level)
		require.Equal(t, "half way", logs[0].Msg)
		require.JSONEq(t, `{"done": 2}`, string(logs[0].Extra))

		var list hubapi.RunListResponse
		rb.h.JSON(t, http.MethodGet, "/api/projects/"+rb.project.ID+"/runs", rb.h.AdminKey, nil, http.StatusOK, &list)
		require.Equal(t, r.ID, list.Runs[0].ID)
		rb.h.JSON(t, http.MethodGet, "/api/runs?plugin="+p.ID+"&limit=1", rb.h.AdminKey, nil, http.StatusOK, &list)
		require.Len(t, list.Runs, 1)

		o := rb.h.NewOrg(t, "Other")
		rb.h.JSON(t, http.MethodGet, "/api/runs/"+r.ID, o.AdminKey, nil, http.StatusNotFound, nil)
		rb.h.JSON(t, http.MethodGet, "/api/runs/"+r.ID+"/logs", o.AdminKey, nil, http.StatusNotFound, nil)
		rb.h.JSON(t, http.MethodGet, "/api/runs/"+r.ID+"/logs/stream", o.AdminKey, nil, http.StatusNotFound, nil)
		rb.h.JSON(t, http.MethodPost, "/api/runs/"+r.ID+"/cancel", o.AdminKey, nil, http.StatusNotFound, nil)
		rb.h.JSON(t, http.MethodGet, "/api/runs", o.AdminKey, nil, http.StatusOK, &list)
		require.Empty(t, list.Runs)
	})
}

func TestRunAPI_Logs(t *testing.T) {
	t.Parallel()

	t.Run("BoundedWithDroppedNote", func(t *testing.T) {
		t.Parallel()
		rb := setupRuns(t, hubtest.SQLite, func(c *hub.Config) { c.Runs.MaxLogLines = 5 })
		p := rb.plugin(t, nil)
		rb.connect(t, p, runstest.Options{SkipExport: true, Handler: func(ctx context.Context, r *runstest.Run) (string, []byte, error) {
			for i := range 20 {
				r.Log("INFO", "line "+strconv.Itoa(i), nil)
			}
			return runstest.TinyZip(ctx, r)
		}})
		r := rb.start(t, p.ID, nil)
		end := rb.waitEnd(t, r.ID)
		require.Equal(t, string(store.RunSucceeded), end.Status, end.Message)
		logs := rb.logs(t, r.ID)
		require.Len(t, logs, 6)
		for i := range 5 {
			require.Equal(t, "line "+strconv.Itoa(i), logs[i].Msg)
		}
		require.Equal(t, "WARNING", logs[5].Level)
		require.Equal(t, "15 log lines dropped: a run keeps at most 5 lines", logs[5].Msg)
	})

	t.Run("LiveStreamResumes", func(t *testing.T) {
		t.Parallel()
		rb := setupRuns(t, hubtest.SQLite, nil)
		p := rb.plugin(t, nil)
		release := make(chan struct{})
		rb.connect(t, p, runstest.Options{SkipExport: true, Handler: func(ctx context.Context, r *runstest.Run) (string, []byte, error) {
			r.Log("INFO", "first", nil)
			r.Log("INFO", "second", nil)
			select {
			case <-release:
			case <-ctx.Done():
				return "", nil, ctx.Err()
			}
			r.Log("ERROR", "third", map[string]any{"k": "v"})
			return runstest.TinyZip(ctx, r)
		}})
		r := rb.start(t, p.ID, nil)

		// A first connection reads the two lines, then goes away.
		resp := openStream(t, rb.h, "/api/runs/"+r.ID+"/logs", "")
		evs := readEvents(t, resp, 2)
		resp.Body.Close()
		require.Equal(t, []string{"log", "log"}, []string{evs[0].name, evs[1].name})
		require.Contains(t, evs[1].data, `"msg":"second"`)

		// The reconnect resumes after the last id it saw.
		resp = openStream(t, rb.h, "/api/runs/"+r.ID+"/logs/stream", evs[1].id)
		defer resp.Body.Close()
		close(release)
		evs = readEvents(t, resp, 2)
		require.Equal(t, "log", evs[0].name)
		require.Contains(t, evs[0].data, `"msg":"third"`)
		require.Contains(t, evs[0].data, `"extra":{"k":"v"}`)
		require.Equal(t, "end", evs[1].name)
		require.Contains(t, evs[1].data, `"status":"succeeded"`)
	})

	t.Run("BadAfter", func(t *testing.T) {
		t.Parallel()
		rb := setupRuns(t, hubtest.SQLite, nil)
		p := rb.plugin(t, nil)
		r := rb.start(t, p.ID, nil)
		got := rb.h.JSON(t, http.MethodGet, "/api/runs/"+r.ID+"/logs?after=x", rb.h.AdminKey, nil, http.StatusBadRequest, nil)
		require.Contains(t, failBody(t, got).Message, `after must be a log sequence number (0 or more), got "x"`)
	})
}

// sseEv is one server-sent event.
type sseEv struct{ id, name, data string }

// openStream opens an event stream (via Accept on paths not ending in
// /stream) resuming after lastID when set.
func openStream(t *testing.T, h *hubtest.Hub, path, lastID string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set(auth.HeaderAPIKey, h.AdminKey)
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	return resp
}

// readEvents reads n events (keep-alive comments skipped).
func readEvents(t *testing.T, resp *http.Response, n int) []sseEv {
	t.Helper()
	out := make(chan []sseEv, 1)
	go func() {
		var evs []sseEv
		var cur sseEv
		sc := bufio.NewScanner(resp.Body)
		for len(evs) < n && sc.Scan() {
			line := sc.Text()
			switch {
			case line == "" && cur.name != "":
				evs = append(evs, cur)
				cur = sseEv{}
			case strings.HasPrefix(line, "id: "):
				cur.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				cur.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				cur.data = line[6:]
			}
		}
		out <- evs
	}()
	select {
	case evs := <-out:
		require.Len(t, evs, n)
		return evs
	case <-time.After(20 * time.Second):
		t.Fatalf("waiting for %d events", n)
		return nil
	}
}

func TestRunAPI_Faults(t *testing.T) {
	t.Parallel()
	rb := setupRuns(t, hubtest.SQLite, nil)

	t.Run("NoInstance", func(t *testing.T) {
		t.Parallel()
		p := rb.plugin(t, nil)
		r := rb.start(t, p.ID, nil)
		require.Equal(t, string(store.RunFailed), r.Status)
		require.Equal(t, runs.MsgNoInstance, r.Message)
		var notes hubapi.NotificationListResponse
		rb.h.JSON(t, http.MethodGet, "/api/notifications", rb.h.AdminKey, nil, http.StatusOK, &notes)
		found := false
		for _, n := range notes.Notifications {
			if n.RunID == r.ID {
				found = true
				require.Equal(t, "run_failed", n.Kind)
				require.Equal(t, fmt.Sprintf("Export failed: %s — %s", p.Name, runs.MsgNoInstance), n.Title)
				require.Equal(t, runs.RunPath(r.ID), n.Link)
			}
		}
		require.True(t, found)
	})

	t.Run("PluginError", func(t *testing.T) {
		t.Parallel()
		p := rb.plugin(t, nil)
		rb.connect(t, p, runstest.Options{SkipExport: true, Handler: func(context.Context, *runstest.Run) (string, []byte, error) {
			return "", nil, fmt.Errorf("boom")
		}})
		end := rb.waitEnd(t, rb.start(t, p.ID, nil).ID)
		require.Equal(t, string(store.RunFailed), end.Status)
		require.Equal(t, runs.MsgPluginError, end.Message)
	})

	t.Run("TimedOut", func(t *testing.T) {
		t.Parallel()
		p := rb.plugin(t, map[string]any{"runTimeout": 1})
		block := make(chan struct{})
		t.Cleanup(func() { close(block) })
		rb.connect(t, p, runstest.Options{SkipExport: true, Handler: func(ctx context.Context, r *runstest.Run) (string, []byte, error) {
			select {
			case <-block:
			case <-ctx.Done():
			}
			return "", nil, ctx.Err()
		}})
		end := rb.waitEnd(t, rb.start(t, p.ID, nil).ID)
		require.Equal(t, string(store.RunTimedOut), end.Status)
		require.Equal(t, "no response from the plugin within 1s", end.Message)
	})

	t.Run("ResponseForAnotherPluginsRunIgnored", func(t *testing.T) {
		t.Parallel()
		victim := rb.plugin(t, nil)
		block := make(chan struct{})
		t.Cleanup(func() { close(block) })
		rb.connect(t, victim, runstest.Options{SkipExport: true, Handler: func(ctx context.Context, r *runstest.Run) (string, []byte, error) {
			select {
			case <-block:
			case <-ctx.Done():
			}
			return "", nil, ctx.Err()
		}})
		r := rb.start(t, victim.ID, nil)

		attacker := rb.plugin(t, nil)
		evil := rb.connect(t, attacker, runstest.Options{})
		require.NoError(t, evil.Emit(gateway.EventLog, map[string]any{"level": "INFO", "session": r.ID, "msg": "injected"}))
		require.NoError(t, evil.Emit(gateway.EventResponse, map[string]any{"error": true, "session": r.ID}))
		// A response the hub does act on, sent after, proves the
		// attacker's events were processed (events of a socket are
		// handled in order).
		marker := rb.start(t, attacker.ID, nil)
		rb.waitEnd(t, marker.ID)
		got := rb.run(t, r.ID)
		require.False(t, store.RunStatus(got.Status).Final(), "got %s (%s), want the run untouched", got.Status, got.Message)
		require.Empty(t, rb.logs(t, r.ID))
	})

	t.Run("CancelTellsThePlugin", func(t *testing.T) {
		t.Parallel()
		p := rb.plugin(t, nil)
		rb.connect(t, p, runstest.Options{SkipExport: true, Handler: func(ctx context.Context, r *runstest.Run) (string, []byte, error) {
			<-ctx.Done()
			return "", nil, ctx.Err()
		}})
		r := rb.start(t, p.ID, nil)
		var out hubapi.RunResponse
		rb.h.JSON(t, http.MethodPost, "/api/runs/"+r.ID+"/cancel", rb.h.AdminKey, nil, http.StatusOK, &out)
		require.Equal(t, string(store.RunCancelled), out.Status)
		require.Equal(t, runs.MsgCancelled, out.Message)
		got := rb.h.JSON(t, http.MethodPost, "/api/runs/"+r.ID+"/cancel", rb.h.AdminKey, nil, http.StatusConflict, nil)
		require.Contains(t, failBody(t, got).Message, "already ended")
		// The instance is free again.
		require.Equal(t, 0, rb.pluginGet(t, p.ID).Instances[0].Runs)
	})
}
