package store_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

func TestAppendJSONList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, list, item, want, err string
	}{
		{"Nil", "", `{"a":1}`, `[{"a":1}]`, ""},
		{"Null", "null", `1`, `[1]`, ""},
		{"Empty", "[ ]", `{"a":1}`, `[{"a":1}]`, ""},
		{"KeepsBytes", `[{"b" : 2.50}]`, ` {"a":1} `, `[{"b" : 2.50},{"a":1}]`, ""},
		{"BadItem", `[]`, `{"a":`, "", "item is not one JSON value"},
		{"NotList", `{"a":1}`, `1`, "", "not a JSON array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := store.AppendJSONList(json.RawMessage(tt.list), json.RawMessage(tt.item))
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, string(got))
			require.True(t, json.Valid(got))
		})
	}
}

func TestEncodeJSONList(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   []string
		want string
	}{{nil, "[]"}, {[]string{}, "[]"}, {[]string{"a", `b"c`}, `["a","b\"c"]`}} {
		got, err := store.EncodeJSONList(tt.in)
		require.NoError(t, err)
		require.Equal(t, tt.want, got)
		back, err := store.DecodeJSONList[string]([]byte(got))
		require.NoError(t, err)
		if len(tt.in) == 0 {
			require.Nil(t, back, "an empty list reads back as nil")
		} else {
			require.Equal(t, tt.in, back)
		}
	}
}

func TestDecodeJSONList(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "[]", "null"} {
		got, err := store.DecodeJSONList[string]([]byte(in))
		require.NoError(t, err, "%q", in)
		require.Nil(t, got, "%q reads as nil", in)
	}
	_, err := store.DecodeJSONList[string]([]byte(`{"a":1}`))
	require.ErrorContains(t, err, `decode list "{\"a\":1}"`)
	_, err = store.DecodeJSONList[int]([]byte(`["x"]`))
	require.ErrorContains(t, err, `decode list "[\"x\"]"`)
}
