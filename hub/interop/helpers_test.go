package interop_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/waittest"
)

// python is the interpreter Debian's python3-socketio loads in.
const python = "/usr/bin/python3"

// sampleFile is the AAF sample the plugin converts: 3 image assets.
const sampleFile = "testdata/image_small.ndjson"

// legacySample is an AAF sample in the legacy tasks/objects shape: one
// asset without a stage.
const legacySample = "testdata/legacy_v2_small.json"

// bboxesDir holds the seed's example conversion the Python plugin runs.
const bboxesDir = "../../examples/bboxes/python"

// requirePython skips the test when python lacks the plugin's modules,
// or fails it when CI=true.
func requirePython(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("Python interop test: skipped with -short (make test runs it)")
	}
	out, err := exec.Command(python, "-c", "import socketio, websocket, requests").CombinedOutput()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s cannot import socketio, websocket, requests (CI=true; install python3-socketio python3-websocket python3-requests): %v: %s", python, err, out)
	}
	t.Skipf("%s cannot import socketio, websocket, requests: %v", python, err)
}

// freePort returns a loopback TCP port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// testHub is a hub with a project holding the sample assets.
type testHub struct {
	*hubtest.Hub
	project string
}

// startHub starts a hub whose REST allow list holds restPorts.
func startHub(t *testing.T, restPorts []int, configure func(*hub.Config)) *testHub {
	t.Helper()
	h := hubtest.Start(t, &hubtest.Options{Configure: func(c *hub.Config) {
		c.Runs.AnonymousTimeout = 5 * time.Second
		c.Runs.RESTPollInterval = 100 * time.Millisecond
		c.Runs.LogFlushInterval = 20 * time.Millisecond
		c.Runs.FollowInterval = 500 * time.Millisecond
		for _, p := range restPorts {
			c.Runs.RESTAllowedURLs = append(c.Runs.RESTAllowedURLs, "http://127.0.0.1:"+strconv.Itoa(p))
		}
		if configure != nil {
			configure(c)
		}
	}})
	th := &testHub{Hub: h}
	th.project = th.newProject(t)
	return th
}

// newProject creates a project and imports the sample into it.
func (h *testHub) newProject(t *testing.T) string {
	t.Helper()
	var p hubapi.ProjectResponse
	h.JSON(t, http.MethodPost, "/api/projects", h.AdminKey, map[string]any{"name": "interop " + store.NewID()[:6]}, http.StatusCreated, &p)
	body, err := os.ReadFile(sampleFile)
	require.NoError(t, err)
	var imp hubapi.ImportResponse
	h.JSON(t, http.MethodPost, "/api/projects/"+p.ID+"/import", h.AdminKey, body, http.StatusOK, &imp)
	require.Equal(t, 3, imp.Imported)
	return p.ID
}

// newProjectWith creates a project from req and imports file into it.
func (h *testHub) newProjectWith(t *testing.T, req map[string]any, file string) string {
	t.Helper()
	var p hubapi.ProjectResponse
	h.JSON(t, http.MethodPost, "/api/projects", h.AdminKey, req, http.StatusCreated, &p)
	body, err := os.ReadFile(file)
	require.NoError(t, err)
	h.JSON(t, http.MethodPost, "/api/projects/"+p.ID+"/import", h.AdminKey, body, http.StatusOK, nil)
	return p.ID
}

// newPlugin creates a plugin, enables it on the project and returns it
// with its secret.
func (h *testHub) newPlugin(t *testing.T, req map[string]any) *hubapi.PluginSecretResponse {
	t.Helper()
	if req["name"] == nil {
		req["name"] = "bboxes " + store.NewID()[:6]
	}
	var p hubapi.PluginSecretResponse
	h.JSON(t, http.MethodPost, "/api/plugins", h.AdminKey, req, http.StatusCreated, &p)
	require.NotEmpty(t, p.Secret)
	h.JSON(t, http.MethodPost, "/api/projects/"+h.project+"/plugins/"+p.ID, h.AdminKey, nil, http.StatusOK, nil)
	return &p
}

// plugin returns GET /api/plugins/{id}.
func (h *testHub) plugin(t *testing.T, id string) *hubapi.PluginResponse {
	t.Helper()
	var p hubapi.PluginResponse
	h.JSON(t, http.MethodGet, "/api/plugins/"+id, h.AdminKey, nil, http.StatusOK, &p)
	return &p
}

// waitInstances waits until the plugin has n connected instances.
func (h *testHub) waitInstances(t *testing.T, id string, n int) {
	t.Helper()
	waittest.Within(t, 20*time.Second, strconv.Itoa(n)+" instances", func() bool { return len(h.plugin(t, id).Instances) == n })
}

// startRun posts a run and returns the answer.
func (h *testHub) startRun(t *testing.T, pluginID string, body map[string]any) *hubapi.RunResponse {
	t.Helper()
	var r hubapi.RunResponse
	h.JSON(t, http.MethodPost, "/api/projects/"+h.project+"/plugins/"+pluginID+"/runs", h.AdminKey, body, http.StatusCreated, &r)
	return &r
}

// run returns GET /api/runs/{id}.
func (h *testHub) run(t *testing.T, id string) *hubapi.RunResponse {
	t.Helper()
	var r hubapi.RunResponse
	h.JSON(t, http.MethodGet, "/api/runs/"+id, h.AdminKey, nil, http.StatusOK, &r)
	return &r
}

