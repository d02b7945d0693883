//go:build !unix

package langid

func cpuSeconds() float64 { return 0 }
