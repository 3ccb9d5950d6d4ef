package plugintest

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sio "github.com/zishang520/socket.io/servers/socket/v3"

	"github.com/exporthub/exporthub/internal/waittest"
	"github.com/exporthub/exporthub/internal/wire"
)

// Defaults of a Hub's identities.
const (
	DefaultPluginID = "plugin-test"
	DefaultSecret   = "secret-test"
	DefaultAPIKey   = "apikey-test"
	DefaultProject  = "project-test"
)

// WaitTimeout bounds every Wait method of a Hub.
const WaitTimeout = 30 * time.Second

// MsgInvalidSecret is the message of the "error" event a Hub sends before
// it disconnects a plugin with a wrong id or secret, as the hub does.
const MsgInvalidSecret = "invalid plugin id or secret"

// RunRequest is a run request as the hub sends it (plugin-protocol section
// 4), encoded exactly as the hub encodes it. Zero fields get defaults in
// [Hub.Dispatch] and [Hub.PostRun]: a new session, DefaultProject,
// the hub's APIKey and ID, "{}" as config, "org-test" and "user-test".
type RunRequest = wire.RunRequest

// Log is a "log" event as the hub received it: the standard keys as
// fields, every other key in Extra.
type Log = wire.Log

// Result is a run's final "response" as the hub received it: Export for a
// successful export (URL returns its signed URL), Error for a failed run.
type Result = wire.Response

// Upload is a file a plugin PUT to the hub's storage.
type Upload struct {
	// Name is the file name given to getUploadUrl.
	Name string
	// Query is the getUploadUrl query (project, type, storageId, bucket).
	Query url.Values
	// Data is the uploaded content.
	Data []byte
	// ContentLength is the request's Content-Length (-1 when chunked).
	ContentLength int64
}

// Hub is an in-process hub for plugin tests. Its methods are safe for
// concurrent use.
type Hub struct {
	// ID and Secret are the credentials the hub accepts.
	ID, Secret string
	// APIKey is the run API key the /v2 endpoints accept; Dispatch and
	// PostRun send it in the run request.
	APIKey string

	t    testing.TB
	addr string

	mu          sync.Mutex
	http        *http.Server
	io          *sio.Server
	up          bool
	sockets     []*sio.Socket // authenticated, in connection order
	next        int           // round-robin dispatch
	connections int           // authenticated connections ever
	heartbeats  int
	rejected    int
	logs        []Log
	results     []Result
	exportFile  string
	exportFail  *failure
	exportQs    []url.Values
	uploads     map[string]*Upload
	uploadQs    []url.Values
	signedQs    []url.Values
	sessions    int
	projects    map[string]json.RawMessage
	projectFail *failure
	projectGets int
}

type failure struct {
	status int
	code   string
}

// NewHub starts a hub on a free loopback port, serving an empty export until
// [Hub.SetExportFile] is called. It is stopped by t.Cleanup.
func NewHub(t testing.TB) *Hub {
	t.Helper()
	h := &Hub{
		ID: DefaultPluginID, Secret: DefaultSecret, APIKey: DefaultAPIKey,
		t: t, uploads: map[string]*Upload{}, projects: map[string]json.RawMessage{},
	}
	empty := filepath.Join(t.TempDir(), "empty.ndjson")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatalf("plugintest: %v", err)
	}
	h.SetExportFile(t, empty)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("plugintest: listen: %v", err)
	}
	h.addr = ln.Addr().String()
	h.start(ln)
	t.Cleanup(h.Stop)
	return h
}

// URL returns the hub's base URL, e.g. http://127.0.0.1:43127.
func (h *Hub) URL() string { return "http://" + h.addr }

// SetExportFile makes /v2/export serve a zip whose first entry is the AAF
// file at path (JSON or NDJSON), as a hub does.
func (h *Hub) SetExportFile(t testing.TB, path string) {
	t.Helper()
	src, err := os.Open(path)
	if err != nil {
		t.Fatalf("plugintest: open export: %v", err)
	}
	defer src.Close()
	zf, err := os.CreateTemp(t.TempDir(), "export-*.zip")
	if err != nil {
		t.Fatalf("plugintest: %v", err)
	}
	zw := zip.NewWriter(zf)
	w, err := zw.Create(filepath.Base(path))
	if err == nil {
		_, err = io.Copy(w, src)
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := zf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("plugintest: build export zip: %v", err)
	}
	h.mu.Lock()
	h.exportFile, h.exportFail = zf.Name(), nil
	h.mu.Unlock()
}

