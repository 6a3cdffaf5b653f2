package app

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"burrow/internal/atomicfile"
)

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
			err = atomicfile.Write(path, content, 0o600)
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
