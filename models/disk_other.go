//go:build !unix && !windows

package models

import (
	"errors"
	"syscall"
)

func freeSpace(dir string) (uint64, error) {
	return 0, errors.New("free space unknown on this platform")
}

func isDiskFull(err error) bool { return errors.Is(err, syscall.ENOSPC) }
