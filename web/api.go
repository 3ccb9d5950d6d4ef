package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/exporthub/exporthub/hub/hubtype"
)

// maxAPIBody bounds the JSON bodies of the UI's endpoints.
const maxAPIBody = 256 << 10

// failBody is the body of a failed JSON call, the hub's error envelope.
type failBody struct {
	Status  string `json:"status"` // always "fail"
	Message string `json:"message"`
	Code    string `json:"code"`
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the browser went away; nothing left to tell it
}

// writeFail writes the error envelope.
func writeFail(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, failBody{Status: "fail", Message: msg, Code: code})
}

// apiFail answers a JSON call that failed with err.
func (ui *UI) apiFail(q *request, err error) {
	var ie *InputError
	var fe *hubtype.FieldError
	switch {
	case errors.As(err, &ie):
		writeFail(q.w, http.StatusBadRequest, "bad_request", ie.Message)
	case errors.As(err, &fe):
		writeFail(q.w, http.StatusBadRequest, "bad_request", fe.Message)
	case errors.Is(err, errForbidden) || errors.Is(err, hubtype.ErrForbidden):
		writeFail(q.w, http.StatusForbidden, "forbidden", "this needs an organization admin or the plugin's owner")
	case errors.Is(err, hubtype.ErrConflict):
		writeFail(q.w, http.StatusConflict, "conflict", ruleMessage(err))
	case errors.Is(err, hubtype.ErrNotFound):
		writeFail(q.w, http.StatusNotFound, "not_found", "not found")
	default:
		writeFail(q.w, http.StatusInternalServerError, "internal", ui.userMessage(q.r, err))
	}
}

// api wraps a JSON or event-stream endpoint the UI's JavaScript calls: it
// needs a session (else 401) and, for POST, the session's CSRF token in
// the X-CSRF-Token header (else 403).
func (ui *UI) api(h func(*request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := loadSession(r.Context(), ui.users, r)
		if errors.Is(err, ErrNoSession) {
			writeFail(w, http.StatusUnauthorized, "unauthorized", "you are signed out: reload the page and sign in again")
			return
		}
		if err != nil {
			ui.serverError(w, r, err)
			return
		}
		if r.Method == http.MethodPost && !tokensEqual(r.Header.Get(CSRFHeader), s.ws.CSRFToken) {
			writeFail(w, http.StatusForbidden, "forbidden", "missing or wrong CSRF token: reload the page and try again")
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
		}
		h(&request{session: s, w: w, r: r})
	}
}

// decodeBody decodes a JSON request body into v.
func decodeBody(r *http.Request, v any) error {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return inputErrorf("request body is larger than %d bytes", mbe.Limit)
		}
		return inputErrorf("request body is not valid JSON: %v", err)
	}
	return nil
}

// streamContext returns the context of an event stream of q: cancelled
// when the browser leaves, when the hub begins to shut down (so that no
// stream holds a graceful shutdown) or when q's session ends (signed
// out, expired, user deleted), which is checked every
// SessionCheckInterval. The caller calls cancel when the stream ends.
func (ui *UI) streamContext(q *request) (ctx context.Context, cancel context.CancelFunc) {
	ctx, cancel = context.WithCancel(q.r.Context())
	go func() {
		t := time.NewTicker(ui.cfg.SessionCheckInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ui.hub.Stopping():
				cancel()
				return
			case <-t.C:
				// Only a session known to be gone ends the stream; when the
				// database does not answer, the stream's own reads fail
				// the same way and end it.
				if _, err := loadSession(ctx, ui.users, q.r); errors.Is(err, ErrNoSession) {
					cancel()
					return
				}
			}
		}
	}()
	return ctx, cancel
}
