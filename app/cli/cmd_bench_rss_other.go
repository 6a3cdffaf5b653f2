//go:build !unix

package app

// peakRSS is unknown on this platform.
func peakRSS() int64 { return 0 }