// FailExport makes /v2/export answer status with {"status":"fail","code"}.
func (h *Hub) FailExport(status int, code string) {
	h.mu.Lock()
	h.exportFail = &failure{status: status, code: code}
	h.mu.Unlock()
}

// SetProject makes GET /v2/project/{id} answer project as the "project"
// of its data: any value encoded with encoding/json (a json.RawMessage is
// sent as is). Without it a project answers with its id as name, no
// batches, no stages and an empty category schema, like a hub project
// without a schema.
func (h *Hub) SetProject(t testing.TB, id string, project any) {
	t.Helper()
	b, err := json.Marshal(project)
	if err != nil {
		t.Fatalf("plugintest: encode project: %v", err)
	}
	h.mu.Lock()
	h.projects[id], h.projectFail = b, nil
	h.mu.Unlock()
}

// FailProject makes GET /v2/project/{id} answer status with
// {"status":"fail","code"}.
func (h *Hub) FailProject(status int, code string) {
	h.mu.Lock()
	h.projectFail = &failure{status: status, code: code}
	h.mu.Unlock()
}

// ProjectRequests returns how many GET /v2/project/{id} calls were made.
func (h *Hub) ProjectRequests() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.projectGets
}

// Stop shuts the hub down (closing every plugin connection). It is
// idempotent; [Hub.Start] brings it back on the same address.
func (h *Hub) Stop() {
	h.mu.Lock()
	if !h.up {
		h.mu.Unlock()
		return
	}
	h.up = false
	srv, io := h.http, h.io
	h.sockets = nil
	h.mu.Unlock()
	io.Close(nil)
	_ = srv.Close() // closes the listener and the remaining connections
}

// Start brings a stopped hub back on the same address.
func (h *Hub) Start(t testing.TB) {
	t.Helper()
	var ln net.Listener
	var err error
	deadline := time.Now().Add(WaitTimeout)
	for {
		if ln, err = net.Listen("tcp", h.addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // the old socket may linger briefly
	}
	if err != nil {
		t.Fatalf("plugintest: listen again on %s: %v", h.addr, err)
	}
	h.start(ln)
}

// Restart stops the hub and starts it again on the same address.
func (h *Hub) Restart(t testing.TB) {
	t.Helper()
	h.Stop()
	h.Start(t)
}

func (h *Hub) start(ln net.Listener) {
	io := sio.NewServer(nil, nil)
	io.Of(wire.Namespace, nil).On("connection", func(args ...any) {
		h.onConnection(args[0].(*sio.Socket))
	})
	mux := http.NewServeMux()
	mux.Handle(wire.SocketIOPath, io.ServeHandler(nil))
	mux.HandleFunc("GET "+wire.PathExport, h.handleExport)
	mux.HandleFunc("GET /files/export.zip", h.handleExportFile)
	mux.HandleFunc("GET "+wire.PathUploadURL, h.handleUploadURL)
	mux.HandleFunc("PUT /upload/{name}", h.handlePut)
	mux.HandleFunc("GET "+wire.PathSignedURL, h.handleSignedURL)
	mux.HandleFunc("GET /download/{name}", h.handleDownload)
	mux.HandleFunc("POST "+wire.PathPluginLog, h.handlePluginLog)
	mux.HandleFunc("POST "+wire.PathPluginResponse, h.handlePluginResponse)
	mux.HandleFunc("GET "+wire.PathProject+"{id}", h.handleProject)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	h.mu.Lock()
	h.http, h.io, h.up = srv, io, true
	h.mu.Unlock()
	go func() { _ = srv.Serve(ln) }() // returns ErrServerClosed on Stop
}

func (h *Hub) onConnection(s *sio.Socket) {
	s.On(wire.EventHeartbeat, func(args ...any) {
		var hb wire.Heartbeat
		_ = wire.FromArgs(args, &hb) // a malformed heartbeat is rejected below
		h.mu.Lock()
		defer h.mu.Unlock()
		if !hb.Valid() || hb.ID != h.ID || hb.Secret != h.Secret {
			h.rejected++
			_ = s.Emit(wire.EventError, wire.Error{Message: MsgInvalidSecret})
			go s.Disconnect(false) // its disconnect listener takes h.mu
			return
		}
		h.heartbeats++
		for _, known := range h.sockets {
			if known == s {
				return
			}
		}
		h.sockets = append(h.sockets, s)
		h.connections++
	})
	s.On(wire.EventLog, func(args ...any) {
		var l Log
		if err := wire.FromArgs(args, &l); err != nil {
			h.t.Errorf("plugintest: %s event: %v", wire.EventLog, err)
			return
		}
		h.mu.Lock()
		h.logs = append(h.logs, l)
		h.mu.Unlock()
	})
	s.On(wire.EventResponse, func(args ...any) {
		var r Result
		if err := wire.FromArgs(args, &r); err != nil {
			h.t.Errorf("plugintest: %s event: %v", wire.EventResponse, err)
			return
		}
		h.record(r)
	})
	s.On("disconnect", func(...any) {
		h.mu.Lock()
		defer h.mu.Unlock()
		for i, known := range h.sockets {
			if known == s {
				h.sockets = append(h.sockets[:i], h.sockets[i+1:]...)
				break
			}
		}
	})
}

func (h *Hub) record(r Result) {
	h.mu.Lock()
	h.results = append(h.results, r)
	h.mu.Unlock()
}

// fill gives req its defaults.
func (h *Hub) fill(req RunRequest) RunRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.Session == "" {
		h.sessions++
		req.Session = fmt.Sprintf("session-%d", h.sessions)
	}
	if req.ProjectID == "" {
		req.ProjectID = DefaultProject
	}
	if req.APIKey == "" {
		req.APIKey = h.APIKey
	}
	if req.ConfigJSON == "" {
		req.ConfigJSON = "{}"
	}
	if req.OrgID == "" {
		req.OrgID = "org-test"
	}
	if req.RunBy == "" {
		req.RunBy = "user-test"
	}
	if req.PluginID == "" {
		req.PluginID = h.ID
	}
	return req
}

