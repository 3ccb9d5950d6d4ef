// Package wiretest holds the golden files of the plugin protocol and the
// Go values they stand for, so that the hub's gateway, the Go SDK, the
// fake hub of plugin/plugintest and package wire itself test against the
// same bytes.
//
// Each [Case] names a JSON file of testdata/ and the payload value it
// decodes to. Unless DecodeOnly is set, encoding that value gives the
// file's bytes exactly (without the final newline): the canonical shape
// a peer sends. DecodeOnly files are inputs from older or foreign peers
// (the Python SDK's key order, a stage sent as a string, flags sent as
// strings) that the decoders must read as Value.
package wiretest

import (
	"bytes"
	"embed"
	"encoding/json"
	"testing"

	"github.com/exporthub/exporthub/internal/wire"
)

//go:embed testdata/*.json
var files embed.FS

// Case is one golden file of the protocol.
type Case struct {
	// Name is the file's name in testdata/ without ".json", e.g.
	// "run-request".
	Name string
	// Event is the Socket.IO event that carries the payload; "" for what
	// only travels over HTTP (envelopes).
	Event string
	// Value is the payload the file decodes to: a wire type by value
	// (wire.RunRequest, wire.Log, wire.Envelope, ...).
	Value any
	// Data is, for an envelope, the value its data decodes to (a
	// wire.ExportData, ...); nil otherwise.
	Data any
	// DecodeOnly marks a file that is read as Value but is not what
	// encoding Value gives.
	DecodeOnly bool
}

// Cases returns every golden file of the protocol with its value.
func Cases() []Case {
	return []Case{
		{Name: "heartbeat", Event: wire.EventHeartbeat, Value: wire.Heartbeat{ID: PluginID, Secret: Secret}},
		{Name: "run-request", Event: wire.EventPlugin, Value: RunRequest()},
		{Name: "run-request-defaults", Event: wire.EventPlugin, Value: RunRequestDefaults()},
		{Name: "run-request-timeout", Event: wire.EventPlugin, Value: wire.RunRequest{
			ProjectID: "p", APIKey: "k", OrgID: "o", RunBy: "u", Session: "s", ConfigJSON: "{}", NumTasks: 3, TimeoutSeconds: 1.5,
		}},
		{Name: "run-request-tolerated", Event: wire.EventPlugin, DecodeOnly: true, Value: wire.RunRequest{
			ProjectID: "p", APIKey: "k", OrgID: "o", RunBy: "u", Session: "s",
			ConfigJSON: `{"separator-character":";"}`, Stage: []string{"Complete"}, NumTasks: 3,
		}},
		{Name: "log", Event: wire.EventLog, Value: Log()},
		{Name: "log-python", Event: wire.EventLog, DecodeOnly: true, Value: wire.Log{
			Level: wire.LevelError, Organization: "o", PluginID: "p", RunBy: "u", Session: "s", Msg: "run failed",
			Extra: map[string]any{"error": "callback: boom", "stack": nil},
		}},
		{Name: "response-export", Event: wire.EventResponse, Value: wire.ExportResponse(Session, SignedURL)},
		{Name: "response-error", Event: wire.EventResponse, Value: wire.ErrorResponse(Session)},
		{Name: "response-other", Event: wire.EventResponse, Value: wire.Response{
			Session: Session, Response: json.RawMessage(`{"ok":true,"rows":3}`),
		}},
		{Name: "response-tolerated", Event: wire.EventResponse, DecodeOnly: true, Value: wire.Response{
			Session: "s", Export: true, Response: json.RawMessage(`"u"`),
		}},
		{Name: "cancel", Event: wire.EventCancel, Value: wire.Cancel{Session: Session}},
		{Name: "error", Event: wire.EventError, Value: wire.Error{Message: "invalid plugin id or secret"}},
		envelope("envelope-export", wire.ExportData{ExportPath: ExportURL, NumTasks: 3}),
		envelope("envelope-upload-url", wire.UploadURLData{UploadURL: UploadURL}),
		envelope("envelope-signed-url", wire.SignedURLData{SignedURL: SignedURL}),
		envelope("envelope-ack", wire.Ack{Session: Session}),
		{Name: "envelope-fail", Value: wire.Fail("conflict", "the run already ended")},
	}
}