// waitEnd waits until a run is in a final state and returns it.
func (h *testHub) waitEnd(t *testing.T, id string, within time.Duration) *hubapi.RunResponse {
	t.Helper()
	var r *hubapi.RunResponse
	waittest.Within(t, within, "run "+id+" to end", func() bool {
		r = h.run(t, id)
		return store.RunStatus(r.Status).Final()
	})
	return r
}

// logs returns GET /api/runs/{id}/logs.
func (h *testHub) logs(t *testing.T, id string) []*hubapi.RunLogLine {
	t.Helper()
	var out hubapi.RunLogsResponse
	h.JSON(t, http.MethodGet, "/api/runs/"+id+"/logs", h.AdminKey, nil, http.StatusOK, &out)
	return out.Logs
}

// download returns the bytes of GET /api/exports/{id}/download.
func (h *testHub) download(t *testing.T, exportID string) []byte {
	t.Helper()
	resp := h.Do(t, http.MethodGet, "/api/exports/"+exportID+"/download", h.AdminKey, nil)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "download: %s", b)
	return b
}

// waitNotification waits for the notification of a run (it is made just
// after the run's status turns final).
func (h *testHub) waitNotification(t *testing.T, runID string) *hubapi.NotificationResponse {
	t.Helper()
	var note *hubapi.NotificationResponse
	waittest.Within(t, 20*time.Second, "notification of run "+runID, func() bool {
		var list hubapi.NotificationListResponse
		h.JSON(t, http.MethodGet, "/api/notifications", h.AdminKey, nil, http.StatusOK, &list)
		for _, n := range list.Notifications {
			if n.RunID == runID {
				note = n
			}
		}
		return note != nil
	})
	return note
}

// pyPlugin is a running Python plugin process.
type pyPlugin struct {
	cmd    *exec.Cmd
	outDir string
	mu     sync.Mutex
	events []map[string]any
	exited chan struct{}
}

// startPython runs the plugin script with env (HOST, PLUGIN_ID and
// PLUGIN_SECRET are set from h and p unless env has them).
func startPython(t *testing.T, h *testHub, p *hubapi.PluginSecretResponse, env map[string]string) *pyPlugin {
	t.Helper()
	script, err := filepath.Abs("testdata/ango_plugin.py")
	require.NoError(t, err)
	bboxes, err := filepath.Abs(bboxesDir)
	require.NoError(t, err)
	pp := &pyPlugin{outDir: t.TempDir(), exited: make(chan struct{})}
	base := map[string]string{
		"HOST": h.URL, "PLUGIN_ID": p.ID, "PLUGIN_SECRET": p.Secret, "OUT_DIR": pp.outDir, "BBOXES_DIR": bboxes,
		"PYTHONUNBUFFERED": "1", "PATH": os.Getenv("PATH"),
	}
	for k, v := range env {
		base[k] = v
	}
	pp.cmd = exec.Command(python, script)
	for k, v := range base {
		pp.cmd.Env = append(pp.cmd.Env, k+"="+v)
	}
	stdout, err := pp.cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	pp.cmd.Stderr = &stderr
	require.NoError(t, pp.cmd.Start())
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var ev map[string]any
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			pp.mu.Lock()
			pp.events = append(pp.events, ev)
			pp.mu.Unlock()
		}
		_ = pp.cmd.Wait()
		close(pp.exited)
	}()
	t.Cleanup(func() {
		pp.kill()
		if t.Failed() {
			t.Logf("plugin %s events: %v\nstderr:\n%s", p.ID, pp.eventsNamed(""), stderr.String())
		}
	})
	return pp
}

// kill ends the process at once (SIGKILL) and waits for it.
func (pp *pyPlugin) kill() {
	if pp.cmd.Process != nil {
		_ = pp.cmd.Process.Kill()
	}
	<-pp.exited
}

// eventsNamed returns the events named name ("" for all).
func (pp *pyPlugin) eventsNamed(name string) []map[string]any {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	var out []map[string]any
	for _, ev := range pp.events {
		if name == "" || ev["event"] == name {
			out = append(out, ev)
		}
	}
	return out
}

// waitEvent waits for an event named name.
func (pp *pyPlugin) waitEvent(t *testing.T, name string) map[string]any {
	t.Helper()
	var ev map[string]any
	waittest.Within(t, 20*time.Second, "plugin event "+name, func() bool {
		evs := pp.eventsNamed(name)
		if len(evs) > 0 {
			ev = evs[0]
		}
		return ev != nil
	})
	return ev
}

// requestOf returns the run request the plugin got for a session.
func (pp *pyPlugin) requestOf(t *testing.T, session string) map[string]any {
	t.Helper()
	for _, ev := range pp.eventsNamed("plugin") {
		if ev["session"] == session {
			return ev["request"].(map[string]any)
		}
	}
	t.Fatalf("the plugin got no run request for session %s", session)
	return nil
}

// toStrings converts a decoded JSON list of strings.
func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, s := range list {
		str, _ := s.(string)
		out = append(out, str)
	}
	return out
}

// zipOf returns the zip the plugin produced for a session.
func (pp *pyPlugin) zipOf(t *testing.T, session string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(pp.outDir, session+".zip"))
	require.NoError(t, err, "the plugin wrote no zip for session %s", session)
	return b
}

// sessions returns the sessions the plugin produced a zip for.
func (pp *pyPlugin) sessions(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir(pp.outDir)
	require.NoError(t, err)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name()[:len(e.Name())-len(".zip")])
	}
	return out
}
