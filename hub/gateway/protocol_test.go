package gateway_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/gateway"
)

func TestRunRequest_MarshalJSON(t *testing.T) {
	t.Parallel()

	t.Run("EmptyDefaults", func(t *testing.T) {
		t.Parallel()
		b, err := json.Marshal(gateway.RunRequest{Session: "s"})
		require.NoError(t, err)
		require.JSONEq(t, `{"projectId":"","apiKey":"","orgId":"","runBy":"","session":"s","configJSON":"{}",
			"stage":null,"batches":[],"pluginId":"","numTasks":0}`, string(b))
	})

	t.Run("EmptyStageIsNull", func(t *testing.T) {
		t.Parallel()
		b, err := json.Marshal(gateway.RunRequest{Session: "s", Stage: []string{}})
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		require.Contains(t, m, "stage")
		require.Nil(t, m["stage"], "no stage chosen is null, as in Ango")
	})

	t.Run("ConfigStaysAString", func(t *testing.T) {
		t.Parallel()
		b, err := json.Marshal(gateway.RunRequest{ConfigJSON: `{"a": 1}`, Stage: []string{"Complete", "5c0f"}, Batches: []string{"b1"}, NumTasks: 7})
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		require.Equal(t, `{"a": 1}`, m["configJSON"])
		require.Equal(t, []any{"Complete", "5c0f"}, m["stage"], "the stage filter is a list of stage ids")
		require.Equal(t, []any{"b1"}, m["batches"])
		require.Equal(t, float64(7), m["numTasks"])
	})
}

func TestParseLogEvent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, level, want string
	}{
		{"Info", "INFO", gateway.LevelInfo},
		{"Warning", "WARNING", gateway.LevelWarning},
		{"WarnLower", "warn", gateway.LevelWarning},
		{"Error", "ERROR", gateway.LevelError},
		{"Critical", "CRITICAL", gateway.LevelError},
		{"Debug", "debug", gateway.LevelDebug},
		{"Missing", "", gateway.LevelInfo},
		{"Unknown", "NOTICE", gateway.LevelInfo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev := gateway.ParseLogEvent(map[string]any{"level": tc.level, "msg": "m"})
			require.Equal(t, tc.want, ev.Level)
		})
	}

	t.Run("ExtraKeysKept", func(t *testing.T) {
		t.Parallel()
		ev, err := gateway.DecodeLogEvent([]byte(`{"level":"INFO","organization":"o","pluginId":"p","runBy":"u",
			"session":"s","msg":"converted","assets":12,"file":{"name":"a.txt"}}`))
		require.NoError(t, err)
		require.Equal(t, "converted", ev.Msg)
		require.Equal(t, "s", ev.Session)
		require.Equal(t, "o", ev.Organization)
		require.Equal(t, map[string]any{"assets": float64(12), "file": map[string]any{"name": "a.txt"}}, ev.Extra)
	})

	t.Run("NonStringMessage", func(t *testing.T) {
		t.Parallel()
		ev := gateway.ParseLogEvent(map[string]any{"msg": map[string]any{"k": "v"}})
		require.Equal(t, `{"k":"v"}`, ev.Msg)
	})

	t.Run("NotAnObject", func(t *testing.T) {
		t.Parallel()
		_, err := gateway.DecodeLogEvent([]byte(`[1]`))
		require.ErrorContains(t, err, "decode log event")
		_, err = gateway.DecodeLogEvent([]byte(`null`))
		require.ErrorContains(t, err, "want a JSON object")
	})
}

func TestParseResponseEvent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		body      string
		export    bool
		isError   bool
		url       string
		urlIsText bool
	}{
		{"Export", `{"export": true, "response": "http://h/f.zip?sig=1", "session": "s"}`, true, false, "http://h/f.zip?sig=1", true},
		{"Error", `{"error": true, "session": "s"}`, false, true, "", false},
		{"OtherKind", `{"response": {"a": 1}, "session": "s"}`, false, false, "", false},
		{"StringFlags", `{"export": "true", "response": "u", "session": "s"}`, true, false, "u", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev, err := gateway.DecodeResponseEvent([]byte(tc.body))
			require.NoError(t, err)
			require.Equal(t, "s", ev.Session)
			require.Equal(t, tc.export, ev.Export)
			require.Equal(t, tc.isError, ev.Error)
			u, ok := ev.URL()
			require.Equal(t, tc.urlIsText, ok)
			require.Equal(t, tc.url, u)
		})
	}
}

func FuzzDecodeLogEvent(f *testing.F) {
	f.Add([]byte(`{"level":"INFO","msg":"x","session":"s","extra":1}`))
	f.Add([]byte(`{"msg":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := gateway.DecodeLogEvent(b)
		if err != nil {
			return
		}
		switch ev.Level {
		case gateway.LevelDebug, gateway.LevelInfo, gateway.LevelWarning, gateway.LevelError:
		default:
			t.Fatalf("got level %q, want one of the four", ev.Level)
		}
		for k := range ev.Extra {
			if k == "msg" || k == "level" || k == "session" {
				t.Fatalf("got standard key %q in Extra", k)
			}
		}
	})
}

func FuzzDecodeResponseEvent(f *testing.F) {
	f.Add([]byte(`{"export":true,"response":"u","session":"s"}`))
	f.Add([]byte(`{"error":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := gateway.DecodeResponseEvent(b)
		if err != nil {
			return
		}
		_, _ = ev.URL()
	})
}
