package plugins_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/hub/plugins"
)

func TestNewSecret(t *testing.T) {
	t.Parallel()
	secret, hash := plugins.NewSecret()
	require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, secret)
	require.True(t, gateway.SecretMatches(hash, secret), "the gateway accepts the secret against its stored hash")
	other, _ := plugins.NewSecret()
	require.NotEqual(t, secret, other)
}

func TestCheckConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want string // "" for valid
	}{
		{"Object", `{"format": "coco"}`, ""},
		{"EmptyObject", `{}`, ""},
		{"Array", `[1, 2]`, "defaultConfig must be a JSON object, got an array"},
		{"String", `"coco"`, "defaultConfig must be a JSON object, got a string"},
		{"Number", `1`, "defaultConfig must be a JSON object, got a number"},
		{"Null", `null`, "defaultConfig must be a JSON object, got null"},
		{"Syntax", `{"a": }`, "defaultConfig is not valid JSON at byte 7: invalid character '}' looking for beginning of value"},
		{"TooLarge", `{"a": "` + strings.Repeat("x", plugins.MaxConfigLen) + `"}`, "defaultConfig is 65545 bytes, larger than the limit of 65536 bytes (the hub's max-config-size)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := plugins.CheckConfig("defaultConfig", tt.text)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			var fe *hubtype.FieldError
			require.True(t, errors.As(err, &fe), "got %T, want *hubtype.FieldError", err)
			require.Equal(t, "defaultConfig", fe.Field)
			require.Equal(t, tt.want, fe.Message)
		})
	}
}
