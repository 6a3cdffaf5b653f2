//go:build !unix

package tensor

func cpuSeconds() float64 { return 0 }
