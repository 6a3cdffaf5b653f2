//go:build !linux

package sysmem

import "errors"

// Available is only known on Linux for now; elsewhere callers leave out
// what depends on it (the "fits in memory" badge) rather than guess.
func Available() (uint64, error) {
	return 0, errors.New("available memory unknown on this platform")
}
