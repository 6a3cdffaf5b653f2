package inference

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"burrow/inference/chat"
	"burrow/inference/gguf"
	"burrow/inference/sample"
	"burrow/inference/synth"
	"burrow/internal/testenv"
)

// reply is everything one Generate request sent back.
type reply struct {
	text   string
	pieces []string
	ids    []int // generated tokens, as EventPiece reported them
	done   Event
}

func collect(t *testing.T, ch <-chan Event) reply {
	t.Helper()
	var r reply
	for ev := range ch {
		switch ev.Kind {
		case EventPiece:
			r.text += ev.Piece
			r.pieces = append(r.pieces, ev.Piece)
			if ev.Token != NoToken {
				r.ids = append(r.ids, ev.Token)
			}
		case EventDone:
			r.done = ev
		case EventError:
			t.Fatalf("generate: %v", ev.Err)
		}
	}
	if r.done.Kind != EventDone {
		t.Fatal("the event channel closed without EventDone")
	}
	return r
}

func storiesPath(t *testing.T) string { return testenv.Path(t, "models", "stories260K-f32.gguf") }

// startWorker loads path into a new worker that is closed with the test.
func startWorker(t *testing.T, path string, opts LoadOptions) (*Worker, ModelInfo) {
	t.Helper()
	w := NewWorker()
	t.Cleanup(w.Close)
	var info *ModelInfo
	last := -1.0
	for ev := range w.Load(context.Background(), path, opts) {
		switch ev.Kind {
		case EventProgress:
			if ev.Progress < last || ev.Progress > 1 {
				t.Errorf("progress went from %v to %v", last, ev.Progress)
			}
			last = ev.Progress
		case EventLoaded:
			info = ev.Model
		case EventError:
			t.Fatalf("load: %v", ev.Err)
		}
	}
	if info == nil {
		t.Fatal("no EventLoaded")
	}
	return w, *info
}

func greedy() sample.Params {
	p := sample.DefaultParams()
	p.Temperature = 0
	p.Seed = 1
	return p
}

func ask(msgs ...string) []chat.Message {
	var out []chat.Message
	for i, m := range msgs {
		role := "user"
		if i%2 == 1 {
			role = "assistant"
		}
		out = append(out, chat.Message{Role: role, Content: m})
	}
	return out
}

// promptModels caches, per file, the Vocab the worker would use, so tests
// can tokenize conversations without a worker (some files have no weights).
var promptModels sync.Map // path -> *Vocab

// promptTokens tokenizes a conversation the way the worker does.
func promptTokens(t *testing.T, path string, msgs []chat.Message) []int {
	t.Helper()
	pr, err := promptModel(t, path).Prompt(msgs)
	if err != nil {
		t.Fatal(err)
	}
	return pr.Tokens
}

