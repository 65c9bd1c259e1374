//go:build !unix

package dataset

import "time"

// processCPU is not measured on this platform.
func processCPU() time.Duration { return 0 }
