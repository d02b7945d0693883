//go:build !unix

package quality

func cpuSeconds() float64 { return 0 }
