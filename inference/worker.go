package inference

import (
	"context"
	"errors"
	"sync"

	"burrow/inference/llama"
)

// Worker is the inference goroutine: it owns the loaded model, its KV cache
// and the sampler, and serves requests one at a time in the order they were
// made, but for Concurrent replies (the API's), which run several at once
// (worker_batch.go). Front ends talk to it only through the methods below and the event
// channels they return.
//
// Every returned channel must be read until it is closed; it is closed after
// the request's EventDone or EventError.
type Worker struct {
	mu      sync.Mutex
	queue   []*request
	wake    chan struct{} // one pending signal: the queue changed
	closed  chan struct{} // closed by Close
	stopped chan struct{} // closed when the goroutine has returned
	once    sync.Once
	// life is cancelled by Close, so a running reply stops within a token.
	life     context.Context
	stopLife context.CancelFunc

	policy ContextPolicy // guarded by mu; read when a generation starts
	vocab  *Vocab        // guarded by mu: the loaded model's, for Vocab

	// Owned by the worker goroutine only.
	model   *Model
	session *session
	pool    []*session   // the Concurrent replies' KV caches (worker_batch.go)
	batch   *llama.Batch // their decode pass, made with the first
	// batchPasses counts the decode passes by the number of rows (tests).
	batchPasses [llama.MaxBatchRows + 1]int

	// sampler, set by tests before the first request, becomes every
	// reply's GenOptions.Sampler.
	sampler Sampler
}

// ErrContextFull is the error of a prompt that does not fit in the context:
// the engine's (llama's) own, so one errors.Is finds either.
var ErrContextFull = llama.ErrContextFull

// ErrNoModel is the error of a generation with no model loaded.
var ErrNoModel = errors.New("no model is loaded")

// ErrClosed is the error of a request made after Close.
var ErrClosed = errors.New("the inference worker is closed")

type requestKind int

const (
	reqLoad requestKind = iota
	reqGenerate
	reqUnload
	reqEmbed
	reqTrace
)

type request struct {
	kind   requestKind
	ctx    context.Context
	path   string
	load   LoadOptions
	gen    GenerateRequest
	events chan Event
	done   chan struct{} // closed after an unload

	embed    EmbedRequest
	embedOut chan answer[*Embeddings] // the answer of a reqEmbed (buffered)

	trace    TraceRequest
	traceOut chan answer[*TraceResult] // the answer of a reqTrace (buffered)
}

// answer is what a one-shot request (reqEmbed, reqTrace) gets back.
type answer[T any] struct {
	out T
	err error
}

// await submits r and waits for its answer on out: an error before the
// worker saw r (closed) comes as an event, and no answer means it closed.
func await[T any](w *Worker, r *request, out <-chan answer[T]) (T, error) {
	var zero T
	for ev := range w.submit(r) {
		if ev.Kind == EventError {
			return zero, ev.Err
		}
	}
	select {
	case res := <-out:
		return res.out, res.err
	default:
		return zero, ErrClosed
	}
}

// NewWorker starts the inference goroutine.
func NewWorker() *Worker {
	w := &Worker{
		wake:    make(chan struct{}, 1),
		closed:  make(chan struct{}),
		stopped: make(chan struct{}),
	}
	w.life, w.stopLife = context.WithCancel(context.Background())
	go w.run()
	return w
}

// SetContextPolicy chooses what later generations whose request says
// ContextDefault do when the context is full (initially ContextStop).
func (w *Worker) SetContextPolicy(p ContextPolicy) {
	w.mu.Lock()
	w.policy = p
	w.mu.Unlock()
}

// Load queues loading the model at path, replacing the loaded one. Events:
// EventProgress (0..1) while the weights are read, then EventLoaded with
// the ModelInfo, or EventError. Cancelling ctx abandons the load.
func (w *Worker) Load(ctx context.Context, path string, opts LoadOptions) <-chan Event {
	return w.submit(&request{kind: reqLoad, ctx: ctx, path: path, load: opts})
}

