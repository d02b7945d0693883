//go:build !unix

package fasttext

// cpuSeconds is unavailable here; benchmarks report wall time only.
func cpuSeconds() float64 { return 0 }
