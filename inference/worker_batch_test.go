package inference

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// concurrentRequests are four different API replies, sampled with seeds.
func concurrentRequests() []GenerateRequest {
	var out []GenerateRequest
	for i, q := range []string{"Once upon a time", "The cat", "Tell me about the sea", "Lily and Tom went"} {
		p := greedy()
		p.Temperature, p.Seed = 0.9, uint64(100+i)
		out = append(out, GenerateRequest{Messages: ask(q), Params: p, MaxTokens: 20 + 4*i, Concurrent: true})
	}
	return out
}

// queueAll queues the requests at once, so the worker sees them together.
func queueAll(w *Worker, ctxs []context.Context, reqs []GenerateRequest) []<-chan Event {
	var chans []<-chan Event
	w.mu.Lock()
	for i, g := range reqs {
		r := &request{kind: reqGenerate, ctx: ctxs[i], gen: g, events: make(chan Event, 64)}
		w.queue = append(w.queue, r)
		chans = append(chans, r.events)
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return chans
}

// collectAll reads every channel on its own goroutine. order lists the
// channels' indexes in the order their first piece (i) or their end
// (-1-i) arrived.
func collectAll(t *testing.T, chans []<-chan Event) (out []reply, order []int) {
	out = make([]reply, len(chans))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, ch := range chans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen := make(chan Event, 64)
			go func() {
				defer close(seen)
				first := true
				for ev := range ch {
					if (ev.Kind == EventPiece && first) || ev.Kind == EventDone {
						mu.Lock()
						order = append(order, map[bool]int{true: i, false: -1 - i}[ev.Kind == EventPiece])
						mu.Unlock()
						first = first && ev.Kind != EventPiece
					}
					seen <- ev
				}
			}()
			out[i] = collect(t, seen)
		}()
	}
	wg.Wait()
	return out, order
}

// TestConcurrentRepliesAsAlone: four API replies decoded together (in
// passes of 4 rows) give the text and tokens each gives alone with the same
// seed, and a window reply queued after them runs first and gets its own
// text too; on a
// stories file (F32 weights, whose batched matmul takes another order than
// one row's) and a Llama 3 vocabulary.
func TestConcurrentRepliesAsAlone(t *testing.T) {
	for name, path := range map[string]string{"stories": storiesPath(t), "llama3": synthLlama3(t)} {
		t.Run(name, func(t *testing.T) {
			w, _ := startWorker(t, path, LoadOptions{ContextLength: 256, Threads: 2})
			reqs := concurrentRequests()
			window := GenerateRequest{Messages: ask("Hello"), Params: greedy(), MaxTokens: 16}
			var alone []reply
			for _, g := range reqs {
				alone = append(alone, collect(t, w.Generate(context.Background(), g)))
			}
			windowAlone := collect(t, w.Generate(context.Background(), window))
			w.batchPasses = [len(w.batchPasses)]int{}

			all := append(append([]GenerateRequest(nil), reqs...), window)
			ctxs := make([]context.Context, len(all))
			for i := range ctxs {
				ctxs[i] = context.Background()
			}
			got, order := collectAll(t, queueAll(w, ctxs, all))
			for i := range reqs {
				if got[i].text != alone[i].text || fmt.Sprint(got[i].ids) != fmt.Sprint(alone[i].ids) {
					t.Errorf("reply %d together: %q %v\nalone: %q %v", i, got[i].text, got[i].ids, alone[i].text, alone[i].ids)
				}
				if got[i].done.StopReason != alone[i].done.StopReason {
					t.Errorf("reply %d: stop %q, alone %q", i, got[i].done.StopReason, alone[i].done.StopReason)
				}
			}
			if g := got[len(reqs)]; g.text != windowAlone.text {
				t.Errorf("window reply among them: %q, alone %q", g.text, windowAlone.text)
			}
			// The window's reply, queued last, is served between two passes
			// and whole: an API reply may already hold the logits of one
			// pass (its goroutine sends that piece whenever it runs, so
			// first pieces can arrive in any order), but none can end before
			// the window's unless it ends within two tokens alone.
			pos := map[int]int{}
			for n, o := range order {
				pos[o] = n
			}
			for i := range reqs {
				if len(alone[i].ids) > 2 && pos[-1-i] < pos[-1-len(reqs)] {
					t.Errorf("API reply %d (%d tokens) ended before the window's (order %v)", i, len(alone[i].ids), order)
				}
			}
			if w.batchPasses[4] == 0 {
				t.Errorf("no pass decoded 4 replies together: %v", w.batchPasses)
			}
			t.Logf("decode passes by rows: %v", w.batchPasses)
		})
	}
}

// TestConcurrentCancelLeavesOthers: cancelling one of four concurrent
// replies ends it (StopCancelled) and the other three still give their
// text alone.
func TestConcurrentCancelLeavesOthers(t *testing.T) {
	w, _ := startWorker(t, storiesPath(t), LoadOptions{ContextLength: 256, Threads: 2})
	reqs := concurrentRequests()
	var alone []reply
	for _, g := range reqs {
		alone = append(alone, collect(t, w.Generate(context.Background(), g)))
	}
	ctxs := make([]context.Context, len(reqs))
	for i := range ctxs {
		ctxs[i] = context.Background()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctxs[1] = ctx
	chans := queueAll(w, ctxs, reqs)
	got := make([]reply, len(reqs))
	var wg sync.WaitGroup
	for i, ch := range chans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i != 1 {
				got[i] = collect(t, ch)
				return
			}
			for ev := range ch { // cancel after the third piece
				if ev.Kind == EventPiece && ev.Token != NoToken {
					got[i].ids = append(got[i].ids, ev.Token)
					if len(got[i].ids) == 3 {
						cancel()
					}
				}
				if ev.Kind == EventDone {
					got[i].done = ev
				}
			}
		}()
	}
	wg.Wait()
	if got[1].done.StopReason != StopCancelled {
		t.Errorf("the cancelled reply stopped with %q after %d tokens", got[1].done.StopReason, len(got[1].ids))
	}
	for _, i := range []int{0, 2, 3} {
		if got[i].text != alone[i].text {
			t.Errorf("reply %d beside a cancelled one: %q, alone %q", i, got[i].text, alone[i].text)
		}
	}
}
