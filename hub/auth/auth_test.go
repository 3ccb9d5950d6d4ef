package auth_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/store"
)

func TestNewKey(t *testing.T) {
	t.Parallel()
	key, display, hash := auth.NewKey(auth.KeyPrefix)
	require.Regexp(t, `^ehk_[a-z2-7]{52}$`, key)
	require.Equal(t, key[:auth.DisplayPrefixLen], display)
	require.Equal(t, auth.HashKey(key), hash)
	other, _, _ := auth.NewKey(auth.KeyPrefix)
	require.NotEqual(t, key, other)
	run, _, _ := auth.NewKey(auth.RunTokenPrefix)
	require.Regexp(t, `^ehr_`, run)
}

func TestRequestKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		headers map[string]string
		want    string
	}{
		{"APIKey", map[string]string{"apikey": "k1"}, "k1"},
		{"Bearer", map[string]string{"Authorization": "Bearer k2"}, "k2"},
		{"BearerCase", map[string]string{"Authorization": "BEARER  k3 "}, "k3"},
		{"APIKeyWins", map[string]string{"apikey": "k4", "Authorization": "Bearer k5"}, "k4"},
		{"Basic", map[string]string{"Authorization": "Basic abc"}, ""},
		{"None", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := http.NewRequest("GET", "/", nil)
			require.NoError(t, err)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			require.Equal(t, tt.want, auth.RequestKey(r))
		})
	}
}

func TestPrincipal_Scope(t *testing.T) {
	t.Parallel()
	user := &auth.Principal{OrgID: "o", UserID: "u", Role: store.RoleAdmin}
	require.True(t, user.IsAdmin())
	require.True(t, user.CanReachProject("any"))
	run := &auth.Principal{OrgID: "o", UserID: "u", Role: store.RoleAdmin, ProjectID: "p", RunID: "r"}
	require.False(t, run.IsAdmin(), "a run token is never admin")
	require.True(t, run.CanReachProject("p"))
	require.False(t, run.CanReachProject("q"))

	ctx := auth.NewContext(context.Background(), user)
	got, ok := auth.FromContext(ctx)
	require.True(t, ok)
	require.Same(t, user, got)
	_, ok = auth.FromContext(context.Background())
	require.False(t, ok)
}
