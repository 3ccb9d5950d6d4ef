package wire_test

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/internal/wire"
	"github.com/exporthub/exporthub/internal/wire/wiretest"
)

func TestRunRequest_MarshalJSON(t *testing.T) {
	t.Parallel()

	t.Run("EmptyDefaults", func(t *testing.T) {
		t.Parallel()
		b, err := json.Marshal(wire.RunRequest{Session: "s"})
		require.NoError(t, err)
		require.Equal(t, `{"projectId":"","apiKey":"","orgId":"","runBy":"","session":"s","configJSON":"{}",`+
			`"stage":null,"batches":[],"pluginId":"","numTasks":0}`, string(b))
	})

	t.Run("EmptyStageIsNull", func(t *testing.T) {
		t.Parallel()
		b, err := json.Marshal(wire.RunRequest{Session: "s", Stage: []string{}})
		require.NoError(t, err)
		require.Contains(t, string(b), `"stage":null`, "no stage chosen is null, as in Ango")
	})

	t.Run("PointerEncodesTheSame", func(t *testing.T) {
		t.Parallel()
		r := wiretest.RunRequest()
		byValue, err := json.Marshal(r)
		require.NoError(t, err)
		byPointer, err := json.Marshal(&r)
		require.NoError(t, err)
		require.Equal(t, string(byValue), string(byPointer))
	})
}

func TestRunRequest_UnmarshalJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		want       wire.RunRequest
		err        string
	}{
		{name: "ConfigMissing", body: `{"session":"s"}`, want: wire.RunRequest{Session: "s", ConfigJSON: "{}"}},
		{name: "ConfigEmptyString", body: `{"session":"s","configJSON":""}`, want: wire.RunRequest{Session: "s", ConfigJSON: "{}"}},
		{name: "ConfigNull", body: `{"session":"s","configJSON":null}`, want: wire.RunRequest{Session: "s", ConfigJSON: "{}"}},
		{name: "ConfigObject", body: `{"session":"s","configJSON":{"a": 1}}`, want: wire.RunRequest{Session: "s", ConfigJSON: `{"a": 1}`}},
		{name: "StageList", body: `{"stage":["Label","Complete"]}`, want: wire.RunRequest{ConfigJSON: "{}", Stage: []string{"Label", "Complete"}}},
		{name: "StageEmptyList", body: `{"stage":[]}`, want: wire.RunRequest{ConfigJSON: "{}"}},
		{name: "StageString", body: `{"stage":"Complete"}`, want: wire.RunRequest{ConfigJSON: "{}", Stage: []string{"Complete"}}},
		{name: "StageEmptyString", body: `{"stage":""}`, want: wire.RunRequest{ConfigJSON: "{}"}},
		{name: "StageNumbers", body: `{"stage":[1,2]}`, err: "decode run request: stage: want a list of stage ids, a string or null, got [1,2]"},
		{name: "StageObject", body: `{"stage":{"id":"Complete"}}`, err: "stage: want a list of stage ids"},
		{name: "NumTasksFraction", body: `{"numTasks":3.9}`, want: wire.RunRequest{ConfigJSON: "{}", NumTasks: 3}},
		{name: "NumTasksNegative", body: `{"numTasks":-4}`, want: wire.RunRequest{ConfigJSON: "{}"}},
		{name: "NumTasksHuge", body: `{"numTasks":1e300}`, want: wire.RunRequest{ConfigJSON: "{}", NumTasks: 1<<63 - 1}},
		{name: "NumTasksString", body: `{"numTasks":"3"}`, err: "numTasks"},
		{name: "SessionNumber", body: `{"session":5}`, err: "session"},
		{name: "NotAnObject", body: `["s"]`, err: "decode run request: want a JSON object"},
		{name: "Null", body: `null`, err: "want a JSON object"},
		{name: "UnknownKeysIgnored", body: `{"session":"s","tenant":{"x":1},"priority":2}`, want: wire.RunRequest{Session: "s", ConfigJSON: "{}"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got wire.RunRequest
			err := json.Unmarshal([]byte(tc.body), &got)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestRunRequest_Timeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		seconds float64
		want    time.Duration
	}{
		{"None", 0, 0},
		{"Negative", -1, 0},
		{"Fraction", 0.2, 200 * time.Millisecond},
		{"Hour", 3600, time.Hour},
		{"MoreThanAYear", 400 * 24 * 3600, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := wire.RunRequest{TimeoutSeconds: tc.seconds}
			require.Equal(t, tc.want, r.Timeout())
		})
	}
}

func TestRunRequest_StageQuery(t *testing.T) {
	t.Parallel()
	require.Equal(t, "", (&wire.RunRequest{}).StageQuery())
	require.Equal(t, `["Complete"]`, (&wire.RunRequest{Stage: []string{"Complete"}}).StageQuery())
	require.Equal(t, `["Label","5c0f"]`, (&wire.RunRequest{Stage: []string{"Label", "5c0f"}}).StageQuery())
}

