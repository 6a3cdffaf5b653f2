//go:build !linux

package models

import "errors"

// availableMemory is only known on Linux for now; elsewhere the "fits in
// memory" badge is left out rather than guessed.
func availableMemory() (uint64, error) {
	return 0, errors.New("available memory unknown on this platform")
}