// Dispatch sends the run to one authenticated plugin connection (round
// robin) as a "plugin" event and returns the run's session. It fails the
// test when no plugin is connected.
func (h *Hub) Dispatch(t testing.TB, req RunRequest) string {
	t.Helper()
	req = h.fill(req)
	h.mu.Lock()
	if len(h.sockets) == 0 {
		h.mu.Unlock()
		t.Fatalf("plugintest: dispatch %s: no plugin connected", req.Session)
	}
	s := h.sockets[h.next%len(h.sockets)]
	h.next++
	h.mu.Unlock()
	if err := s.Emit(wire.EventPlugin, req); err != nil {
		t.Fatalf("plugintest: dispatch %s: %v", req.Session, err)
	}
	return req.Session
}

// Cancel sends a "cancel" event for session to every connected plugin.
func (h *Hub) Cancel(t testing.TB, session string) {
	t.Helper()
	h.mu.Lock()
	socks := append([]*sio.Socket(nil), h.sockets...)
	h.mu.Unlock()
	for _, s := range socks {
		_ = s.Emit(wire.EventCancel, wire.Cancel{Session: session}) // a gone socket has no run to cancel
	}
}

// RESTRun is a run posted to a REST plugin; the plugin answers the POST
// when the run is over.
type RESTRun struct {
	// Session is the run's session.
	Session string

	done   chan struct{}
	cancel context.CancelFunc
	status int
	err    error
}

// Wait waits for the plugin's answer to the POST and returns its HTTP
// status (0 when the request failed or was aborted).
func (r *RESTRun) Wait(t testing.TB) int {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(WaitTimeout):
		t.Fatalf("plugintest: no answer to POST /plugin of %s after %v", r.Session, WaitTimeout)
	}
	return r.status
}

// Abort gives up on the run the way a hub does (cancel, timeout): it
// aborts the pending POST.
func (r *RESTRun) Abort() { r.cancel() }

// PostRun starts a run on a REST plugin at base: POST {base}/plugin with
// the Secret header, on its own goroutine (the plugin answers when the run
// is over).
func (h *Hub) PostRun(t testing.TB, base string, req RunRequest) *RESTRun {
	t.Helper()
	req = h.fill(req)
	body, _ := json.Marshal(req) // a run request always encodes
	ctx, cancel := context.WithCancel(context.Background())
	run := &RESTRun{Session: req.Session, done: make(chan struct{}), cancel: cancel}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+wire.PathRun, bytes.NewReader(body))
	if err != nil {
		cancel()
		t.Fatalf("plugintest: %v", err)
	}
	hr.Header.Set(wire.HeaderSecret, h.Secret)
	hr.Header.Set("Content-Type", "application/json")
	go func() {
		defer close(run.done)
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			run.err = err
			return
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body) // drain for connection reuse
		run.status = resp.StatusCode
	}()
	t.Cleanup(cancel)
	return run
}

// CancelREST cancels a run on a REST plugin (POST {base}/cancel).
func (h *Hub) CancelREST(t testing.TB, base, session string) int {
	t.Helper()
	body, _ := json.Marshal(wire.Cancel{Session: session}) // always encodes
	return h.post(t, strings.TrimRight(base, "/")+wire.PathCancel, h.Secret, body)
}

