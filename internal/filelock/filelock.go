// Package filelock takes exclusive, non-blocking locks on files, the one
// mechanism behind the single-instance lock and the download part files.
package filelock

import "errors"

// ErrLocked means another process holds the lock.
var ErrLocked = errors.New("locked by another process")

// TryLock opens (creating it if needed) the file at path and locks it
// exclusively without waiting. The lock lasts until the file is closed or the
// process ends, however it ends. Where the platform has no file locks it
// returns errors.ErrUnsupported.
func TryLock(path string, perm uint32) (File, error) { return tryLock(path, perm) }

// File is a locked file; Close releases the lock.
type File interface{ Close() error }
