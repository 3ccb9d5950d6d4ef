package plugin

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/internal/wire"
	"github.com/exporthub/exporthub/internal/wire/wiretest"
)

// TestWire_Golden checks the SDK's side of the protocol against the golden
// files of wiretest: the payloads it builds encode to the files' bytes,
// and what a hub sends as in the files reaches the SDK as their values.
func TestWire_Golden(t *testing.T) {
	t.Parallel()

	t.Run("RunRequests", func(t *testing.T) {
		t.Parallel()
		for _, c := range wiretest.Cases() {
			if c.Event != wire.EventPlugin {
				continue
			}
			got, err := decodeRunRequest(wiretest.Fixture(t, c.Name))
			require.NoError(t, err, c.Name)
			require.Equal(t, c.Value, *got, c.Name)
		}
		_, err := decodeRunRequest([]byte(`{"projectId":"p"}`))
		require.ErrorIs(t, err, errNoSession)
	})

	t.Run("Heartbeat", func(t *testing.T) {
		t.Parallel()
		w := &wsConnector{s: &server{cfg: &config{id: wiretest.PluginID, secret: wiretest.Secret}}}
		requireEncodes(t, "heartbeat", w.heartbeatPayload())
	})

	t.Run("Log", func(t *testing.T) {
		t.Parallel()
		var sent []wire.Log
		req := wiretest.RunRequest()
		h := newHubHandler(senderFunc(func(l wire.Log) { sent = append(sent, l) }), slog.LevelInfo, logBase(&req, "other-id"))
		slog.New(h).Info("converted assets", "assets", 3, "separator", ";",
			slog.Any("file", map[string]any{"name": "a.txt", "rows": []int{1, 2}}))
		require.Len(t, sent, 1)
		requireEncodes(t, "log", sent[0])
	})

	t.Run("Responses", func(t *testing.T) {
		t.Parallel()
		requireEncodes(t, "response-export", wire.ExportResponse(wiretest.Session, wiretest.SignedURL))
		requireEncodes(t, "response-error", wire.ErrorResponse(wiretest.Session))
	})

	t.Run("RESTAck", func(t *testing.T) {
		t.Parallel()
		rec := httptest.NewRecorder()
		writeRESTAck(rec, wiretest.Session)
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, string(wiretest.Fixture(t, "envelope-ack"))+"\n", rec.Body.String())
	})

	t.Run("Envelopes", func(t *testing.T) {
		t.Parallel()
		for name, out := range map[string]any{
			"envelope-export":     new(wire.ExportData),
			"envelope-upload-url": new(wire.UploadURLData),
			"envelope-signed-url": new(wire.SignedURLData),
		} {
			require.NoError(t, decodeEnvelope(answer(t, http.StatusOK, name), out), name)
			require.Equal(t, wiretest.CaseNamed(t, name).Data, deref(out), name)
		}
		err := decodeEnvelope(answer(t, http.StatusConflict, "envelope-fail"), nil)
		require.Equal(t, &APIError{StatusCode: http.StatusConflict, Code: "conflict", Message: "the run already ended"}, err)
	})
}

// senderFunc is a logSender that hands each event to a function.
type senderFunc func(wire.Log)

func (f senderFunc) sendLog(l wire.Log) { f(l) }

// requireEncodes checks that v encodes to the bytes of the golden file
// name (<, > and & unescaped, as the hub's HTTP answers encode).
func requireEncodes(t *testing.T, name string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(v))
	require.Equal(t, string(wiretest.Fixture(t, name)), strings.TrimSuffix(buf.String(), "\n"), name)
}

// answer returns the golden file name as an HTTP answer with status.
func answer(t *testing.T, status int, name string) *http.Response {
	t.Helper()
	return &http.Response{StatusCode: status, Body: io.NopCloser(bytes.NewReader(wiretest.Fixture(t, name)))}
}

// deref returns the value a pointer points to.
func deref(p any) any {
	switch v := p.(type) {
	case *wire.ExportData:
		return *v
	case *wire.UploadURLData:
		return *v
	case *wire.SignedURLData:
		return *v
	}
	return p
}
