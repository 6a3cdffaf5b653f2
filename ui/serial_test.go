package ui

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// The tests' UI thread: Fyne's test driver runs fyne.Do on the calling
// goroutine, so the product's posts (tokens, downloads, MCP status) and the
// tests' own reads and taps take one lock instead, as the real driver's
// single thread would order them. A post made from inside a post runs
// inline, as it would on the UI thread.
var (
	uiMu    sync.Mutex
	uiOwner atomic.Uint64
)

func init() {
	post, postAndWait = onUI, onUI
}

func onUI(f func()) {
	id := goroutineID()
	if uiOwner.Load() == id {
		f()
		return
	}
	uiMu.Lock()
	uiOwner.Store(id)
	defer func() {
		uiOwner.Store(0)
		uiMu.Unlock()
	}()
	fyne.DoAndWait(f)
}

func tapUI(o fyne.Tappable)                { onUI(func() { test.Tap(o) }) }
func typeUI(o fyne.Focusable, text string) { onUI(func() { test.Type(o, text) }) }

// goroutineID parses "goroutine N [" from the stack header (tests only).
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	id, _ := strconv.ParseUint(string(b[:bytes.IndexByte(b, ' ')]), 10, 64)
	return id
}
