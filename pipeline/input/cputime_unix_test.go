//go:build unix

package input

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used, all threads: on a
// shared machine it measures cost per byte where wall time measures the
// neighbours' load.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
