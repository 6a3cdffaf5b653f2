//go:build !unix && !windows

package app

import (
	"errors"
	"io"
)

const defaultInstanceNetwork = "tcp"

// lockInstance: no file locks here, so no single instance; every launch
// opens its own window.
func lockInstance(path string) (io.Closer, error) { return nil, errors.ErrUnsupported }

func checkPrivateDir(dir string) error { return nil }