// envelope returns the case of a success envelope holding data.
func envelope(name string, data any) Case {
	env, err := wire.Success(data)
	if err != nil {
		panic(err) // the data types always encode
	}
	return Case{Name: name, Value: env, Data: data}
}

// Identities used by the golden files.
const (
	// PluginID is the plugin id of the golden files.
	PluginID = "65f0c0ffee0123456789abcd"
	// Secret is the plugin secret of heartbeat.json.
	Secret = "2f1d7c1e-8f0a-4a57-9a43-3c4f2a9e6b10"
	// Session is the run session of the golden files.
	Session = "65f0dd0000000000000000d4"
	// SignedURL is the signed GET URL of response-export.json.
	SignedURL = "http://127.0.0.1:7420/blob/orgs/o/exports/p-42.zip?method=GET&expires=1767225600&sig=c2ln"
	// ExportURL is the export zip URL of envelope-export.json.
	ExportURL = "http://127.0.0.1:7420/blob/orgs/o/exports/x.zip?method=GET&expires=1767225600&sig=c2ln"
	// UploadURL is the presigned PUT URL of envelope-upload-url.json.
	UploadURL = "http://127.0.0.1:7420/blob/orgs/o/exports/p-42.zip?method=PUT&expires=1767225600&sig=cHV0"
)

// RunRequest returns the value of run-request.json: every field set, a
// stage list and a batch filter.
func RunRequest() wire.RunRequest {
	return wire.RunRequest{
		ProjectID:  "65f0aa0000000000000000a1",
		APIKey:     "ehr_run_Xk2pQ9",
		OrgID:      "65f0bb0000000000000000b2",
		RunBy:      "65f0cc0000000000000000c3",
		Session:    Session,
		ConfigJSON: `{"separator-character": ";"}`,
		Stage:      []string{"Complete", "5c0f3d2e-review"},
		Batches:    []string{"65f0ee0000000000000000e5"},
		PluginID:   PluginID,
		NumTasks:   1000,
	}
}

// RunRequestDefaults returns the value of run-request-defaults.json: no
// config, no stage, no batch, size unknown.
func RunRequestDefaults() wire.RunRequest {
	r := RunRequest()
	r.ConfigJSON, r.Stage, r.Batches, r.NumTasks = "{}", nil, nil, 0
	return r
}

// Log returns the value of log.json: a line with extra keys.
func Log() wire.Log {
	r := RunRequest()
	return wire.Log{
		Level: wire.LevelInfo, Organization: r.OrgID, PluginID: PluginID, RunBy: r.RunBy, Session: Session,
		Msg: "converted assets",
		Extra: map[string]any{
			"assets":    float64(3),
			"separator": ";",
			"file":      map[string]any{"name": "a.txt", "rows": []any{float64(1), float64(2)}},
		},
	}
}

// CaseNamed returns the case of the golden file name; it fails the test when
// there is none.
func CaseNamed(t testing.TB, name string) Case {
	t.Helper()
	for _, c := range Cases() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("wiretest: no golden file %q", name)
	return Case{}
}

// Fixture returns the bytes of the golden file name (without ".json"),
// trimmed of its final newline; it fails the test when there is none.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := files.ReadFile("testdata/" + name + ".json")
	if err != nil {
		t.Fatalf("wiretest: %v", err)
	}
	return bytes.TrimRight(b, "\n")
}

// Object returns the golden file name decoded as a JSON object, the way
// a Socket.IO library hands a payload to an event listener.
func Object(t testing.TB, name string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(Fixture(t, name), &m); err != nil {
		t.Fatalf("wiretest: %s: %v", name, err)
	}
	return m
}
