//go:build unix

package instance

import (
	"fmt"
	"os"
	"syscall"
)

// defaultInstanceNetwork: a Unix socket in a folder only the user can enter.
const defaultInstanceNetwork = "unix"

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
