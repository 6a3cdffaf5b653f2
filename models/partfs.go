package models

import (
	"io"
	"os"
)

// PartFile is an open part file, written at its end.
type PartFile interface {
	io.Writer
	Sync() error
	Close() error
}

// PartFS opens part files. The default is the real file system; tests
// inject one whose writes fail the way a full disk does.
type PartFS interface {
	// OpenPart opens path for appending, creating it, emptied when truncate is set.
	OpenPart(path string, truncate bool) (PartFile, error)
}

type osFS struct{}

func (osFS) OpenPart(path string, truncate bool) (PartFile, error) {
	flag := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if truncate {
		flag |= os.O_TRUNC
	}
	return os.OpenFile(path, flag, 0o644)
}
