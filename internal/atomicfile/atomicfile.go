package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// beforeRename, when set by a test, runs after the temp file is written and
// synced but before it replaces the target; returning an error simulates a
// crash at the worst moment.
var beforeRename func(tmp string) error

// writeFileAtomic replaces path with data so that a reader (or the next run
// after a crash) sees either the old file or the new one, never a torn mix:
// write a temp file in the same folder, fsync it, rename it over the target,
// then fsync the folder so the rename itself is durable.
func writeFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
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
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("save %s: write: %w", path, err)
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
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable. Some platforms (Windows) cannot
// open a folder for syncing; the rename is still atomic there.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// fileWriter saves files on its own goroutine so the caller (the UI
// thread, via the Controller) never waits for a disk. Writes to one path
// coalesce: only the newest content is written. A nil content removes the
// file. Each write is atomic, so a kill loses at most the newest edit,
// never a whole file.
type fileWriter struct {
	mu      sync.Mutex
	pending map[string][]byte
	order   []string // paths in the order first queued
	busy    bool
	idle    *sync.Cond
	onErr   func(error)
}

func newFileWriter(onErr func(error)) *fileWriter {
	w := &fileWriter{pending: map[string][]byte{}, onErr: onErr}
	w.idle = sync.NewCond(&w.mu)
	return w
}

// put queues content for path (nil: remove the file).
func (w *fileWriter) put(path string, content []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, queued := w.pending[path]; !queued {
		w.order = append(w.order, path)
	}
	w.pending[path] = content
	if !w.busy {
		w.busy = true
		go w.run()
	}
}

func (w *fileWriter) run() {
	for {
		w.mu.Lock()
		if len(w.order) == 0 {
			w.busy = false
			w.idle.Broadcast()
			w.mu.Unlock()
			return
		}
		path := w.order[0]
		w.order = w.order[1:]
		content := w.pending[path]
		delete(w.pending, path)
		w.mu.Unlock()

		var err error
		if content == nil {
			if err = os.Remove(path); errors.Is(err, os.ErrNotExist) {
				err = nil
			} else if err != nil {
				err = fmt.Errorf("delete %s: %w", path, err)
			}
		} else {
			err = writeFileAtomic(path, content, 0o600)
		}
		if err != nil && w.onErr != nil {
			w.onErr(err)
		}
	}
}

// flush waits until everything queued is on disk.
func (w *fileWriter) flush() {
	w.mu.Lock()
	for w.busy {
		w.idle.Wait()
	}
	w.mu.Unlock()
}
