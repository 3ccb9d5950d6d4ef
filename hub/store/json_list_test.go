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
