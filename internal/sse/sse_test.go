package sse_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/internal/sse"
)

func TestWriter(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	s, err := sse.Start(rec)
	require.NoError(t, err)
	require.NoError(t, s.Event("log", "7", map[string]any{"msg": "a\nb"}))
	require.NoError(t, s.Event("end", "", struct {
		Status string `json:"status"`
	}{"succeeded"}))
	require.NoError(t, s.KeepAlive())
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "text/event-stream", rec.Header().Get("Content-Type"))
	require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	require.Equal(t, "retry: 1000\n\n"+
		"id: 7\nevent: log\ndata: {\"msg\":\"a\\nb\"}\n\n"+
		"event: end\ndata: {\"status\":\"succeeded\"}\n\n"+
		": keep-alive\n\n", rec.Body.String())
	require.True(t, rec.Flushed)
}
