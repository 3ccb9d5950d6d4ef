package runs

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/store"
)

// logBatch is how many buffered lines trigger an immediate store write.
const logBatch = 256

// followPage is how many lines FollowLogs reads at once.
const followPage = 500

// runLogs buffers the log lines of an active run.
type runLogs struct {
	mu        sync.Mutex
	pending   []*store.RunLog
	scheduled bool
	stored    int // lines stored so far by this process
	dropped   int // lines dropped over the bound

	flushMu sync.Mutex // serialises store writes, keeping lines in order
}

// logLine turns a log event into a bounded log line.
func (m *Manager) logLine(ev *gateway.LogEvent) *store.RunLog {
	l := &store.RunLog{Time: time.Now().UTC(), Level: ev.Level, Msg: truncate(ev.Msg, m.cfg.MaxLogLineBytes)}
	if len(ev.Extra) > 0 {
		b, err := json.Marshal(ev.Extra)
		switch {
		case err != nil:
			b, _ = json.Marshal(map[string]string{"_error": "extra fields are not JSON"})
		case len(b) > m.cfg.MaxLogExtraBytes:
			b, _ = json.Marshal(map[string]string{"_truncated": fmt.Sprintf("extra fields of %d bytes exceed the limit of %d", len(b), m.cfg.MaxLogExtraBytes)})
		}
		l.Extra = b
	}
	return l
}

// truncate cuts s to at most n bytes on a rune boundary, saying so.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const note = " … (truncated)"
	cut := n - len(note)
	if cut < 0 {
		cut = 0
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + note
}

// addLog buffers a line and schedules (or does) the store write.
func (m *Manager) addLog(ar *activeRun, l *store.RunLog) {
	lg := &ar.logs
	lg.mu.Lock()
	lg.pending = append(lg.pending, l)
	full := len(lg.pending) >= logBatch
	schedule := !full && !lg.scheduled
	if schedule {
		lg.scheduled = true
	}
	lg.mu.Unlock()
	switch {
	case full:
		m.flushLogs(m.ctx, ar, false)
	case schedule:
		time.AfterFunc(m.cfg.LogFlushInterval, func() { m.flushLogs(m.ctx, ar, false) })
	}
}

// flushLogs stores the buffered lines of a run and wakes its followers.
// With final set it also stores a line saying how many lines were dropped.
func (m *Manager) flushLogs(ctx context.Context, ar *activeRun, final bool) {
	lg := &ar.logs
	lg.flushMu.Lock()
	defer lg.flushMu.Unlock()
	lg.mu.Lock()
	lines := lg.pending
	lg.pending = nil
	lg.scheduled = false
	lg.mu.Unlock()
	limit := m.cfg.MaxLogLines
	if len(lines) > 0 {
		if lg.stored >= limit {
			lg.dropped += len(lines)
		} else {
			kept, err := m.st.RunLogAppend(ctx, ar.run.ID, lines, limit)
			if err != nil {
				// Logs are best effort: the run goes on without them.
				m.log.WarnContext(ctx, "store run logs", slog.String(logKeyRun, ar.run.ID), slog.Int("lines", len(lines)), slog.Any(logKeyError, err))
				kept = 0
			}
			lg.stored += kept
			lg.dropped += len(lines) - kept
		}
	}
	if final && lg.dropped > 0 {
		note := &store.RunLog{
			Time:  time.Now().UTC(),
			Level: gateway.LevelWarning,
			Msg:   fmt.Sprintf("%d log lines dropped: a run keeps at most %d lines", lg.dropped, limit),
		}
		if _, err := m.st.RunLogAppend(ctx, ar.run.ID, []*store.RunLog{note}, limit+1); err != nil {
			m.log.WarnContext(ctx, "store dropped-lines note", slog.String(logKeyRun, ar.run.ID), slog.Any(logKeyError, err))
		}
		lg.dropped = 0
	}
	if len(lines) > 0 || final {
		m.wakeRun(ar.run.ID)
	}
}

// NoteExtra is the extra keys of the log lines the hub itself writes (a
// run that could not be dispatched, ended by the hub, retried), so that
// readers tell them from the plugin's lines.
const NoteExtra = `{"source":"hub"}`

// appendNote stores a line written by the hub itself in a run's log.
func (m *Manager) appendNote(ctx context.Context, runID, level, msg string) {
	l := &store.RunLog{Time: time.Now().UTC(), Level: level, Msg: msg, Extra: json.RawMessage(NoteExtra)}
	if _, err := m.st.RunLogAppend(ctx, runID, []*store.RunLog{l}, m.cfg.MaxLogLines+1); err != nil {
		m.log.WarnContext(ctx, "store run log note", slog.String(logKeyRun, runID), slog.Any(logKeyError, err))
	}
}

