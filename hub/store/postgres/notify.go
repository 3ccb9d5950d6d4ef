package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"
)

// MaxNotifyPayload bounds the payload of Notify: PostgreSQL's NOTIFY
// takes less than 8000 bytes.
const MaxNotifyPayload = 7999

// listenReconnectDelay is how long Listen waits before it connects again
// after losing its connection.
const listenReconnectDelay = time.Second

// channel returns the NOTIFY channel of a topic: a hash of the schema and
// the topic, so that any topic makes a valid channel name and hubs in
// other schemas of the same database hear nothing of this one.
func (s *Store) channel(topic string) string {
	sum := sha256.Sum256([]byte(s.schema + "\x00" + topic))
	return "exporthub_" + hex.EncodeToString(sum[:12])
}

// Notify sends payload to every listener of topic on this store's schema,
// in any process, this one included (PostgreSQL NOTIFY). The payload must
// be UTF-8 text without NUL of at most MaxNotifyPayload bytes.
// Notifications are not stored: a listener that is not connected when
// one is sent never gets it.
func (s *Store) Notify(ctx context.Context, topic string, payload []byte) error {
	switch {
	case len(payload) > MaxNotifyPayload:
		return fmt.Errorf("notify %s: payload of %d bytes is larger than %d", topic, len(payload), MaxNotifyPayload)
	case !utf8.Valid(payload) || bytes.IndexByte(payload, 0) >= 0:
		return fmt.Errorf("notify %s: payload must be UTF-8 text without NUL", topic)
	}
	if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, s.channel(topic), string(payload)); err != nil {
		return fmt.Errorf("notify %s: %w", topic, interpretError(err))
	}
	return nil
}

// Listen calls handle with each notification sent to one of topics (see
// Notify) until ctx is done, then returns ctx's error. It holds a
// dedicated connection (pgxlisten), outside the pool, and connects again
// when it loses it. listening, when not nil, is called once the
// connection listens on every topic, and again after each reconnection:
// notifications sent meanwhile were missed. handle and listening run on
// the listening goroutine, one at a time, and must return quickly.
func (s *Store) Listen(ctx context.Context, topics []string, handle func(topic string, payload []byte), listening func()) error {
	if len(topics) == 0 {
		return errors.New("listen: no topics")
	}
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			cfg := s.connConfig.Copy()
			cfg.RuntimeParams["application_name"] = listenAppName(cfg.RuntimeParams["application_name"])
			return pgx.ConnectConfig(ctx, cfg)
		},
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() == nil {
				s.log.WarnContext(ctx, "listen for notifications", slog.Any("error", interpretError(err)))
			}
		},
		ReconnectDelay: listenReconnectDelay,
	}
	ready := &readiness{listening: listening}
	seen := make(map[string]bool, len(topics))
	for _, t := range topics {
		ch := s.channel(t)
		if seen[ch] {
			continue
		}
		seen[ch] = true
		l.Handle(ch, &topicHandler{topic: t, handle: handle, ready: ready})
	}
	ready.want = len(seen)
	err := l.Listen(ctx)
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return fmt.Errorf("listen: %w", interpretError(err))
}

// listenAppName is the application_name of Listen's connection: the
// database URL's application_name (or "exporthub") followed by " listen",
// so that an operator tells it from the pool's connections in
// pg_stat_activity.
func listenAppName(name string) string {
	if name == "" {
		name = "exporthub"
	}
	return name + " listen"
}

// readiness calls listening once a connection listens on every channel.
type readiness struct {
	listening func()
	want      int // channels to listen on; set before Listen starts

	mu    sync.Mutex
	conn  *pgx.Conn
	ready map[string]bool
}

// listened records that conn listens on ch.
func (r *readiness) listened(ch string, conn *pgx.Conn) {
	r.mu.Lock()
	if conn != r.conn {
		r.conn, r.ready = conn, make(map[string]bool)
	}
	r.ready[ch] = true
	done := len(r.ready) == r.want
	r.mu.Unlock()
	if done && r.listening != nil {
		r.listening()
	}
}

// topicHandler passes one channel's notifications on.
type topicHandler struct {
	topic  string
	handle func(topic string, payload []byte)
	ready  *readiness
}

// HandleNotification passes the payload to handle.
func (h *topicHandler) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	h.handle(h.topic, []byte(n.Payload))
	return nil
}

// HandleBacklog is called right after the connection listens on the
// channel; it reports readiness (there is no backlog to read).
func (h *topicHandler) HandleBacklog(_ context.Context, channel string, conn *pgx.Conn) error {
	h.ready.listened(channel, conn)
	return nil
}
