//go:build unix

package fasttext

import "syscall"

// cpuSeconds returns the process's user and system CPU time: throughput
// per CPU second is a per-core figure even on a machine shared with other
// work, where wall-clock benchmark figures are not.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
