//go:build unix

package aaf_test

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user + system, all threads) the process
// has used; benchmarks report it per asset because wall time is noisy on a
// shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
