package inference

import (
	"fmt"

	"burrow/inference/llama"
)

// Continuous batching: Concurrent requests (the API's) run up to
// llama.MaxBatchRows at once, each in its own KV cache (a session of
// w.pool, made when first needed and kept, so a client's next turn reuses
// its prefix). Each reply runs Generate on a goroutine of its own, which
// does the sampling, stop strings and constraint exactly as alone; every
// evaluation it needs comes back here as a call, so the engine runs on the
// worker goroutine only: a pass decodes the waiting replies' tokens
// together (llama.Batch, one read of the weights for all) and evaluates
// one prompt chunk. A row's logits do not depend on the others in its
// pass, so each reply's text is the one it gets alone.
//
// Memory: every pooled session holds a KV cache of the model's full
// context, made when a reply first needs it, so four clients take up to
// four times the window's cache on top of it (Llama-3.2-1B at 4096 tokens:
// 256 MiB each with an F32 cache, 128 MiB with F16, 68 MiB with Q8_0), and
// the batch's scratch a few MB. They are kept for the next turns' prefixes
// and freed on unload. A reply whose cache cannot be allocated ends with
// that error.
//
// The window goes first: its requests are served between two passes (the
// API's replies wait meanwhile), and a Load, Unload or other request in
// the queue stops new replies joining until the running ones end.

// batchCall is an evaluation a reply's goroutine asks for.
type batchCall struct {
	j      *batchJob
	tokens []int
	decode bool // one generated token (batched), else a prompt chunk
}

type batchAnswer struct {
	logits []float32
	err    error
}

// batchJob is a running concurrent reply.
type batchJob struct {
	*genJob
	answer chan batchAnswer // buffered: the worker never waits on it
}

// serveConcurrent runs first and every Concurrent request that joins while
// it runs, until none is left.
func (w *Worker) serveConcurrent(first *request) {
	calls := make(chan batchCall, llama.MaxBatchRows)
	ended := make(chan *batchJob, llama.MaxBatchRows)
	var active, rows [llama.MaxBatchRows]*batchJob
	var states [llama.MaxBatchRows]*llama.State
	var ids [llama.MaxBatchRows]int
	nActive := 0
	pending := make([]batchCall, 0, llama.MaxBatchRows)
	start := func(r *request) {
		if j := w.startConcurrent(r, calls, ended); j != nil {
			active[nActive] = j
			nActive++
		}
	}
	start(first)
	for {
		for nActive < llama.MaxBatchRows {
			next := w.nextConcurrent()
			if next == nil {
				break
			}
			start(next)
		}
		if nActive == 0 {
			return
		}
		// Wait until every running reply asks for something or ends.
		for nActive > 0 && len(pending) < nActive {
			select {
			case c := <-calls:
				pending = append(pending, c)
			case j := <-ended:
				for i := range nActive {
					if active[i] == j {
						active[i], active[nActive-1] = active[nActive-1], nil
						nActive--
						break
					}
				}
				j.s.busy = false
			}
		}
		if nActive == 0 {
			continue // the queue may hold more
		}
		// The window's replies go first, while the API's wait.
		for win := w.nextWindow(); win != nil; win = w.nextWindow() {
			w.serveGenerate(win)
		}

		// One pass: every waiting generated token together, then one
		// prompt chunk (the others keep their place).
		n := 0
		for _, c := range pending {
			if c.decode {
				rows[n], states[n], ids[n] = c.j, c.j.s.st, c.tokens[0]
				n++
			}
		}
		if n > 0 {
			w.batchPasses[n]++
			err := w.batch.Decode(states[:n], ids[:n])
			for i, j := range rows[:n] {
				j.answer <- batchAnswer{states[i].Logits(), err}
				rows[i], states[i] = nil, nil
			}
		}
		rest := pending[:0]
		prompted := false
		for _, c := range pending {
			switch {
			case c.decode:
			case !prompted:
				logits, err := c.j.s.st.Eval(c.tokens)
				c.j.answer <- batchAnswer{logits, err}
				prompted = true
			default:
				rest = append(rest, c)
			}
		}
		clear(pending[len(rest):])
		pending = rest
	}
}

// startConcurrent prepares a reply in a free pooled session and starts its
// goroutine; nil when the request was answered at once.
func (w *Worker) startConcurrent(r *request, calls chan<- batchCall, ended chan<- *batchJob) *batchJob {
	g := w.prepareGenerate(r, w.pickSession)
	if g == nil {
		return nil
	}
	if w.batch == nil {
		b, err := w.model.LM.NewBatch(w.model.Threads)
		if err != nil {
			g.s.busy = false
			g.cancel()
			w.finish(r, Event{Kind: EventError, Err: err})
			return nil
		}
		w.batch = b
	}
	j := &batchJob{genJob: g, answer: make(chan batchAnswer, 1)}
	j.opts.eval = func(tokens []int, decode bool) ([]float32, error) {
		calls <- batchCall{j: j, tokens: tokens, decode: decode}
		a := <-j.answer
		return a.logits, a.err
	}
	go func() {
		j.run()
		ended <- j
	}()
	return j
}

// pickSession takes the free pooled session that shares the longest prefix
// with the prompt, or makes one while the pool has room.
func (w *Worker) pickSession(tokens []int) (*session, error) {
	var best *session
	for _, s := range w.pool {
		if !s.busy && (best == nil || commonPrefix(s.tokens, tokens) > commonPrefix(best.tokens, tokens)) {
			best = s
		}
	}
	if best == nil || (commonPrefix(best.tokens, tokens) == 0 && len(w.pool) < llama.MaxBatchRows) {
		if len(w.pool) < llama.MaxBatchRows {
			st, err := w.model.NewState()
			if err != nil {
				return nil, fmt.Errorf("a KV cache for another concurrent reply: %w", err)
			}
			best = &session{st: st}
			w.pool = append(w.pool, best)
		}
	}
	if best == nil {
		return nil, fmt.Errorf("no free KV cache for a concurrent reply") // cannot happen: at most MaxBatchRows run
	}
	best.busy = true
	return best, nil
}

// nextWindow pops the first queued reply that is not Concurrent, unless a
// request of another kind (a Load, say) is queued before it.
func (w *Worker) nextWindow() *request {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, r := range w.queue {
		if r.kind != reqGenerate {
			return nil
		}
		if !r.gen.Concurrent {
			w.queue = append(w.queue[:i], w.queue[i+1:]...)
			return r
		}
	}
	return nil
}

// nextConcurrent pops the head of the queue if it is a Concurrent reply
// (none after Close: the run loop drains the queue with ErrClosed).
func (w *Worker) nextConcurrent() *request {
	select {
	case <-w.closed:
		return nil
	default:
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 || w.queue[0].kind != reqGenerate || !w.queue[0].gen.Concurrent {
		return nil
	}
	return w.popLocked()
}

// closeBatch frees the pooled sessions and the batch scratch.
func (w *Worker) closeBatch() {
	for _, s := range w.pool {
		s.close()
	}
	w.pool = nil
	if w.batch != nil {
		w.batch.Close()
		w.batch = nil
	}
}
