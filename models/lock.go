package models

import (
	"errors"
	"os"
	"runtime"

	"burrow/internal/filelock"
)

// lockPart takes an exclusive lock so two Burrow processes (the app and a
// `burrow pull`) never append to the same part file. Windows locks are
// mandatory and an open handle blocks renames, so there the lock lives in a
// sidecar file rather than on the part itself.
func lockPart(path string) (unlock func(), err error) {
	lockPath := path
	if runtime.GOOS == "windows" {
		lockPath = path + ".lock"
	}
	fh, err := filelock.TryLock(lockPath, 0o644)
	switch {
	case errors.Is(err, filelock.ErrLocked):
		return nil, errBusy
	case errors.Is(err, errors.ErrUnsupported):
		return func() {}, nil // no file locks here: one process at a time is assumed
	case err != nil:
		return nil, err
	}
	return func() {
		fh.Close()
		if lockPath != path {
			os.Remove(lockPath)
		}
	}, nil
}
