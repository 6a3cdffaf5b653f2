//go:build windows

package app

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/windows"
)

// defaultInstanceNetwork: a 127.0.0.1 port; the token in the address file,
// which only this user can read, keeps other local users out.
const defaultInstanceNetwork = "tcp"

// lockInstance takes the exclusive instance lock without waiting; Windows
// releases it when the holder's handle closes, including when it crashes.
func lockInstance(path string) (io.Closer, error) {
	fh, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	ol := new(windows.Overlapped)
	err = windows.LockFileEx(windows.Handle(fh.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if err != nil {
		fh.Close()
		if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
			return nil, errInstanceLocked
		}
		return nil, err
	}
	return fh, nil
}

// checkPrivateDir: the folder is under the user's own profile
// (%LOCALAPPDATA%), which other users cannot enter.
func checkPrivateDir(dir string) error { return nil }
