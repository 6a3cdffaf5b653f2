//go:build unix

package models

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockPart takes an exclusive lock on a part file so two Burrow processes
// (the app and a `burrow pull`) never append to the same file.
func lockPart(path string) (unlock func(), err error) {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(fh.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		fh.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, errBusy
		}
		return nil, err
	}
	return func() { fh.Close() }, nil
}
