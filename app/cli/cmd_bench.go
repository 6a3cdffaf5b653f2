package cli

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/spf13/cobra"

	"burrow/inference"
	"burrow/inference/llama"
	"burrow/inference/sample"
	"burrow/inference/tensor"
)

func init() { register(newBenchCmd) }

// benchOutput is the --json object of burrow bench (DESIGN.md).
type benchOutput struct {
	Model        string  `json:"model"`
	Threads      int     `json:"threads"`
	LoadMS       float64 `json:"load_ms"`
	PPTokens     int     `json:"pp_tokens"`
	PPTPS        float64 `json:"pp_tps"`
	TGTokens     int     `json:"tg_tokens"`
	TGTPS        float64 `json:"tg_tps"`
	PeakRSSBytes int64   `json:"peak_rss_bytes"`
	Kernels      string  `json:"kernels"` // the kernel set that ran (avx2+avx512vnni, avx2, plain)
	Kernel       string  `json:"kernel"`  // the same, under the name the speed issue asks for
	Ctx          int     `json:"ctx"`     // context tokens before the decoded ones (the prompt)
	KV           string  `json:"kv_type"` // the KV cache type (f32, f16, q8_0)
	// With --bandwidth: the machine's streaming read of the mapped file with
	// all threads, what one decoded token reads of the weights, and decode
	// speed as a fraction of that read.
	ReadGBps       float64 `json:"read_gbps,omitempty"`
	DecodeGBps     float64 `json:"decode_gbps,omitempty"`
	DecodeFraction float64 `json:"decode_fraction,omitempty"`
}

func newBenchCmd() *cobra.Command {
	var (
		modelPath            string
		promptTokens, genTok int
		threads              int
		asJSON               bool
		cpuProfile           string
		bandwidth            bool
		kv                   llama.KVType
	)
	cmd := &cobra.Command{
		Use:   "bench --model FILE.gguf",
		Short: "Measure load time, prompt processing and generation speed",
		Long: "Loads the model, evaluates --prompt-tokens random tokens as one prompt (pp), then\n" +
			"generates --gen-tokens tokens greedily one at a time (tg), like llama-bench's pp and tg tests.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if modelPath == "" {
				return fmt.Errorf("bench: --model is required")
			}
			if promptTokens < 1 || genTok < 0 {
				return fmt.Errorf("bench: --prompt-tokens must be at least 1 and --gen-tokens not negative")
			}
			t0 := time.Now()
			m, st, done, err := loadState(modelPath, inference.LoadOptions{ContextLength: promptTokens + genTok + 1, Threads: threads, KV: kv})
			if err != nil {
				return err
			}
			defer done()
			touchWeights(m)
			load := time.Since(t0)

			// Random tokens (fixed seed), as llama-bench uses; BOS first when the model wants one.
			rng := rand.New(rand.NewPCG(1, 2))
			vocab := m.LM.Config.VocabSize
			ids := make([]int, promptTokens)
			for i := range ids {
				ids[i] = rng.IntN(vocab)
			}
			if m.Tok.AddBOS() {
				ids[0] = m.Tok.BOS()
			}
			// Warm up the threads and caches with one token.
			if _, err := st.Eval(ids[:1]); err != nil {
				return err
			}
			st.Truncate(0)

			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return fmt.Errorf("bench: %w", err)
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return fmt.Errorf("bench: %w", err)
				}
				defer pprof.StopCPUProfile()
			}
			t1 := time.Now()
			logits, err := st.Eval(ids)
			if err != nil {
				return err
			}
			pp := time.Since(t1)
			t2 := time.Now()
			for i := 0; i < genTok; i++ {
				if logits, err = st.Eval([]int{sample.Greedy(logits)}); err != nil {
					return err
				}
			}
			tg := time.Since(t2)

			o := benchOutput{
				Model: filepath.Base(modelPath), Threads: st.Threads(), LoadMS: durationMS(load),
				PPTokens: promptTokens, PPTPS: perSecond(promptTokens, pp),
				TGTokens: genTok, TGTPS: perSecond(genTok, tg),
				PeakRSSBytes: peakRSS(), Kernels: tensor.Kernels(), Kernel: tensor.Kernels(), Ctx: promptTokens,
				KV: kv.String(),
			}
			if bandwidth {
				o.ReadGBps = readBandwidth(st.Threads()) / 1e9
				o.DecodeGBps = float64(decodeBytes(m.File)) * o.TGTPS / 1e9
				if o.ReadGBps > 0 {
					o.DecodeFraction = o.DecodeGBps / o.ReadGBps
				}
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), o)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s, %d threads, %s kernels, %s KV: load %.0f ms, pp%d %.1f tok/s, tg%d %.1f tok/s, peak RSS %.1f MiB\n",
				o.Model, o.Threads, o.Kernels, o.KV, o.LoadMS, o.PPTokens, o.PPTPS, o.TGTokens, o.TGTPS, float64(o.PeakRSSBytes)/(1<<20))
			if bandwidth {
				fmt.Fprintf(cmd.OutOrStdout(), "read %.1f GB/s with %d threads; decode reads %.1f GB/s of weights (%.0f%% of it)\n",
					o.ReadGBps, o.Threads, o.DecodeGBps, 100*o.DecodeFraction)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&modelPath, "model", "m", "", "GGUF model file")
	fl.IntVar(&promptTokens, "prompt-tokens", 64, "prompt tokens to process as one batch")
	fl.IntVar(&genTok, "gen-tokens", 32, "tokens to generate one at a time")
	fl.IntVarP(&threads, "threads", "t", 0, "threads (default: physical cores)")
	fl.BoolVar(&asJSON, "json", false, "print one JSON object")
	fl.BoolVar(&bandwidth, "bandwidth", false, "also measure a streaming read of 1 GiB with all threads and give decode as a fraction of it")
	addKVFlag(cmd, &kv, llama.DefaultKV, kvHelp)
	fl.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the pp and tg runs to this file (go tool pprof)")
	return cmd
}

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// touchWeights reads one byte per page of the tensor data, so the load time
// includes reading the file and the speeds do not include page faults.
func touchWeights(m *inference.Model) {
	benchSink = m.File.TouchData() // not the pages of weights the engine copied (repacked)
}

var benchSink byte
