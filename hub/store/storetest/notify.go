package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

// notifier is the notification capability both backends offer: the run
// dispatcher (hub/runs) declares the same interface where it uses it.
type notifier interface {
	Notify(ctx context.Context, topic string, payload []byte) error
	Listen(ctx context.Context, topics []string, handle func(topic string, payload []byte), listening func()) error
}

// listen starts a listener on topics and returns the channel it fills
// with "topic:payload" once it listens; it stops at the end of the test.
func listen(t *testing.T, n notifier, topics ...string) <-chan string {
	t.Helper()
	got := make(chan string, 100)
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var once bool
	go func() {
		done <- n.Listen(ctx, topics, func(topic string, payload []byte) { got <- topic + ":" + string(payload) },
			func() {
				if !once {
					once = true
					close(ready)
				}
			})
	}()
	t.Cleanup(func() {
		cancel()
		require.ErrorIs(t, <-done, context.Canceled, "Listen returns the context's error")
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Listen: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Listen did not start listening within 10s")
	}
	return got
}

// receive waits for the next notification of a listener.
func receive(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no notification within 10s")
		return ""
	}
}

func testNotify(t *testing.T, newStore func(t *testing.T) store.Store) {
	setupNotifier := func(t *testing.T) (*bundle, notifier) {
		t.Helper()
		b := setup(t, newStore)
		n, ok := b.s.(notifier)
		if !ok {
			t.Skip("the store has no Notify and Listen")
		}
		return b, n
	}

	t.Run("ListenersGetTheirTopics", func(t *testing.T) {
		t.Parallel()
		b, n := setupNotifier(t)
		both := listen(t, n, "alpha", "node:hub-1:7420")
		one := listen(t, n, "node:hub-1:7420")
		require.NoError(t, n.Notify(b.ctx, "alpha", []byte(`{"op":"run"}`)))
		require.NoError(t, n.Notify(b.ctx, "gamma", []byte("nobody listens")))
		require.NoError(t, n.Notify(b.ctx, "node:hub-1:7420", []byte("1")))
		require.NoError(t, n.Notify(b.ctx, "node:hub-1:7420", []byte("2")))

		require.Equal(t, `alpha:{"op":"run"}`, receive(t, both))
		require.Equal(t, "node:hub-1:7420:1", receive(t, both))
		require.Equal(t, "node:hub-1:7420:2", receive(t, both), "in the order sent")
		require.Equal(t, "node:hub-1:7420:1", receive(t, one))
		require.Equal(t, "node:hub-1:7420:2", receive(t, one))
		require.Empty(t, both, "nothing of other topics")
		require.Empty(t, one, "nothing of other topics")
	})

	t.Run("PayloadBound", func(t *testing.T) {
		t.Parallel()
		b, n := setupNotifier(t)
		err := n.Notify(b.ctx, "alpha", []byte(strings.Repeat("x", 8000)))
		require.ErrorContains(t, err, "payload of 8000 bytes is larger than 7999")
		require.NoError(t, n.Notify(b.ctx, "alpha", []byte(strings.Repeat("x", 7999))))
	})

	t.Run("ListenNeedsTopics", func(t *testing.T) {
		t.Parallel()
		b, n := setupNotifier(t)
		require.ErrorContains(t, n.Listen(b.ctx, nil, func(string, []byte) {}, nil), "no topics")
	})
}