func TestRunRequest_LogValue(t *testing.T) {
	t.Parallel()
	var sb strings.Builder
	slog.New(slog.NewTextHandler(&sb, nil)).Info("dispatch", "request", wiretest.RunRequest())
	require.Contains(t, sb.String(), "request.session="+wiretest.Session)
	require.NotContains(t, sb.String(), wiretest.RunRequest().APIKey, "the API key is a credential")
}

func TestNormalizeLevel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"INFO", wire.LevelInfo},
		{"WARNING", wire.LevelWarning},
		{"warn", wire.LevelWarning},
		{"ERROR", wire.LevelError},
		{"CRITICAL", wire.LevelError},
		{" exception ", wire.LevelError},
		{"debug", wire.LevelDebug},
		{"TRACE", wire.LevelDebug},
		{"", wire.LevelInfo},
		{"NOTICE", wire.LevelInfo},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, wire.NormalizeLevel(tc.in))
		})
	}
}

func TestLog(t *testing.T) {
	t.Parallel()

	t.Run("StandardKeysWin", func(t *testing.T) {
		t.Parallel()
		b, err := json.Marshal(wire.Log{Level: "INFO", Session: "s", Msg: "m", Extra: map[string]any{"session": "other", "k": 1}})
		require.NoError(t, err)
		require.Equal(t, `{"k":1,"level":"INFO","msg":"m","organization":"","pluginId":"","runBy":"","session":"s"}`, string(b))
	})

	t.Run("NonStringValues", func(t *testing.T) {
		t.Parallel()
		var l wire.Log
		require.NoError(t, json.Unmarshal([]byte(`{"msg":{"k":"v"},"level":null,"session":7}`), &l))
		require.Equal(t, wire.Log{Msg: `{"k":"v"}`, Session: "7"}, l)
	})

	t.Run("NotAnObject", func(t *testing.T) {
		t.Parallel()
		var l wire.Log
		require.ErrorContains(t, json.Unmarshal([]byte(`[1]`), &l), "decode log event")
		require.ErrorIs(t, json.Unmarshal([]byte(`null`), &l), wire.ErrNotObject)
	})
}

func TestResponse_URL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		body   string
		url    string
		isText bool
	}{
		{"Export", `{"export": true, "response": "http://h/f.zip?sig=1", "session": "s"}`, "http://h/f.zip?sig=1", true},
		{"Error", `{"error": true, "session": "s"}`, "", false},
		{"OtherKind", `{"response": {"a": 1}, "session": "s"}`, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var r wire.Response
			require.NoError(t, json.Unmarshal([]byte(tc.body), &r))
			u, ok := r.URL()
			require.Equal(t, tc.isText, ok)
			require.Equal(t, tc.url, u)
		})
	}
}

func TestFromArgs(t *testing.T) {
	t.Parallel()

	t.Run("NoArgument", func(t *testing.T) {
		t.Parallel()
		var h wire.Heartbeat
		require.ErrorIs(t, wire.FromArgs(nil, &h), wire.ErrNotObject)
	})

	t.Run("NotAnObject", func(t *testing.T) {
		t.Parallel()
		var h wire.Heartbeat
		err := wire.FromArgs([]any{"id"}, &h)
		require.ErrorIs(t, err, wire.ErrNotObject)
		require.ErrorContains(t, err, "payload of type string")
	})

	t.Run("HeartbeatWithoutSecret", func(t *testing.T) {
		t.Parallel()
		var h wire.Heartbeat
		require.NoError(t, wire.FromArgs([]any{map[string]any{"id": "p"}}, &h))
		require.False(t, h.Valid())
	})

	t.Run("RunRequestFieldOfTheWrongType", func(t *testing.T) {
		t.Parallel()
		var r wire.RunRequest
		require.ErrorContains(t, wire.FromArgs([]any{map[string]any{"session": "s", "stage": []any{1.0}}}, &r), "stage")
	})
}

func TestEnvelope(t *testing.T) {
	t.Parallel()

	t.Run("Failed", func(t *testing.T) {
		t.Parallel()
		for status, want := range map[string]bool{wire.StatusSuccess: false, wire.StatusFail: true, wire.StatusError: true} {
			require.Equal(t, want, (&wire.Envelope{Status: status}).Failed(), status)
		}
	})

	t.Run("NoData", func(t *testing.T) {
		t.Parallel()
		var out wire.Ack
		require.ErrorIs(t, (&wire.Envelope{Status: wire.StatusSuccess}).DecodeData(&out), wire.ErrNoData)
		require.ErrorIs(t, (&wire.Envelope{Status: wire.StatusSuccess, Data: json.RawMessage("null")}).DecodeData(&out), wire.ErrNoData)
	})

	t.Run("DataOfTheWrongShape", func(t *testing.T) {
		t.Parallel()
		var out wire.ExportData
		err := (&wire.Envelope{Status: wire.StatusSuccess, Data: json.RawMessage(`{"exportPath": 5}`)}).DecodeData(&out)
		require.ErrorContains(t, err, "decode answer data")
	})
}
