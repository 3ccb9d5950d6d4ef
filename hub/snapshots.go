package hub

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Export snapshots are the project copies GET /v2/export writes to the
// hub's bucket (a run's plugin downloads one through its presigned URL).
// Each is recorded in the store with the run it was made for, and the
// snapshot sweeper of every replica deletes those nobody needs any more:
// a run's as soon as the run ended (the run dispatcher wakes it), one
// made for no run once its presigned URL expired, and any left by a
// replica that stopped at its next pass.

// snapshotSweepInterval is how often a replica sweeps without being
// woken.
const snapshotSweepInterval = 5 * time.Minute

// snapshotBatch bounds the snapshots one pass deletes before it looks
// again.
const snapshotBatch = 100

// snapshotSweeper deletes the export snapshots nobody needs any more.
type snapshotSweeper struct {
	s    *Server
	wake chan struct{}

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

func newSnapshotSweeper(s *Server) *snapshotSweeper {
	return &snapshotSweeper{s: s, wake: make(chan struct{}, 1)}
}

// runEnded asks for a pass soon (a run ended: its snapshots can go). It
// does not wait.
func (w *snapshotSweeper) runEnded() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Start starts the sweeping loop.
func (w *snapshotSweeper) Start(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	w.mu.Lock()
	w.cancel, w.done = cancel, done
	w.mu.Unlock()
	go func() {
		defer close(done)
		t := time.NewTicker(snapshotSweepInterval)
		defer t.Stop()
		for {
			w.sweep(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-w.wake:
			}
		}
	}()
	return nil
}

// Shutdown stops the loop, waiting for a pass in progress until ctx is
// done.
func (w *snapshotSweeper) Shutdown(ctx context.Context) error {
	w.mu.Lock()
	cancel, done := w.cancel, w.done
	w.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
	case <-ctx.Done():
	}
	return nil
}

// sweep deletes the deletable snapshots: the object first, then its
// record, so that a failed deletion is tried again at the next pass.
func (w *snapshotSweeper) sweep(ctx context.Context) {
	s := w.s
	for ctx.Err() == nil {
		keys, err := s.store.SnapshotsDeletable(ctx, time.Now().Add(-s.cfg.SignedURLExpiry), snapshotBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.log.WarnContext(ctx, "list export snapshots to delete", slog.Any(logKeyError, err))
			}
			return
		}
		for _, k := range keys {
			if err := s.blobs.Hub().Delete(ctx, k); err != nil {
				s.log.WarnContext(ctx, "delete export snapshot", slog.String("key", k), slog.Any(logKeyError, err))
				return
			}
			if err := s.store.SnapshotDelete(ctx, k); err != nil {
				s.log.WarnContext(ctx, "forget export snapshot", slog.String("key", k), slog.Any(logKeyError, err))
				return
			}
		}
		if len(keys) < snapshotBatch {
			return
		}
	}
}

var _ Component = (*snapshotSweeper)(nil)
