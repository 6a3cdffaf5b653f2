package tensor

import (
	"sync"
	"sync/atomic"
)

// Pool is a set of persistent worker goroutines that split index ranges
// between them. The goroutine calling Run works too, so a Pool of n threads
// starts n-1 goroutines. A nil *Pool runs everything on the caller.
type Pool struct {
	threads int
	wake    []chan struct{}
	mu      sync.Mutex // one Run at a time
	wg      sync.WaitGroup

	// The current Run: fn (or tfn, told which thread runs the chunk) over
	// [0,n) in chunks of size chunk, claimed in order.
	fn     func(lo, hi int)
	tfn    func(thread, lo, hi int)
	n      int
	chunk  int
	next   atomic.Int64
	closed bool

	// Kernel jobs with their bound methods, made once so that dispatching
	// a kernel allocates nothing.
	mm    matmulJob
	mmFn  func(lo, hi int)
	att   attentionJob
	attFn func(thread, lo, hi int)
}

// NewPool starts a pool of threads workers (at least 1).
func NewPool(threads int) *Pool {
	if threads < 1 {
		threads = 1
	}
	p := &Pool{threads: threads}
	p.mmFn = p.mm.run
	p.attFn = p.att.run
	for i := 1; i < threads; i++ {
		c := make(chan struct{}, 1)
		p.wake = append(p.wake, c)
		go p.worker(i, c)
	}
	return p
}

// Threads is the number of threads Run uses, counting the caller.
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return p.threads
}

// Close stops the workers. The pool must not be used afterwards.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	for _, c := range p.wake {
		close(c)
	}
}

func (p *Pool) worker(thread int, wake chan struct{}) {
	for range wake {
		p.work(thread)
		p.wg.Done()
	}
}

// chunksPerThread trades scheduling overhead against balance when another
// process takes a core away for a while.
const chunksPerThread = 4

// Run calls fn on disjoint ranges [lo,hi) covering [0,n), concurrently on
// the pool's threads, and returns when all are done. fn may be called more
// than once per thread. fn must not call Run on the same pool.
func (p *Pool) Run(n int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if p == nil || p.threads == 1 || n == 1 {
		fn(0, n)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.runLocked(n, fn)
}

// runLocked is Run for a caller that holds p.mu (and has handled the
// serial cases).
func (p *Pool) runLocked(n int, fn func(lo, hi int)) {
	p.fn = fn
	p.start(n)
	p.fn = nil
}

// runThreadsLocked is runLocked for a function that uses per-thread
// scratch: thread is 0 on the caller and 1..threads-1 on the workers, and
// at most one call per thread runs at a time.
func (p *Pool) runThreadsLocked(n int, fn func(thread, lo, hi int)) {
	p.tfn = fn
	p.start(n)
	p.tfn = nil
}

// start runs the current function over [0,n) and waits for it.
func (p *Pool) start(n int) {
	if p.closed {
		panic("tensor: Run on a closed Pool")
	}
	chunks := p.threads * chunksPerThread
	if chunks > n {
		chunks = n
	}
	p.n, p.chunk = n, (n+chunks-1)/chunks
	p.next.Store(0)
	helpers := len(p.wake)
	if need := chunks - 1; helpers > need {
		helpers = need
	}
	p.wg.Add(helpers)
	for _, c := range p.wake[:helpers] {
		c <- struct{}{}
	}
	p.work(0)
	p.wg.Wait()
}

func (p *Pool) work(thread int) {
	for {
		lo := int(p.next.Add(int64(p.chunk))) - p.chunk
		if lo >= p.n {
			return
		}
		if p.tfn != nil {
			p.tfn(thread, lo, min(lo+p.chunk, p.n))
		} else {
			p.fn(lo, min(lo+p.chunk, p.n))
		}
	}
}
