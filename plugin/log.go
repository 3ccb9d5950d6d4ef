package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/exporthub/exporthub/internal/wire"
)

// Attribute keys of the SDK's own log records.
const (
	LogKeyAttempt   = "attempt"
	LogKeyBytes     = "bytes"
	LogKeyComponent = "component"
	LogKeyDelay     = "delay"
	LogKeyDropped   = "dropped"
	LogKeyDuration  = "duration"
	LogKeyError     = "error"
	LogKeyFile      = "file"
	LogKeyHost      = "host"
	LogKeyProject   = "project_id"
	LogKeyReason    = "reason"
	LogKeySession   = "session"
	LogKeyStack     = "stack"
)

// logSender delivers one "log" event payload to the hub. It must not block
// for long: the callback is waiting.
type logSender interface {
	sendLog(payload wire.Log)
}

// hubHandler is a slog.Handler that turns records into "log" events of one
// run. It is safe for concurrent use.
type hubHandler struct {
	sender logSender
	min    slog.Leveler
	base   wire.Log    // organization, pluginId, runBy, session
	attrs  []slog.Attr // pre-resolved WithAttrs, keys already prefixed
	prefix string      // group prefix "a.b." for later attributes
}

func newHubHandler(sender logSender, min slog.Leveler, base wire.Log) *hubHandler {
	return &hubHandler{sender: sender, min: min, base: base}
}

// Enabled reports whether level is at or above the hub log level.
func (h *hubHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.min.Level()
}

// Handle sends the record as a "log" event: its attributes are the
// event's extra keys.
func (h *hubHandler) Handle(_ context.Context, r slog.Record) error {
	l := h.base
	l.Level = hubLevel(r.Level)
	l.Msg = r.Message
	if n := len(h.attrs) + r.NumAttrs(); n > 0 {
		l.Extra = make(map[string]any, n)
		for _, a := range h.attrs {
			putAttr(l.Extra, "", a)
		}
		r.Attrs(func(a slog.Attr) bool {
			putAttr(l.Extra, h.prefix, a)
			return true
		})
		if len(l.Extra) == 0 {
			l.Extra = nil
		}
	}
	h.sender.sendLog(l)
	return nil
}

// WithAttrs returns a handler that adds attrs to every record.
func (h *hubHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := *h
	h2.attrs = slices.Clip(h.attrs)
	for _, a := range attrs {
		h2.attrs = append(h2.attrs, prefixAttr(h.prefix, a))
	}
	return &h2
}

// WithGroup returns a handler that qualifies later keys with "name.".
func (h *hubHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	return &h2
}

func prefixAttr(prefix string, a slog.Attr) slog.Attr {
	if prefix == "" {
		return a
	}
	return slog.Attr{Key: prefix + a.Key, Value: a.Value}
}

// putAttr flattens a into payload: groups become dotted keys, and a key
// of the event itself (plugin-protocol section 2: level, msg, session,
// ...) is sent as "<key>_".
func putAttr(payload map[string]any, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if v.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p = prefix + a.Key + "."
		}
		for _, ga := range v.Group() {
			putAttr(payload, p, ga)
		}
		return
	}
	key := prefix + a.Key
	if wire.IsLogKey(key) {
		key += "_"
	}
	payload[key] = jsonValue(v)
}

// jsonValue converts a resolved slog value to a plain JSON value (string,
// number, bool, nil, []any or map[string]any), so that the Socket.IO
// encoder never meets a []byte (it would turn it into a binary attachment).
func jsonValue(v slog.Value) any {
	switch v.Kind() {
	case slog.KindString:
		return v.String()
	case slog.KindInt64:
		return v.Int64()
	case slog.KindUint64:
		return v.Uint64()
	case slog.KindFloat64:
		f := v.Float64()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Sprint(f) // JSON has no NaN or Inf
		}
		return f
	case slog.KindBool:
		return v.Bool()
	case slog.KindDuration:
		return v.Duration().String()
	case slog.KindTime:
		return v.Time().Format(time.RFC3339Nano)
	}
	switch x := v.Any().(type) {
	case nil:
		return nil
	case error:
		return x.Error()
	case []byte:
		return string(x)
	case json.Marshaler, map[string]any, []any:
		return viaJSON(x)
	case fmt.Stringer:
		return x.String()
	default:
		return viaJSON(x)
	}
}

// viaJSON round-trips x through encoding/json; values it cannot encode are
// printed with fmt.
func viaJSON(x any) any {
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Sprint(x)
	}
	return out
}

// hubLevel names a slog level the way the Python SDK's logger does.
func hubLevel(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return wire.LevelError
	case l >= slog.LevelWarn:
		return wire.LevelWarning
	case l >= slog.LevelInfo:
		return wire.LevelInfo
	}
	return wire.LevelDebug
}

// teeHandler sends each record to several handlers. It is safe for
// concurrent use when they are.
type teeHandler []slog.Handler

// Enabled reports whether any handler is enabled at level.
func (t teeHandler) Enabled(ctx context.Context, level slog.Level) bool {
	for _, h := range t {
		if h.Enabled(ctx, level) {
			return true
		}
	}
	return false
}

// Handle passes r to every enabled handler and returns the first error.
func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var first error
	for _, h := range t {
		if !h.Enabled(ctx, r.Level) {
			continue
		}
		if err := h.Handle(ctx, r.Clone()); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// WithAttrs returns a tee of the handlers with attrs.
func (t teeHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make(teeHandler, len(t))
	for i, h := range t {
		out[i] = h.WithAttrs(attrs)
	}
	return out
}

// WithGroup returns a tee of the handlers with the group.
func (t teeHandler) WithGroup(name string) slog.Handler {
	out := make(teeHandler, len(t))
	for i, h := range t {
		out[i] = h.WithGroup(name)
	}
	return out
}
