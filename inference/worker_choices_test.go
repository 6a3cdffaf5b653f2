package inference

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"burrow/inference/gguf"
	"burrow/inference/sample"
	"burrow/inference/synth"
)

// choicesModel writes a small synthesized Q8_0 model for the choices tests.
func choicesModel(tb testing.TB) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "small-q8_0.gguf")
	if err := synth.Write(p, synth.Options{Preset: "small", Type: gguf.TypeQ8_0, Seed: 11, Std: 0.5}); err != nil {
		tb.Fatal(err)
	}
	return p
}

func choicesParams() sample.Params {
	p := sample.DefaultParams()
	p.Seed = 5
	return p
}

// Asking for the candidates only reports; the reply must not change.
func TestTopLogprobsDoNotChangeTheReply(t *testing.T) {
	path := choicesModel(t)
	var replies [2]reply
	for i, top := range []int{0, 5} {
		// A fresh worker each time: a cached prompt is evaluated in other
		// batch sizes, which may round differently.
		w, _ := startWorker(t, path, LoadOptions{ContextLength: 256, Threads: 1})
		replies[i] = collect(t, w.Generate(context.Background(), GenerateRequest{Messages: ask("Tell me a story"),
			Params: choicesParams(), MaxTokens: 24, TopLogprobs: top}))
	}
	if replies[0].text != replies[1].text || len(replies[0].ids) != len(replies[1].ids) {
		t.Fatalf("with candidates the reply changed:\n%q\n%q", replies[0].text, replies[1].text)
	}
}

// BenchmarkWorkerGenerate measures generation speed with the choices
// option off (TopLogprobs 0) and on (5): off must match the speed before
// the option existed, since that path does no extra work.
func BenchmarkWorkerGenerate(b *testing.B) {
	path := choicesModel(b)
	for _, top := range []int{0, 5} {
		b.Run(map[int]string{0: "top0", 5: "top5"}[top], func(b *testing.B) {
			w := NewWorker()
			defer w.Close()
			for ev := range w.Load(context.Background(), path, LoadOptions{ContextLength: 256, Threads: 1}) {
				if ev.Kind == EventError {
					b.Fatal(ev.Err)
				}
			}
			var tokens int
			var genTime time.Duration
			b.ResetTimer()
			for b.Loop() {
				// Same conversation and seed each time: the prompt is cached,
				// so the time is the decode loop's.
				for ev := range w.Generate(context.Background(), GenerateRequest{Messages: ask("Tell me a story"),
					Params: choicesParams(), MaxTokens: 64, TopLogprobs: top}) {
					switch ev.Kind {
					case EventError:
						b.Fatal(ev.Err)
					case EventDone:
						tokens += ev.Stats.GenTokens
						genTime += ev.Stats.GenTime
					}
				}
			}
			if genTime > 0 {
				b.ReportMetric(float64(tokens)/genTime.Seconds(), "tok/s")
			}
		})
	}
}