// Generate queues one assistant reply. Events: EventPiece per generated
// token (the text that became complete, maybe "", always valid UTF-8; a
// last piece with Token NoToken may release held-back text), then
// EventDone with the stop reason, Stats and maybe a Notice (the template
// fell back to a built-in, or turns were dropped), or EventError.
//
// Params.Seed 0 draws a random seed; Stats.Receipt reports the one used, and
// a request with the receipt's settings and the same messages on a model
// with the same fingerprint and context length gives the same reply.
//
// There is one KV cache for the replies that are not Concurrent (the
// window's; Concurrent ones have a small pool of their own, chosen by the
// longest shared prefix): every request keeps the longest token prefix it
// shares with what the cache holds, whatever conversation it is, so turns,
// regenerations and edits of one conversation evaluate only what changed,
// and switching conversations re-evaluates from where they differ.
//
// Cancelling ctx stops the reply within one token (StopCancelled); a
// request cancelled while queued ends with StopCancelled without running.
func (w *Worker) Generate(ctx context.Context, req GenerateRequest) <-chan Event {
	return w.submit(&request{kind: reqGenerate, ctx: ctx, gen: req})
}

// Unload queues freeing the model and its cache and waits until done.
func (w *Worker) Unload() {
	r := &request{kind: reqUnload, ctx: context.Background(), done: make(chan struct{})}
	w.submit(r)
	select {
	case <-r.done:
	case <-w.stopped:
	}
}

// Close ends the worker: a running reply stops within a token (cancelled),
// queued requests end with ErrClosed, and the model is freed.
func (w *Worker) Close() {
	w.once.Do(func() {
		close(w.closed)
		w.stopLife()
	})
	<-w.stopped
}

func (w *Worker) submit(r *request) <-chan Event {
	if r.ctx == nil {
		r.ctx = context.Background()
	}
	r.events = make(chan Event, 64)
	w.mu.Lock()
	select {
	case <-w.closed:
		w.mu.Unlock()
		w.finish(r, Event{Kind: EventError, Err: ErrClosed})
		return r.events
	default:
	}
	w.queue = append(w.queue, r)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return r.events
}

// next pops the oldest request, or nil when the queue is empty.
func (w *Worker) next() *request {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		return nil
	}
	return w.popLocked()
}

// popLocked pops the queue's head (w.mu held, the queue not empty),
// clearing its slot so the backing array keeps no served request.
func (w *Worker) popLocked() *request {
	r := w.queue[0]
	w.queue[0] = nil
	w.queue = w.queue[1:]
	return r
}

func (w *Worker) run() {
	defer close(w.stopped)
	defer w.unload()
	for {
		select {
		case <-w.closed:
			w.drain()
			return
		default:
		}
		r := w.next()
		if r == nil {
			select {
			case <-w.wake:
			case <-w.closed:
			}
			continue
		}
		w.serve(r)
	}
}

// drain ends every queued request after Close.
func (w *Worker) drain() {
	for r := w.next(); r != nil; r = w.next() {
		w.finish(r, Event{Kind: EventError, Err: ErrClosed})
	}
}

func (w *Worker) serve(r *request) {
	switch r.kind {
	case reqUnload:
		w.unload()
		close(r.done)
		close(r.events)
	case reqLoad:
		w.serveLoad(r)
	case reqGenerate:
		if r.gen.Concurrent {
			w.serveConcurrent(r)
		} else {
			w.serveGenerate(r)
		}
	case reqEmbed:
		w.serveEmbed(r)
	case reqTrace:
		w.serveTrace(r)
	}
}

// send delivers an intermediate event; it gives up when the request is
// cancelled, because the reply is about to end anyway.
func (w *Worker) send(r *request, ev Event) {
	select {
	case r.events <- ev:
	case <-r.ctx.Done():
	case <-w.closed:
	}
}

// finish delivers the request's last event and closes its channel. It
// waits for the reader (who must read to the end) unless the worker closes.
func (w *Worker) finish(r *request, ev Event) {
	select {
	case r.events <- ev:
	case <-w.closed:
		select {
		case r.events <- ev:
		default:
		}
	}
	close(r.events)
}

// Vocab is the loaded model's tokenizer and chat template (nil when none
// is loaded), so a front end can show what the model reads without queueing
// behind a reply. It stays usable after the model is replaced.
func (w *Worker) Vocab() *Vocab {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.vocab
}

func (w *Worker) setVocab(v *Vocab) {
	w.mu.Lock()
	w.vocab = v
	w.mu.Unlock()
}

func (w *Worker) unload() {
	w.setVocab(nil)
	w.closeBatch()
	if w.session != nil {
		w.session.close()
		w.session = nil
	}
	if w.model != nil {
		w.model.Close()
		w.model = nil
	}
}