func promptModel(t *testing.T, path string) *Vocab {
	t.Helper()
	if v, ok := promptModels.Load(path); ok {
		return v.(*Vocab)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() // the Vocab holds no mapped memory
	v, err := vocabOf(f)
	if err != nil {
		t.Fatal(err)
	}
	promptModels.Store(path, v)
	return v
}

func TestLoadReportsProgressAndInfo(t *testing.T) {
	path := storiesPath(t)
	_, info := startWorker(t, path, LoadOptions{ContextLength: 96, Threads: 1})
	if info.ContextLength != 96 || info.Architecture != "llama" || !strings.HasPrefix(info.Fingerprint, "sha256:") {
		t.Errorf("info = %+v", info)
	}
	_, info2 := startWorker(t, testenv.Path(t, "models", "stories260K-q8_0.gguf"), LoadOptions{Threads: 1})
	if info2.Fingerprint == info.Fingerprint {
		t.Error("the f32 and q8_0 files have the same fingerprint")
	}
	if info2.ContextLength != 128 {
		t.Errorf("default context = %d, want the model's 128", info2.ContextLength)
	}
}

func TestLoadErrors(t *testing.T) {
	w := NewWorker()
	defer w.Close()
	for _, path := range []string{"/nonexistent/model.gguf", testenv.Path(t, "vocab", "ggml-vocab-llama-bpe.gguf")} {
		var got error
		for ev := range w.Load(context.Background(), path, LoadOptions{}) {
			if ev.Kind == EventError {
				got = ev.Err
			}
		}
		if got == nil {
			t.Errorf("%s: loaded without an error", path)
		}
	}
	ev := <-w.Generate(context.Background(), GenerateRequest{Messages: ask("hi")})
	if ev.Kind != EventError || !errors.Is(ev.Err, ErrNoModel) {
		t.Errorf("generate without a model: %+v", ev)
	}
}

// TestMultiTurnReusesTheCache is the issue's "a second turn evaluates only
// the new tokens": the second turn evaluates exactly the tokens after what
// the first turn left in the cache, and its reply is the one a fresh worker
// gives for the whole conversation.
func TestMultiTurnReusesTheCache(t *testing.T) {
	path := storiesPath(t)
	opts := LoadOptions{ContextLength: 128, Threads: 1}
	w, _ := startWorker(t, path, opts)

	turn1 := ask("Tom has a ball.")
	r1 := collect(t, w.Generate(context.Background(), GenerateRequest{Messages: turn1, Params: greedy(), MaxTokens: 12}))
	p1 := promptTokens(t, path, turn1)
	if s := r1.done.Stats; s.PromptTokens != len(p1) || s.EvaluatedTokens != len(p1) || s.GenTokens != 12 {
		t.Fatalf("turn 1 stats %+v, prompt is %d tokens", s, len(p1))
	}
	// The cache now holds the prompt and every reply token but the last
	// (which was sampled, not evaluated).
	cached := append(append([]int{}, p1...), r1.ids[:len(r1.ids)-1]...)

	turn2 := ask("Tom has a ball.", strings.TrimSpace(r1.text), "Where is the ball?")
	p2 := promptTokens(t, path, turn2)
	shared := commonPrefix(cached, p2)
	if shared < len(p1) {
		t.Fatalf("turn 2 shares only %d tokens with the cache; turn 1's prompt was %d", shared, len(p1))
	}
	r2 := collect(t, w.Generate(context.Background(), GenerateRequest{Messages: turn2, Params: greedy(), MaxTokens: 12}))
	if got, want := r2.done.Stats.EvaluatedTokens, len(p2)-shared; got != want {
		t.Errorf("turn 2 evaluated %d tokens, want %d (%d prompt tokens, %d cached)", got, want, len(p2), shared)
	}
	t.Logf("turn 1 reply %q", r1.text)
	t.Logf("turn 2: %d prompt tokens, %d evaluated, %d reused", len(p2), r2.done.Stats.EvaluatedTokens, shared)

	fresh, _ := startWorker(t, path, opts)
	want := collect(t, fresh.Generate(context.Background(), GenerateRequest{Messages: turn2, Params: greedy(), MaxTokens: 12}))
	if r2.text != want.text {
		t.Errorf("reply with the reused cache %q, fresh %q", r2.text, want.text)
	}
}

// TestRegenerateAndEditRollBack: regenerating a reply re-evaluates one
// token; editing an earlier message rolls the cache back to the edit; both
// give the replies a fresh worker gives.
func TestRegenerateAndEditRollBack(t *testing.T) {
	path := storiesPath(t)
	opts := LoadOptions{ContextLength: 128, Threads: 1}
	w, _ := startWorker(t, path, opts)
	fresh, _ := startWorker(t, path, opts)
	gen := func(w *Worker, msgs []chat.Message) reply {
		p := sample.DefaultParams()
		p.Seed = 42
		return collect(t, w.Generate(context.Background(), GenerateRequest{Messages: msgs, Params: p, MaxTokens: 10}))
	}

	conv := ask("Lily saw a cat.", "The cat was big.", "What did Lily do?")
	first := gen(w, conv)
	again := gen(w, conv)
	if again.text != first.text {
		t.Errorf("regenerate with the same seed: %q, first %q", again.text, first.text)
	}
	if n := again.done.Stats.EvaluatedTokens; n != 1 {
		t.Errorf("regenerate evaluated %d tokens, want 1", n)
	}

	edited := ask("Lily saw a dog.", "The cat was big.", "What did Lily do?")
	pOld, pNew := promptTokens(t, path, conv), promptTokens(t, path, edited)
	shared := commonPrefix(pOld, pNew)
	got := gen(w, edited)
	if n := got.done.Stats.EvaluatedTokens; n != len(pNew)-shared {
		t.Errorf("edit evaluated %d tokens, want %d after the %d shared", n, len(pNew)-shared, shared)
	}
	if want := gen(fresh, edited); got.text != want.text {
		t.Errorf("after the edit %q, fresh worker %q", got.text, want.text)
	}

	// Switching to another conversation and back re-evaluates as needed
	// and still gives the fresh replies.
	other := ask("A bird sang.")
	if a, b := gen(w, other), gen(fresh, other); a.text != b.text {
		t.Errorf("other conversation %q, fresh %q", a.text, b.text)
	}
	back := gen(w, conv)
	if back.text != first.text {
		t.Errorf("back to the first conversation: %q, want %q", back.text, first.text)
	}
}

// TestCancelWithinOneToken cancels the context when the third token is
// sampled: the reply stops before a fourth.
func TestCancelWithinOneToken(t *testing.T) {
	w, _ := startWorker(t, storiesPath(t), LoadOptions{ContextLength: 128, Threads: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w.sampler = func(n, id int) int {
		if n == 3 {
			cancel()
		}
		return id
	}
	r := collect(t, w.Generate(ctx, GenerateRequest{Messages: ask("Once upon a time"), Params: greedy()}))
	if r.done.StopReason != StopCancelled || r.done.Stats.GenTokens != 3 {
		t.Errorf("stop %q after %d tokens, want cancelled after 3", r.done.StopReason, r.done.Stats.GenTokens)
	}
	w.sampler = nil

	// A request cancelled while queued ends without running, and the worker
	// goes on with the next one.
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	r = collect(t, w.Generate(ctx2, GenerateRequest{Messages: ask("hi"), Params: greedy()}))
	if r.done.StopReason != StopCancelled || r.done.Stats.GenTokens != 0 {
		t.Errorf("cancelled before start: %q, %d tokens", r.done.StopReason, r.done.Stats.GenTokens)
	}
	r = collect(t, w.Generate(context.Background(), GenerateRequest{Messages: ask("hi"), Params: greedy(), MaxTokens: 3}))
	if r.done.StopReason != StopMaxTokens {
		t.Errorf("after cancellations: stop %q", r.done.StopReason)
	}
}

// TestRequestsRunInOrder queues three replies at once and reads them last
// to first: the worker sampled all of the first reply's tokens, then all
// of the second's, then the third's.
func TestRequestsRunInOrder(t *testing.T) {
	w, _ := startWorker(t, storiesPath(t), LoadOptions{ContextLength: 128, Threads: 1})
	var sampled []int // written by the worker goroutine, read after its channels close
	w.sampler = func(n, id int) int {
		sampled = append(sampled, id)
		return id
	}
	var chans []<-chan Event
	for _, m := range []string{"Tom", "A cat", "The sky"} {
		chans = append(chans, w.Generate(context.Background(), GenerateRequest{Messages: ask(m), Params: greedy(), MaxTokens: 4}))
	}
	replies := make([]reply, 3)
	for i := 2; i >= 0; i-- {
		replies[i] = collect(t, chans[i])
	}
	var want []int
	for i, r := range replies {
		if r.done.StopReason != StopMaxTokens {
			t.Errorf("request %d: %q", i, r.done.StopReason)
		}
		want = append(want, r.ids...)
	}
	if !slices.Equal(sampled, want) {
		t.Errorf("sampling order %v, want the replies in request order %v", sampled, want)
	}
}

// TestStopStringAcrossTokens stops on a string made of the end of one
// generated piece and the start of the next: the text stops right before it.
func TestStopStringAcrossTokens(t *testing.T) {
	w, _ := startWorker(t, storiesPath(t), LoadOptions{ContextLength: 128, Threads: 1})
	msgs := ask("Once upon a time")
	full := collect(t, w.Generate(context.Background(), GenerateRequest{Messages: msgs, Params: greedy(), MaxTokens: 30}))
	// Find two neighbouring pieces of 2+ bytes and span their boundary.
	stop := ""
	for i := 3; i+1 < len(full.pieces); i++ {
		a, b := full.pieces[i], full.pieces[i+1]
		if len(a) >= 2 && len(b) >= 2 {
			stop = a[len(a)-2:] + b[:2]
			break
		}
	}
	if stop == "" {
		t.Fatalf("no boundary to stop on in %q", full.pieces)
	}
	at := strings.Index(full.text, stop)
	r := collect(t, w.Generate(context.Background(), GenerateRequest{Messages: msgs, Params: greedy(), MaxTokens: 30, Stop: []string{"never seen", stop}}))
	if r.done.StopReason != StopString || r.text != full.text[:at] {
		t.Errorf("stop %q: got %q (%s), want %q", stop, r.text, r.done.StopReason, full.text[:at])
	}
	for _, p := range r.pieces {
		if strings.Contains(p, stop[:1]+stop[1:]) {
			t.Errorf("piece %q shows the stop string", p)
		}
	}
}

// TestUTF8SplitAcrossTokens forces the reply to be a text whose emoji and
// accented letters are byte tokens: every piece is complete UTF-8 and the
// character arrives whole with the token that completes it.
func TestUTF8SplitAcrossTokens(t *testing.T) {
	path := storiesPath(t)
	want := "Hi 🦫 né"
	tok := promptModel(t, path).Tok
	forced := tok.Encode(want, false, false)
	if len(forced) < len(want)-4 {
		t.Fatalf("%q encodes to %d tokens; expected byte tokens for the emoji", want, len(forced))
	}
	w, _ := startWorker(t, path, LoadOptions{ContextLength: 128, Threads: 1})
	w.sampler = func(n, id int) int { return forced[n-1] }
	r := collect(t, w.Generate(context.Background(), GenerateRequest{Messages: ask("Say hi"), Params: greedy(), MaxTokens: len(forced)}))
	for i, p := range r.pieces {
		if !utf8.ValidString(p) {
			t.Errorf("piece %d %q is not valid UTF-8", i, p)
		}
	}
	t.Logf("pieces %q", r.pieces)
	if strings.TrimLeft(r.text, " ") != want {
		t.Errorf("text %q, want %q", r.text, want)
	}
	emoji := 0
	for _, p := range r.pieces {
		if strings.Contains(p, "🦫") {
			emoji++
		}
	}
	if emoji != 1 || len(r.pieces) != len(forced) {
		t.Errorf("%d pieces for %d tokens, emoji in %d: %q", len(r.pieces), len(forced), emoji, r.pieces)
	}
}

// TestReplayFromReceipt samples with a random seed, then replays the reply
// on a fresh worker from nothing but the receipt and the messages.
func TestReplayFromReceipt(t *testing.T) {
	path := storiesPath(t)
	w, info := startWorker(t, path, LoadOptions{ContextLength: 128, Threads: 1})
	msgs := ask("The sun was hot.")
	p := sample.DefaultParams() // seed 0: the worker picks one
	p.RepeatPenalty = 1.1
	orig := collect(t, w.Generate(context.Background(), GenerateRequest{Messages: msgs, Params: p, MaxTokens: 24, Stop: []string{"zzz"}}))
	rc := orig.done.Stats.Receipt
	if rc.Params.Seed == 0 || rc.ModelFingerprint != info.Fingerprint || rc.MaxTokens != 24 || rc.ContextLength != 128 {
		t.Fatalf("receipt %+v", rc)
	}

	fresh, info2 := startWorker(t, path, LoadOptions{ContextLength: rc.ContextLength, Threads: 2})
	if info2.Fingerprint != rc.ModelFingerprint {
		t.Fatal("fingerprint changed between loads")
	}
	replay := collect(t, fresh.Generate(context.Background(), GenerateRequest{Messages: msgs, Params: rc.Params, MaxTokens: rc.MaxTokens, Stop: rc.Stop}))
	if replay.text != orig.text || len(replay.ids) != len(orig.ids) {
		t.Errorf("replay %q, original %q", replay.text, orig.text)
	}
	// And on the same worker, whose cache now holds the reply.
	again := collect(t, w.Generate(context.Background(), GenerateRequest{Messages: msgs, Params: rc.Params, MaxTokens: rc.MaxTokens, Stop: rc.Stop}))
	if again.text != orig.text {
		t.Errorf("replay on the same worker %q, original %q", again.text, orig.text)
	}
}

// TestContextFull: a prompt that does not fit is refused with a clear error
// or, when asked, has its oldest turns dropped (with a notice, keeping the
// system prompt); a reply that fills the context stops with StopLength.
func TestContextFull(t *testing.T) {
	path := storiesPath(t)
	w, _ := startWorker(t, path, LoadOptions{ContextLength: 64, Threads: 1})
	long := []chat.Message{{Role: "system", Content: "Be kind."}}
	long = append(long, ask(
		"Once upon a time there was a little girl named Lily.",
		"She liked to play in the park with her red ball.",
		"One day she saw a big dog in the park.",
		"The dog wanted to play with the ball too.",
		"What did Lily do?")...)
	if n := len(promptTokens(t, path, long)); n <= 64 {
		t.Fatalf("the long conversation is only %d tokens", n)
	}

	var got error
	for ev := range w.Generate(context.Background(), GenerateRequest{Messages: long, Params: greedy()}) {
		if ev.Kind == EventError {
			got = ev.Err
		}
	}
	if !errors.Is(got, ErrContextFull) {
		t.Errorf("stop policy: error %v, want ErrContextFull", got)
	}

	// The request's policy, then the worker's default, which a request's
	// own ContextStop still overrides.
	r := collect(t, w.Generate(context.Background(), GenerateRequest{Messages: long, Params: greedy(), MaxTokens: 8, ContextPolicy: ContextDropOldest}))
	if !strings.HasPrefix(r.done.Notice, ErrTurnsDropped.Error()) {
		t.Errorf("request's drop policy: notice %q", r.done.Notice)
	}
	w.SetContextPolicy(ContextDropOldest)
	if err := collect2(w.Generate(context.Background(), GenerateRequest{Messages: long, Params: greedy(), ContextPolicy: ContextStop})); !errors.Is(err, ErrContextFull) {
		t.Errorf("request's stop policy over the worker's drop: error %v, want ErrContextFull", err)
	}
	r = collect(t, w.Generate(context.Background(), GenerateRequest{Messages: long, Params: greedy(), MaxTokens: 8}))
	if !strings.HasPrefix(r.done.Notice, ErrTurnsDropped.Error()) || r.done.Err != nil {
		t.Errorf("drop policy: notice %q, err %v; want the ErrTurnsDropped notice", r.done.Notice, r.done.Err)
	}
	kept := []chat.Message{long[0], long[len(long)-1]}
	if n := r.done.Stats.PromptTokens; n > 64-8 || n < len(promptTokens(t, path, kept)) {
		t.Errorf("drop policy: %d prompt tokens", n)
	}

	// An unbounded reply (end-of-generation tokens replaced, so it cannot
	// end early) stops when the context is full, and says so.
	tok := promptModel(t, path).Tok
	w.sampler = func(n, id int) int {
		if tok.IsEOG(id) {
			return 300
		}
		return id
	}
	r = collect(t, w.Generate(context.Background(), GenerateRequest{Messages: ask("Hi"), Params: greedy()}))
	if s := r.done.Stats; r.done.StopReason != StopLength || s.ContextUsed != 64 || s.PromptTokens+s.GenTokens != 65 {
		t.Errorf("unbounded reply: stop %q, %d of 64 used, %d prompt + %d generated", r.done.StopReason, s.ContextUsed, s.PromptTokens, s.GenTokens)
	}
}

func TestDropOldestTurnKeepsSystemAndLast(t *testing.T) {
	sys := chat.Message{Role: "system", Content: "s"}
	msgs := append([]chat.Message{sys}, ask("u1", "a1", "u2", "a2", "u3")...)
	var n int
	for step := 0; ; step++ {
		rest, k := dropOldestTurn(msgs)
		if k == 0 {
			break
		}
		if !reflect.DeepEqual(rest[0], sys) || rest[1].Role != "user" || rest[len(rest)-1].Content != "u3" {
			t.Fatalf("step %d: %+v", step, rest)
		}
		msgs, n = rest, n+k
	}
	if n != 4 || len(msgs) != 2 {
		t.Errorf("dropped %d, left %+v", n, msgs)
	}
}

func TestStopMatcher(t *testing.T) {
	cases := []struct {
		stops  []string
		pieces []string
		want   string
		hit    bool
	}{
		{nil, []string{"ab", "cd"}, "abcd", false},
		{[]string{"END"}, []string{"fooE", "N", "Dbar"}, "foo", true},
		{[]string{"END"}, []string{"fooE", "Nx"}, "fooENx", false},
		{[]string{"xyz", "yz!"}, []string{"ax", "yz!"}, "a", true},
		{[]string{"\n\n"}, []string{"one\n", "\ntwo"}, "one", true},
		{[]string{"é!"}, []string{"caf", "é", "!"}, "caf", true},
		{[]string{"ab"}, []string{"a"}, "a", false}, // held back, then flushed
	}
	for _, c := range cases {
		m := newStopMatcher(c.stops)
		got, hit := "", false
		for _, p := range c.pieces {
			out, h := m.push(p)
			got += out
			if h {
				hit = true
				break
			}
		}
		if !hit {
			got += m.flush()
		}
		if got != c.want || hit != c.hit {
			t.Errorf("%q on %q: %q %v, want %q %v", c.stops, c.pieces, got, hit, c.want, c.hit)
		}
	}
}

// synthLlama3 writes a small random model with the real Llama 3 vocabulary
// and chat template (from the llama-bpe vocabulary file).
func synthLlama3(t *testing.T) string {
	t.Helper()
	vocab := testenv.Path(t, "vocab", "ggml-vocab-llama-bpe.gguf")
	path := filepath.Join(t.TempDir(), "llama3-synth.gguf")
	if err := synth.Write(path, synth.Options{Preset: "tiny", VocabFrom: vocab, Std: 0.5, Seed: 7, Context: 512}); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLlama3TemplateConversation runs a conversation through the Llama 3
// template of a real vocabulary: one BOS, special tokens parsed, and the
// second turn evaluates only what follows the cached first turn.
func TestLlama3TemplateConversation(t *testing.T) {
	path := synthLlama3(t)
	msgs := []chat.Message{{Role: "system", Content: "You are terse."}, {Role: "user", Content: "Hello there!"}}
	p1 := promptTokens(t, path, msgs)
	tok := promptModel(t, path).Tok
	header, _ := tok.TokenID("<|start_header_id|>")
	eot, _ := tok.TokenID("<|eot_id|>")
	if p1[0] != tok.BOS() || p1[1] == tok.BOS() || p1[1] != header || slices.Index(p1, eot) < 0 {
		t.Fatalf("prompt tokens %v: want one BOS, then <|start_header_id|> (%d), and <|eot_id|> (%d) parsed as special tokens", p1[:min(8, len(p1))], header, eot)
	}

	w, info := startWorker(t, path, LoadOptions{Threads: 1})
	if info.ContextLength != 512 {
		t.Errorf("context %d", info.ContextLength)
	}
	r1 := collect(t, w.Generate(context.Background(), GenerateRequest{Messages: msgs, Params: greedy(), MaxTokens: 6}))
	if r1.done.Stats.EvaluatedTokens != len(p1) {
		t.Errorf("turn 1 evaluated %d of %d", r1.done.Stats.EvaluatedTokens, len(p1))
	}
	// The reply of a random model may not survive re-tokenization, so the
	// next turn's expected count is worked out from the tokens themselves.
	turn2 := append(slices.Clone(msgs), chat.Message{Role: "assistant", Content: r1.text}, chat.Message{Role: "user", Content: "And then?"})
	p2 := promptTokens(t, path, turn2)
	cached := append(slices.Clone(p1), r1.ids[:len(r1.ids)-1]...)
	shared := commonPrefix(cached, p2)
	if shared < len(p1) {
		t.Errorf("turn 2 shares %d tokens with the cache, less than turn 1's prompt (%d)", shared, len(p1))
	}
	r2 := collect(t, w.Generate(context.Background(), GenerateRequest{Messages: turn2, Params: greedy(), MaxTokens: 6}))
	if got := r2.done.Stats.EvaluatedTokens; got != len(p2)-shared {
		t.Errorf("turn 2 evaluated %d tokens, want %d", got, len(p2)-shared)
	}
	for _, r := range []reply{r1, r2} {
		for _, p := range r.pieces {
			if !utf8.ValidString(p) {
				t.Errorf("piece %q is not valid UTF-8", p)
			}
		}
	}
	t.Logf("turn 1 %d tokens, reply %q; turn 2 %d tokens, %d evaluated", len(p1), r1.text, len(p2), r2.done.Stats.EvaluatedTokens)

	w.Unload()
	ev := <-w.Generate(context.Background(), GenerateRequest{Messages: msgs})
	if !errors.Is(ev.Err, ErrNoModel) {
		t.Errorf("after Unload: %+v", ev)
	}
}

// TestCloseStopsARunningReply: Close cancels the reply in progress, ends
// queued requests with ErrClosed, and later requests fail the same way.
func TestCloseStopsARunningReply(t *testing.T) {
	w := NewWorker()
	for ev := range w.Load(context.Background(), storiesPath(t), LoadOptions{ContextLength: 128, Threads: 1}) {
		if ev.Kind == EventError {
			t.Fatal(ev.Err)
		}
	}
	started := make(chan struct{})
	release := make(chan struct{})
	w.sampler = func(n, id int) int {
		if n == 2 {
			close(started)
			<-release
		}
		return id
	}
	running := w.Generate(context.Background(), GenerateRequest{Messages: ask("Once"), Params: greedy()})
	queued := w.Generate(context.Background(), GenerateRequest{Messages: ask("Twice"), Params: greedy()})
	<-started
	closed := make(chan struct{})
	go func() { w.Close(); close(closed) }()
	<-w.closed // Close has marked the worker closed
	close(release)
	r := collect(t, running)
	if r.done.StopReason != StopCancelled || r.done.Stats.GenTokens != 2 {
		t.Errorf("running reply: %q after %d tokens", r.done.StopReason, r.done.Stats.GenTokens)
	}
	if ev := <-queued; !errors.Is(ev.Err, ErrClosed) {
		t.Errorf("queued request: %+v", ev)
	}
	<-closed
	if ev := <-w.Generate(context.Background(), GenerateRequest{Messages: ask("late")}); !errors.Is(ev.Err, ErrClosed) {
		t.Errorf("after Close: %+v", ev)
	}
}

func TestTopLogprobsAndTemplateOverride(t *testing.T) {
	path := storiesPath(t)
	w, _ := startWorker(t, path, LoadOptions{ContextLength: 128, Threads: 1})
	var tops [][]TokenProb
	var ids []int
	for ev := range w.Generate(context.Background(), GenerateRequest{Messages: ask("Hi"), Params: greedy(), MaxTokens: 5, TopLogprobs: 3}) {
		if ev.Kind == EventPiece && ev.Token != NoToken {
			tops = append(tops, ev.Top)
			ids = append(ids, ev.Token)
		}
	}
	if len(tops) != 5 {
		t.Fatalf("%d pieces", len(tops))
	}
	for i, top := range tops {
		if len(top) != 3 || top[0].Token != ids[i] || top[0].Prob < top[1].Prob || top[1].Prob < top[2].Prob || top[0].Prob > 1 {
			t.Errorf("token %d (%d): top %+v", i, ids[i], top)
		}
	}

	// A per-request template replaces the model's (here the completion built-in).
	plain := "{% for m in messages %}{{ m.content }}{% endfor %}"
	r := collect(t, w.Generate(context.Background(), GenerateRequest{Messages: ask("Once upon a time"), Template: plain, Params: greedy(), MaxTokens: 2}))
	want := len(promptModel(t, path).Tok.Encode("Once upon a time", true, true))
	if r.done.Stats.PromptTokens != want {
		t.Errorf("override prompt is %d tokens, want %d", r.done.Stats.PromptTokens, want)
	}
	bad := collect2(w.Generate(context.Background(), GenerateRequest{Messages: ask("x"), Template: "{% for %}", Params: greedy()}))
	if bad == nil || !chat.IsTemplateError(bad) {
		t.Errorf("a broken override: %v", bad)
	}
}

// collect2 drains a request and returns its error, if any.
func collect2(ch <-chan Event) error {
	var err error
	for ev := range ch {
		if ev.Kind == EventError {
			err = ev.Err
		}
	}
	return err
}

func TestLoadCancelled(t *testing.T) {
	w := NewWorker()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := collect2(w.Load(ctx, storiesPath(t), LoadOptions{}))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled load: %v", err)
	}
}

// TestPromptTokensFromRealVocabularies tokenizes a conversation rendered
// by each vocabulary file's own template (or its family's built-in): the
// turn markers are single special tokens and BOS appears exactly once when
// the vocabulary uses one.
func TestPromptTokensFromRealVocabularies(t *testing.T) {
	msgs := []chat.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi!"}}
	cases := []struct {
		file    string
		first   string   // text of the first token
		markers []string // must each be one token in the prompt
	}{
		{"ggml-vocab-llama-bpe.gguf", "<|begin_of_text|>", []string{"<|start_header_id|>", "<|eot_id|>"}},
		{"ggml-vocab-qwen2.gguf", "<|im_start|>", []string{"<|im_start|>", "<|im_end|>"}},
		{"ggml-vocab-phi-3.gguf", "<s>", []string{"<|user|>", "<|end|>", "<|assistant|>"}},
		{"ggml-vocab-llama-spm.gguf", "<s>", nil}, // no template, no markers: plain completion
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := testenv.Path(t, "vocab", c.file)
			tokens := promptTokens(t, path, msgs)
			tok := promptModel(t, path).Tok
			if got := tok.TokenText(tokens[0]); got != c.first {
				t.Errorf("first token %q, want %q", got, c.first)
			}
			if bos := tok.BOS(); slices.Index(tokens[1:], bos) >= 0 && c.first == tok.TokenText(bos) {
				t.Errorf("BOS (%d) appears twice: %v", bos, tokens)
			}
			for _, mk := range c.markers {
				id, ok := tok.TokenID(mk)
				if !ok || slices.Index(tokens, id) < 0 {
					t.Errorf("%s is not a single token in %v", mk, tokens)
				}
			}
		})
	}
}

// withTemplate copies a model file, replacing its chat template.
func withTemplate(t *testing.T, src, template string) string {
	t.Helper()
	f, err := gguf.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gw := gguf.NewWriter()
	for _, kv := range f.KVs {
		if err := gw.SetKV(kv); err != nil {
			t.Fatal(err)
		}
	}
	if err := gw.Set("tokenizer.chat_template", template); err != nil {
		t.Fatal(err)
	}
	for i := range f.Tensors {
		ti := &f.Tensors[i]
		if _, err := gw.AddTensorData(ti.Name, ti.Type, ti.Shape, f.TensorData(ti)); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "templated.gguf")
	if err := gw.WriteFile(out, nil); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFileTemplateFallsBack: a model whose own template breaks still
// answers, through its family's built-in, and the reply says why.
func TestFileTemplateFallsBack(t *testing.T) {
	stories := storiesPath(t)
	cases := []struct{ name, template string }{
		{"does not parse", "{% for m in messages %}{{ m.content }"},
		{"raises", "{{ raise_exception('this template needs tools') }}"},
	}
	fresh, _ := startWorker(t, stories, LoadOptions{ContextLength: 128, Threads: 1})
	want := collect(t, fresh.Generate(context.Background(), GenerateRequest{Messages: ask("Hi"), Params: greedy(), MaxTokens: 6}))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, _ := startWorker(t, withTemplate(t, stories, c.template), LoadOptions{ContextLength: 128, Threads: 1})
			r := collect(t, w.Generate(context.Background(), GenerateRequest{Messages: ask("Hi"), Params: greedy(), MaxTokens: 6}))
			if !strings.Contains(r.done.Notice, "built-in") || !strings.Contains(r.done.Notice, "template") || r.done.Err != nil {
				t.Errorf("notice %q, err %v; want the template fallback notice", r.done.Notice, r.done.Err)
			}
			if r.text != want.text {
				t.Errorf("reply %q, want the built-in's %q", r.text, want.text)
			}
		})
	}
	// A working template in the file is used as is.
	plain := withTemplate(t, stories, "{% for m in messages %}{{ m.content }}{% endfor %}")
	w, _ := startWorker(t, plain, LoadOptions{ContextLength: 128, Threads: 1})
	r := collect(t, w.Generate(context.Background(), GenerateRequest{Messages: ask("Once upon a time"), Params: greedy(), MaxTokens: 2}))
	if r.done.Notice != "" || r.done.Stats.PromptTokens != len(promptModel(t, stories).Tok.Encode("Once upon a time", true, true)) {
		t.Errorf("file template: notice %q, %d prompt tokens", r.done.Notice, r.done.Stats.PromptTokens)
	}
}

// TestWorkerVocab: the loaded model's Vocab renders a conversation as the
// worker does, and goes away with the model.
func TestWorkerVocab(t *testing.T) {
	path := storiesPath(t)
	w, _ := startWorker(t, path, LoadOptions{ContextLength: 96, Threads: 1})
	v := w.Vocab()
	if v == nil {
		t.Fatal("no Vocab after a load")
	}
	msgs := ask("Tell me a story")
	pr, err := v.Prompt(msgs)
	if err != nil || !slices.Equal(pr.Tokens, promptTokens(t, path, msgs)) {
		t.Errorf("Vocab.Prompt %v, %v; want %v", pr.Tokens, err, promptTokens(t, path, msgs))
	}
	// The window renders while a reply is being written: no shared state.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			v.Prompt(msgs)
		}
	}()
	collect(t, w.Generate(context.Background(), GenerateRequest{Messages: msgs, Params: greedy(), MaxTokens: 4}))
	<-done
	w.Unload()
	if w.Vocab() != nil {
		t.Error("a Vocab after Unload")
	}
}
