// Package atomicfile replaces files so that a reader, or the next run after
// a crash, sees either the old content or the new, never a torn mix.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// beforeRename, when set by a test, runs after the temp file is written and
// synced but before it replaces the target; returning an error simulates a
// crash at the worst moment.
var beforeRename func(tmp string) error

// Write replaces path with data so that a reader (or the next run
// after a crash) sees either the old file or the new one, never a torn mix:
// write a temp file in the same folder, fsync it, rename it over the target,
// then fsync the folder so the rename itself is durable. The folder is
// made when missing.
func Write(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return WriteWith(path, perm, func(w io.Writer) error {
		if _, err := w.Write(data); err != nil {
			return fmt.Errorf("save %s: write: %w", path, err)
		}
		return nil
	})
}

// WriteWith replaces path as Write does with what fill writes, streamed to
// the temp file (a large model need not fit in memory). fill's error is
// returned as it is, and path is left as it was.
func WriteWith(path string, perm os.FileMode, fill func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("save %s: chmod: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("save %s: sync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save %s: close: %w", path, err)
	}
	if beforeRename != nil {
		if err := beforeRename(tmp); err != nil {
			return fmt.Errorf("save %s: %w", path, err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save %s: rename: %w", path, err)
	}
	SyncDir(dir)
	return nil
}

// SyncDir makes a rename in dir durable. Some platforms (Windows) cannot
// open a folder for syncing; the rename is still atomic there.
func SyncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
