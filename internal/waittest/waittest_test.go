package waittest_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/internal/waittest"
)

// fakeT records a failure instead of ending the test.
type fakeT struct {
	testing.TB
	msg string
}

func (f *fakeT) Helper() {}

// Fatalf records the message and stops the wait as t.Fatalf would.
func (f *fakeT) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(f)
}

func TestFor(t *testing.T) {
	t.Parallel()

	t.Run("ReturnsOnceTrue", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		waittest.For(t, "the third poll", func() bool { return n.Add(1) == 3 })
		require.Equal(t, int32(3), n.Load())
	})

	t.Run("FailsWithWhatAfterTimeout", func(t *testing.T) {
		t.Parallel()
		f := &fakeT{TB: t}
		start := time.Now()
		func() {
			defer func() { require.Equal(t, f, recover()) }()
			waittest.Within(f, 50*time.Millisecond, "nothing", func() bool { return false })
		}()
		require.Equal(t, "timed out after 50ms waiting for nothing", f.msg)
		require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
	})
}
