//go:build unix

package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// defaultInstanceNetwork: a Unix socket in a folder only the user can enter.
const defaultInstanceNetwork = "unix"

// lockInstance takes the exclusive instance lock without waiting; the
// kernel releases it when the holder exits, however it exits.
func lockInstance(path string) (io.Closer, error) {
	fh, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(fh.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		fh.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, errInstanceLocked
		}
		return nil, err
	}
	return fh, nil
}

// checkPrivateDir refuses a folder another user could have planted (the
// temp-dir fallback is shared): it must be a real directory owned by us,
// and it is made private.
func checkPrivateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || (ok && int(st.Uid) != os.Getuid()) {
		return fmt.Errorf("%s is not a directory owned by this user", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return os.Chmod(dir, 0o700)
	}
	return nil
}
