// Package sse writes server-sent events (text/event-stream), the one
// writer of the hub's streams: the run log and notification streams of
// the API and the run and bell streams of the web UI.
package sse

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// DefaultRetry is the reconnection delay a stream asks the client for:
// a stream the server ends (the hub replica is stopping) is taken up
// again by another replica, or the restarted hub, after it.
const DefaultRetry = time.Second

// Writer writes events to one response. It is not safe for concurrent
// use: one goroutine serves a stream.
type Writer struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// Start answers with an event stream on w: status 200, the event-stream
// headers (never cached or buffered by proxies), no write deadline, and
// the reconnection delay DefaultRetry. It returns the Writer and an error
// when the client is gone already.
func Start(w http.ResponseWriter) (*Writer, error) {
	rc := http.NewResponseController(w)
	// Streams outlive any write timeout; not every writer supports
	// deadlines, and then there is no timeout to lift.
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	s := &Writer{w: w, rc: rc}
	if _, err := fmt.Fprintf(w, "retry: %d\n\n", DefaultRetry.Milliseconds()); err != nil {
		return nil, fmt.Errorf("write event stream: %w", err)
	}
	return s, s.flush()
}

// Event writes one event named name with data encoded as JSON. id, when
// not "", becomes the client's Last-Event-ID on reconnect.
func (s *Writer) Event(name, id string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode event %s: %w", name, err)
	}
	var sb strings.Builder
	if id != "" {
		sb.WriteString("id: " + id + "\n")
	}
	sb.WriteString("event: " + name + "\ndata: ")
	sb.Write(b)
	sb.WriteString("\n\n")
	if _, err := s.w.Write([]byte(sb.String())); err != nil {
		return fmt.Errorf("write event stream: %w", err)
	}
	return s.flush()
}

// KeepAlive writes a comment line, so that proxies keep an idle stream
// open.
func (s *Writer) KeepAlive() error {
	if _, err := s.w.Write([]byte(": keep-alive\n\n")); err != nil {
		return fmt.Errorf("write event stream: %w", err)
	}
	return s.flush()
}

func (s *Writer) flush() error {
	if err := s.rc.Flush(); err != nil {
		return fmt.Errorf("flush event stream: %w", err)
	}
	return nil
}