// HeartbeatREST calls GET {base}/heartbeat with secret and returns the
// status and body.
func (h *Hub) HeartbeatREST(t testing.TB, base, secret string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, strings.TrimRight(base, "/")+wire.PathHeartbeat, nil)
	if err != nil {
		t.Fatalf("plugintest: %v", err)
	}
	req.Header.Set(wire.HeaderSecret, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("plugintest: heartbeat: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body) // only for the assertion
	return resp.StatusCode, string(b)
}

func (h *Hub) post(t testing.TB, target, secret string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("plugintest: %v", err)
	}
	req.Header.Set(wire.HeaderSecret, secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("plugintest: POST %s: %v", target, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body) // drain for connection reuse
	return resp.StatusCode
}

// Connected returns the number of authenticated plugin connections.
func (h *Hub) Connected() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sockets)
}

// Connections returns how many plugin connections authenticated since the
// hub was created (reconnections included).
func (h *Hub) Connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.connections
}

// Heartbeats returns the number of valid heartbeats received.
func (h *Hub) Heartbeats() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.heartbeats
}

// Rejected returns the number of heartbeats rejected for a wrong id/secret.
func (h *Hub) Rejected() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rejected
}

// Logs returns the "log" events of session (WS and REST), in order.
func (h *Hub) Logs(session string) []Log {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Log
	for _, l := range h.logs {
		if l.Session == session {
			out = append(out, l)
		}
	}
	return out
}

// Results returns every response received, in order.
func (h *Hub) Results() []Result {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Result(nil), h.results...)
}

// ExportQueries returns the queries of the /v2/export calls.
func (h *Hub) ExportQueries() []url.Values {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]url.Values(nil), h.exportQs...)
}

// UploadQueries returns the queries of the /v2/getUploadUrl calls.
func (h *Hub) UploadQueries() []url.Values {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]url.Values(nil), h.uploadQs...)
}

// SignedQueries returns the queries of the /v2/getSignedUrl calls.
func (h *Hub) SignedQueries() []url.Values {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]url.Values(nil), h.signedQs...)
}

// Upload returns the file uploaded under name.
func (h *Hub) Upload(name string) (*Upload, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	u, ok := h.uploads[name]
	return u, ok
}

// WaitFor polls cond until it is true, failing the test with msg after
// WaitTimeout.
func WaitFor(t testing.TB, msg string, cond func() bool) {
	t.Helper()
	waittest.Within(t, WaitTimeout, msg, cond)
}

// WaitConnected waits until n plugin connections are authenticated.
func (h *Hub) WaitConnected(t testing.TB, n int) {
	t.Helper()
	WaitFor(t, fmt.Sprintf("%d connected plugins", n), func() bool { return h.Connected() >= n })
}

// WaitResult waits for the response of session.
func (h *Hub) WaitResult(t testing.TB, session string) Result {
	t.Helper()
	var r Result
	WaitFor(t, "the response of "+session, func() bool {
		for _, x := range h.Results() {
			if x.Session == session {
				r = x
				return true
			}
		}
		return false
	})
	return r
}

// WaitLog waits for a log event of session whose message contains msg.
func (h *Hub) WaitLog(t testing.TB, session, msg string) Log {
	t.Helper()
	var found Log
	WaitFor(t, fmt.Sprintf("log %q of %s", msg, session), func() bool {
		for _, l := range h.Logs(session) {
			if strings.Contains(l.Msg, msg) {
				found = l
				return true
			}
		}
		return false
	})
	return found
}

// Download fetches the file behind a successful result's signed URL.
func (h *Hub) Download(t testing.TB, r Result) []byte {
	t.Helper()
	u, ok := r.URL()
	if !r.Export || !ok || u == "" {
		t.Fatalf("plugintest: run %s has no export to download: %+v", r.Session, r)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("plugintest: download: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("plugintest: download: status %d, %v", resp.StatusCode, err)
	}
	return b
}

// ZipEntries returns the entries of a zip file by name.
func ZipEntries(t testing.TB, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("plugintest: read zip: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("plugintest: open zip entry %s: %v", f.Name, err)
		}
		b, err := io.ReadAll(rc)
		_ = rc.Close() // read-only
		if err != nil {
			t.Fatalf("plugintest: read zip entry %s: %v", f.Name, err)
		}
		out[f.Name] = b
	}
	return out
}

// authorized checks the apikey header of a /v2 call.
func (h *Hub) authorized(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get(wire.HeaderAPIKey) == h.APIKey {
		return true
	}
	writeFail(w, http.StatusUnauthorized, "unauthorized", "invalid API key")
	return false
}

