package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// MaxNotifyPayload bounds the payload of Notify, as on PostgreSQL, so that
// code that runs on both backends meets the same limit.
const MaxNotifyPayload = 7999

// A SQLite file serves one process, so notifications go from Notify to
// the listeners of the same Store in memory.

// notifier fans notifications out to the listeners of a Store.
type notifier struct {
	mu        sync.Mutex
	listeners map[string]map[*listener]struct{} // topic -> listeners
}

// listener is one Listen call: a queue drained by its goroutine, so that
// Notify never waits for a slow handler and each listener sees the
// notifications in the order they were sent.
type listener struct {
	mu    sync.Mutex
	queue []note
	wake  chan struct{}
}

type note struct {
	topic   string
	payload []byte
}

// Notify sends payload to every listener of topic on this Store (see
// Listen). It never blocks on a listener. The payload is at most
// MaxNotifyPayload bytes.
func (s *Store) Notify(_ context.Context, topic string, payload []byte) error {
	if len(payload) > MaxNotifyPayload {
		return fmt.Errorf("notify %s: payload of %d bytes is larger than %d", topic, len(payload), MaxNotifyPayload)
	}
	n := &s.notes
	n.mu.Lock()
	defer n.mu.Unlock()
	for l := range n.listeners[topic] {
		l.mu.Lock()
		l.queue = append(l.queue, note{topic: topic, payload: append([]byte(nil), payload...)})
		l.mu.Unlock()
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// Listen calls handle with each notification sent to one of topics by
// Notify on this Store, in order, until ctx is done, then returns ctx's
// error. listening, when not nil, is called once, as soon as the listener
// is registered. handle and listening run on the calling goroutine.
func (s *Store) Listen(ctx context.Context, topics []string, handle func(topic string, payload []byte), listening func()) error {
	if len(topics) == 0 {
		return errors.New("listen: no topics")
	}
	l := &listener{wake: make(chan struct{}, 1)}
	n := &s.notes
	n.mu.Lock()
	if n.listeners == nil {
		n.listeners = make(map[string]map[*listener]struct{})
	}
	for _, t := range topics {
		if n.listeners[t] == nil {
			n.listeners[t] = make(map[*listener]struct{})
		}
		n.listeners[t][l] = struct{}{}
	}
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		for _, t := range topics {
			delete(n.listeners[t], l)
			if len(n.listeners[t]) == 0 {
				delete(n.listeners, t)
			}
		}
	}()
	if listening != nil {
		listening()
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-l.wake:
		}
		l.mu.Lock()
		batch := l.queue
		l.queue = nil
		l.mu.Unlock()
		for _, nt := range batch {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			handle(nt.topic, nt.payload)
		}
	}
}
