package plugin_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/plugin"
)

func TestRequest_DecodeConfig(t *testing.T) {
	t.Parallel()

	type cfg struct {
		Sep   string `json:"separator-character"`
		Limit int    `json:"limit"`
	}
	tests := []struct {
		name    string
		config  string
		want    cfg
		wantErr string
	}{
		{name: "Empty", config: "", want: cfg{}},
		{name: "Blank", config: " \n\t", want: cfg{}},
		{name: "EmptyObject", config: "{}", want: cfg{}},
		{name: "Values", config: `{"separator-character": ";", "limit": 3, "unknown": true}`, want: cfg{Sep: ";", Limit: 3}},
		{name: "SyntaxError", config: `{"limit": x}`, wantErr: `config JSON: line 1: invalid character 'x' looking for beginning of value (column 11)`},
		{name: "SyntaxErrorSecondLine", config: "{\n  \"limit\": 3,\n}", wantErr: `config JSON: line 3: invalid character '}' looking for beginning of object key string (column 1)`},
		{name: "Truncated", config: `{"limit": 3`, wantErr: `config JSON: line 1: unexpected EOF (column 11)`},
		{name: "WrongType", config: `{"limit": "three"}`, wantErr: `config JSON: line 1: field "limit": cannot use JSON string as int (column 17)`},
		{name: "NotAnObject", config: `[1, 2]`, wantErr: `config JSON: line 1: cannot use JSON array as plugin_test.cfg (column 1)`},
		{name: "TrailingData", config: `{} {}`, wantErr: `config JSON: line 1: unexpected data after the JSON value (column 4)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got cfg
			err := (&plugin.Request{ConfigJSON: tt.config}).DecodeConfig(&got)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				var ce *plugin.ConfigError
				require.ErrorAs(t, err, &ce)
				require.GreaterOrEqual(t, ce.Line, 1)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func FuzzRequest_DecodeConfig(f *testing.F) {
	for _, s := range []string{"", "{}", `{"a": 1}`, "{\n\"a\": [1, 2,\n}", `{"separator-character": "-"}`, `"x"`, "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, config string) {
		var v map[string]any
		err := (&plugin.Request{ConfigJSON: config}).DecodeConfig(&v)
		if err == nil {
			return
		}
		var ce *plugin.ConfigError
		if !errors.As(err, &ce) {
			t.Fatalf("got %T %v, want a *plugin.ConfigError", err, err)
		}
		if ce.Line < 1 || ce.Column < 1 {
			t.Fatalf("got line %d column %d, want 1-based positions", ce.Line, ce.Column)
		}
		if json.Valid([]byte(config)) && strings.HasPrefix(strings.TrimSpace(config), "{") {
			t.Fatalf("valid JSON object %q rejected: %v", config, err)
		}
	})
}

func TestAPIError_Is(t *testing.T) {
	t.Parallel()

	err := error(&plugin.APIError{StatusCode: 401, Code: "unauthorized", Message: "token expired"})
	require.ErrorIs(t, err, plugin.ErrUnauthorized)
	require.NotErrorIs(t, err, plugin.ErrNotFound)
	require.EqualError(t, err, "hub: token expired (unauthorized, HTTP 401)")

	wrapped := errors.Join(errors.New("upload"), &plugin.APIError{StatusCode: 404, Code: "run_not_found"})
	require.ErrorIs(t, wrapped, plugin.ErrRunNotFound)
	var ae *plugin.APIError
	require.ErrorAs(t, wrapped, &ae)
	require.Equal(t, 404, ae.StatusCode)

	require.NotErrorIs(t, &plugin.APIError{Message: "no code"}, &plugin.APIError{Message: "no code"},
		"errors without a code never match each other")
}