func writeData(w http.ResponseWriter, data any) {
	env, err := wire.Success(data)
	if err != nil {
		writeFail(w, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	writeEnvelope(w, http.StatusOK, env)
}

func writeFail(w http.ResponseWriter, status int, code, msg string) {
	writeEnvelope(w, status, wire.Fail(code, msg))
}

func writeEnvelope(w http.ResponseWriter, status int, env wire.Envelope) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // as the hub answers
	_ = enc.Encode(env)      // client gone: nothing to do
}

func (h *Hub) handleExport(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(w, r) {
		return
	}
	h.mu.Lock()
	h.exportQs = append(h.exportQs, r.URL.Query())
	fail := h.exportFail
	h.mu.Unlock()
	if fail != nil {
		writeFail(w, fail.status, fail.code, "export failed")
		return
	}
	writeData(w, wire.ExportData{ExportPath: h.URL() + "/files/export.zip?sig=export"})
}

func (h *Hub) handleExportFile(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	path := h.exportFile
	h.mu.Unlock()
	http.ServeFile(w, r, path)
}

func (h *Hub) handleUploadURL(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(w, r) {
		return
	}
	q := r.URL.Query()
	h.mu.Lock()
	h.uploadQs = append(h.uploadQs, q)
	h.mu.Unlock()
	name := q.Get("name")
	if name == "" || q.Get("project") == "" || q.Get("type") != wire.UploadTypeExports {
		writeFail(w, http.StatusBadRequest, "bad_request", "want name, project and type=exports")
		return
	}
	h.mu.Lock()
	h.uploads[name] = &Upload{Name: name, Query: q}
	h.mu.Unlock()
	writeData(w, wire.UploadURLData{UploadURL: h.URL() + "/upload/" + url.PathEscape(name) + "?sig=put"})
}

func (h *Hub) handlePut(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if r.URL.Query().Get("sig") != "put" {
		writeFail(w, http.StatusForbidden, "forbidden", "bad signature")
		return
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		writeFail(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	u, ok := h.uploads[name]
	if !ok {
		writeFail(w, http.StatusNotFound, "not_found", "no upload URL was issued for "+name)
		return
	}
	u.Data, u.ContentLength = data, r.ContentLength
	w.WriteHeader(http.StatusOK)
}

func (h *Hub) handleSignedURL(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(w, r) {
		return
	}
	q := r.URL.Query()
	h.mu.Lock()
	h.signedQs = append(h.signedQs, q)
	h.mu.Unlock()
	u, err := url.Parse(q.Get("name"))
	if err != nil || !strings.HasPrefix(u.Path, "/upload/") {
		writeFail(w, http.StatusBadRequest, "bad_request", "name is not an upload URL")
		return
	}
	name := strings.TrimPrefix(u.Path, "/upload/")
	writeData(w, wire.SignedURLData{SignedURL: h.URL() + "/download/" + url.PathEscape(name) + "?sig=get"})
}

func (h *Hub) handleDownload(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	u, ok := h.uploads[r.PathValue("name")]
	h.mu.Unlock()
	if !ok || r.URL.Query().Get("sig") != "get" {
		writeFail(w, http.StatusNotFound, "not_found", "no such object")
		return
	}
	_, _ = w.Write(u.Data) // client gone: nothing to do
}

func (h *Hub) handleProject(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(w, r) {
		return
	}
	id := r.PathValue("id")
	h.mu.Lock()
	h.projectGets++
	fail := h.projectFail
	project, ok := h.projects[id]
	h.mu.Unlock()
	if fail != nil {
		writeFail(w, fail.status, fail.code, "project failed")
		return
	}
	if !ok {
		empty, _ := json.Marshal(map[string]any{ // plain values always encode
			"_id": id, "name": id, "description": "", "batches": []any{}, "stages": []any{}, "categorySchema": map[string]any{},
		})
		project = empty
	}
	writeData(w, map[string]any{"project": project})
}

func (h *Hub) handlePluginLog(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(w, r) {
		return
	}
	var l Log
	if err := json.NewDecoder(r.Body).Decode(&l); err != nil {
		writeFail(w, http.StatusBadRequest, "invalid_json", err.Error())
		return
	}
	h.mu.Lock()
	h.logs = append(h.logs, l)
	h.mu.Unlock()
	writeData(w, wire.Ack{Session: l.Session})
}

func (h *Hub) handlePluginResponse(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(w, r) {
		return
	}
	var res Result
	if err := json.NewDecoder(r.Body).Decode(&res); err != nil {
		writeFail(w, http.StatusBadRequest, "invalid_json", err.Error())
		return
	}
	h.record(res)
	writeData(w, wire.Ack{Session: res.Session})
}
