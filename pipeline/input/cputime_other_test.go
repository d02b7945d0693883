//go:build !unix

package input

import "time"

func processCPU() time.Duration { return 0 }