// FollowParams says which log lines FollowLogs sends where.
type FollowParams struct {
	OrgID string
	RunID string
	// AfterSeq skips the lines with Seq <= AfterSeq (a reconnecting
	// client passes the last Seq it got).
	AfterSeq int64
	// OnLine receives each line in order; an error stops FollowLogs.
	OnLine func(*store.RunLog) error
	// OnIdle is called when no line came for Config.FollowInterval (to
	// keep a connection alive); nil to skip. An error stops FollowLogs.
	OnIdle func() error
	// OnStatus, when set, receives the run while it is active: first as
	// it is, then whenever its status changed (after the lines stored
	// before the change). The run's end is FollowLogs' result, not an
	// OnStatus call. An error stops FollowLogs.
	OnStatus func(*store.Run) error
}

// FollowLogs sends a run's log lines after p.AfterSeq to p.OnLine, then
// the new ones as they are stored (by this hub replica or another: their
// wake-ups come through the Notifier, and the store is read again at
// least every FollowInterval), and returns the run once it has ended and
// every line was sent. It returns early with ctx's error or the
// callbacks'. store.ErrNotFound when the run is not in the organization.
func (m *Manager) FollowLogs(ctx context.Context, p *FollowParams) (*store.Run, error) {
	run, err := m.st.RunGet(ctx, p.OrgID, p.RunID)
	if err != nil {
		return nil, fmt.Errorf("get run: %w", err)
	}
	wake, stop := m.logWatch.subscribe(p.RunID)
	defer stop()
	after := p.AfterSeq
	var lastStatus store.RunStatus
	idle := time.NewTimer(m.cfg.FollowInterval)
	defer idle.Stop()
	for {
		// The status is read before the lines: lines are stored before a
		// run ends, so once the run is seen ended, one more read gets
		// them all.
		ended := run.Status.Final()
		for {
			lines, err := m.st.RunLogList(ctx, p.RunID, after, followPage)
			if err != nil {
				return nil, fmt.Errorf("list run logs: %w", err)
			}
			for _, l := range lines {
				if err := p.OnLine(l); err != nil {
					return nil, err
				}
				after = l.Seq
			}
			if len(lines) < followPage {
				break
			}
		}
		if ended {
			return run, nil
		}
		if p.OnStatus != nil && run.Status != lastStatus {
			lastStatus = run.Status
			if err := p.OnStatus(run); err != nil {
				return nil, err
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case _, ok := <-wake:
			if !ok {
				return nil, ErrClosed
			}
		case <-idle.C:
			if p.OnIdle != nil {
				if err := p.OnIdle(); err != nil {
					return nil, err
				}
			}
		}
		idle.Reset(m.cfg.FollowInterval)
		if run, err = m.st.RunGet(ctx, p.OrgID, p.RunID); err != nil {
			return nil, fmt.Errorf("get run: %w", err)
		}
	}
}

// broadcaster wakes the subscribers of a key. A slow subscriber misses
// values (its channel holds a few), never blocks the sender.
type broadcaster[T any] struct {
	mu     sync.Mutex
	subs   map[string]map[chan T]struct{}
	closed bool
}

func newBroadcaster[T any]() *broadcaster[T] {
	return &broadcaster[T]{subs: make(map[string]map[chan T]struct{})}
}

// subscribe returns a channel receiving the values sent to key and a
// function to unsubscribe. The channel is closed by closeAll.
func (b *broadcaster[T]) subscribe(key string) (<-chan T, func()) {
	ch := make(chan T, 16)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(ch)
		return ch, func() {}
	}
	if b.subs[key] == nil {
		b.subs[key] = make(map[chan T]struct{})
	}
	b.subs[key][ch] = struct{}{}
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.subs[key][ch]; ok {
			delete(b.subs[key], ch)
			if len(b.subs[key]) == 0 {
				delete(b.subs, key)
			}
			close(ch)
		}
	}
}

// notify sends v to the subscribers of key without blocking.
func (b *broadcaster[T]) notify(key string, v T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[key] {
		select {
		case ch <- v:
		default:
		}
	}
}

// has reports whether key has subscribers.
func (b *broadcaster[T]) has(key string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs[key]) > 0
}

// notifyAll sends v to every subscriber without blocking.
func (b *broadcaster[T]) notifyAll(v T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, set := range b.subs {
		for ch := range set {
			select {
			case ch <- v:
			default:
			}
		}
	}
}

// closeAll closes every subscriber's channel.
func (b *broadcaster[T]) closeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for _, set := range b.subs {
		for ch := range set {
			close(ch)
		}
	}
	b.subs = make(map[string]map[chan T]struct{})
}
