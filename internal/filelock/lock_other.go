//go:build !unix && !windows

package filelock

import "errors"

func tryLock(path string, perm uint32) (File, error) { return nil, errors.ErrUnsupported }
