package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/internal/wire"
)

// V2PluginAck is the data of the /v2/pluginLog and /v2/pluginResponse
// answers (declared with the plugin protocol in package wire).
type V2PluginAck = wire.Ack

// pluginRunID returns the run a /v2 plugin callback is for: the caller
// must use the run token the run request carried.
func pluginRunID(r *http.Request) (string, error) {
	p := Principal(r)
	if !p.IsRunToken() {
		return "", Errorf(http.StatusForbidden, hubapi.CodeForbidden, "plugin callbacks need the run token of the run request (apiKey), not a user key")
	}
	return p.RunID, nil
}

// noteRunActivity tells the run dispatcher that the plugin holding a run
// token called the hub (its run moves from dispatched to running).
func (s *Server) noteRunActivity(r *http.Request) {
	if p, ok := auth.FromContext(r.Context()); ok && p.IsRunToken() {
		s.Runs().NoteActivity(r.Context(), p.RunID)
	}
}

// readPluginBody reads a callback's JSON body.
func readPluginBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, Errorf(http.StatusBadRequest, hubapi.CodeInvalidJSON, "request body is empty, want a JSON object")
	}
	return b, nil
}

// pluginCallbackError maps the run dispatcher's errors to answers.
func pluginCallbackError(err error) error {
	switch {
	case errors.Is(err, runs.ErrSessionMismatch):
		return Errorf(http.StatusForbidden, hubapi.CodeForbidden, "the session is not the run this token belongs to")
	case errors.Is(err, runs.ErrRunEnded):
		return Errorf(http.StatusConflict, hubapi.CodeConflict, "the run already ended")
	case errors.Is(err, runs.ErrReplicaUnavailable):
		return Errorf(http.StatusServiceUnavailable, hubapi.CodeUnavailable, "the hub replica holding the run did not answer; try again")
	}
	return err
}

// handleV2PluginLog serves POST /v2/pluginLog: one log line of the
// token's run (body: the `log` event payload). Lines of an ended run are
// accepted and dropped.
func (s *Server) handleV2PluginLog(w http.ResponseWriter, r *http.Request) {
	servePluginCallback(s, w, r, gateway.DecodeLogEvent, s.Runs().PostLog)
}

// handleV2PluginResponse serves POST /v2/pluginResponse: the result of
// the token's run (body: the `response` event payload); 409 when the run
// already ended.
func (s *Server) handleV2PluginResponse(w http.ResponseWriter, r *http.Request) {
	servePluginCallback(s, w, r, gateway.DecodeResponseEvent, func(ctx context.Context, runID string, ev *gateway.ResponseEvent) error {
		if err := s.Runs().PostResponse(ctx, runID, ev); err != nil {
			return fmt.Errorf("plugin response: %w", err)
		}
		return nil
	})
}

// servePluginCallback serves a /v2 plugin callback: it checks the run
// token, decodes the body with decode, hands the event to post for the
// token's run and answers V2PluginAck.
func servePluginCallback[E any](s *Server, w http.ResponseWriter, r *http.Request, decode func([]byte) (E, error), post func(ctx context.Context, runID string, ev E) error) {
	runID, err := pluginRunID(r)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	b, err := readPluginBody(r)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	ev, err := decode(b)
	if err != nil {
		s.WriteError(w, r, Errorf(http.StatusBadRequest, hubapi.CodeInvalidJSON, "%v", err))
		return
	}
	if err := post(r.Context(), runID, ev); err != nil {
		s.WriteError(w, r, pluginCallbackError(err))
		return
	}
	WriteData(w, V2PluginAck{Session: runID})
}
