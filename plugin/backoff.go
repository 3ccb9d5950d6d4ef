package plugin

import (
	"math/rand/v2"
	"time"
)

// backoffDelay returns the delay before reconnect attempt n (1-based):
// minDelay doubled per attempt, capped at maxDelay, then spread by ±50%
// jitter (and capped again) so that replicas restarted together do not
// reconnect in lockstep.
func backoffDelay(n int, minDelay, maxDelay time.Duration) time.Duration {
	if n < 1 {
		return 0
	}
	d := minDelay
	for i := 1; i < n && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	jittered := d/2 + time.Duration(rand.Int64N(int64(d)+1))
	return min(jittered, maxDelay)
}
