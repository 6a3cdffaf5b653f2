package inference

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"burrow/inference/gguf"
	"burrow/inference/llama"
)

// session is the KV cache and the tokens it holds.
type session struct {
	st     *llama.State
	tokens []int // tokens evaluated into st, in order
	busy   bool  // a pooled session taken by a running concurrent reply
}

func (s *session) close() { s.st.Close() }

func (w *Worker) serveLoad(r *request) {
	if err := r.ctx.Err(); err != nil {
		w.finish(r, Event{Kind: EventError, Err: fmt.Errorf("load %s: %w", r.path, err)})
		return
	}
	w.unload() // free the old model first: two may not fit in memory
	m, s, err := w.load(r)
	if err != nil {
		w.finish(r, Event{Kind: EventError, Err: err})
		return
	}
	w.model, w.session = m, s
	w.setVocab(m.Vocab)
	info := m.Info
	w.finish(r, Event{Kind: EventLoaded, Progress: 1, Model: &info})
}

func (w *Worker) load(r *request) (*Model, *session, error) {
	path := r.path
	m, err := LoadModel(path, r.load)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*Model, *session, error) {
		m.Close()
		return nil, nil, fmt.Errorf("load %s: %w", path, err)
	}
	if m.prompterErr != nil { // the worker chats: it needs a template
		return fail(m.prompterErr)
	}
	if err := pageIn(r.ctx, m.File, func(p float64) { w.send(r, Event{Kind: EventProgress, Progress: p}) }); err != nil {
		return fail(err)
	}
	st, err := m.NewState()
	if err != nil {
		return fail(err)
	}
	return m, &session{st: st}, nil
}

// Fingerprint identifies a model file's content cheaply: the SHA-256 of its
// header region (metadata and tensor table, which name every tensor's type,
// shape and offset) and its size. Two files with the same fingerprint hold
// the same model unless tensor bytes were edited in place.
func Fingerprint(f *gguf.File) string {
	h := sha256.New()
	end := min(f.Layout.DataOffset, int64(len(f.Bytes())))
	h.Write(f.Bytes()[:end])
	var size [8]byte
	binary.LittleEndian.PutUint64(size[:], uint64(f.Size))
	h.Write(size[:])
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// pageIn touches every page of the tensor data so the first reply does not
// stall on disk reads, reporting progress as it goes.
func pageIn(ctx context.Context, f *gguf.File, progress func(float64)) error {
	data := f.Bytes()
	start := min(int(f.Layout.DataOffset), len(data))
	data = data[start:]
	const page, chunk = 4096, 8 << 20
	var sink byte
	last := -1.0
	for off := 0; off < len(data); off += chunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(off+chunk, len(data))
		for i := off; i < end; i += page {
			sink ^= data[i]
		}
		if p := float64(end) / float64(len(data)); p-last >= 0.01 || end == len(data) {
			progress(p)
			last = p
		}
	}
	if len(data) == 0 {
		progress(1)
	}
	pageSink = sink
	return nil
}

// pageSink keeps the page-in loop from being optimized away.
var pageSink byte
