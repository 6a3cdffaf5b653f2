//go:build windows

package models

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockPart takes an exclusive lock so two Burrow processes (the app and a
// `burrow pull`) never append to the same part file. Windows locks are
// mandatory and an open handle blocks renames, so the lock lives in a
// sidecar file rather than on the part itself.
func lockPart(path string) (unlock func(), err error) {
	lock := path + ".lock"
	fh, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	ol := new(windows.Overlapped)
	err = windows.LockFileEx(windows.Handle(fh.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if err != nil {
		fh.Close()
		if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
			return nil, errBusy
		}
		return nil, err
	}
	return func() { fh.Close(); os.Remove(lock) }, nil
}
