package app

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/spf13/cobra"

	"burrow/inference"
	"burrow/inference/llama"
	"burrow/inference/sample"
)

func init() { register(newRunCmd) }

// runOutput is the --json object of burrow run.
type runOutput struct {
	PromptIDs    []int    `json:"prompt_ids"`
	GeneratedIDs []int    `json:"generated_ids"`
	Text         string   `json:"text"`
	StopReason   string   `json:"stop_reason"`
	Seed         uint64   `json:"seed"`
	Stats        runStats `json:"stats"`
}

type runStats struct {
	PromptTokens int     `json:"prompt_tokens"`
	PromptMS     float64 `json:"prompt_ms"`
	GenTokens    int     `json:"gen_tokens"`
	GenMS        float64 `json:"gen_ms"`
}

func durationMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func newRunCmd() *cobra.Command {
	var (
		modelPath, prompt string
		maxTokens         int
		threads, ctxLen   int
		seed              uint64
		kvType            string
		asJSON            bool
	)
	p := sample.DefaultParams()
	cmd := &cobra.Command{
		Use:   "run --model FILE.gguf --prompt TEXT",
		Short: "Generate text from a prompt (no chat template)",
		Long: "Continues the prompt with the model and streams the text to standard output.\n" +
			"The prompt is tokenized as llama.cpp does by default (BOS when the vocabulary adds it,\n" +
			"special tokens not parsed). --temp 0 is greedy. Without --seed the seed is random and\n" +
			"reported on standard error (and in --json).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if modelPath == "" {
				return fmt.Errorf("run: --model is required")
			}
			if !cmd.Flags().Changed("seed") {
				seed = rand.Uint64()
			}
			p.Seed = seed
			stderr := cmd.ErrOrStderr()
			m, err := inference.LoadModel(modelPath, inference.LoadOptions{ContextLength: ctxLen, Threads: threads})
			if err != nil {
				return err
			}
			defer m.Close()
			if m.KV, err = llama.ParseKVType(kvType); err != nil {
				return fmt.Errorf("run: %w", err)
			}
			st, err := m.NewState()
			if err != nil {
				return err
			}
			defer st.Close()
			ids := m.Tokenize(prompt)
			fmt.Fprintf(stderr, "seed %d, %d prompt tokens, context %d, %d threads\n", seed, len(ids), st.ContextLen(), st.Threads())

			var onPiece func(inference.Event)
			if !asJSON {
				out := cmd.OutOrStdout()
				onPiece = func(ev inference.Event) { io.WriteString(out, ev.Piece) }
			}
			res, err := inference.Generate(cmd.Context(), st, m, ids, inference.GenOptions{Params: p, MaxTokens: maxTokens}, onPiece)
			if err != nil {
				return err
			}
			s := res.Stats
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), runOutput{
					PromptIDs: ids, GeneratedIDs: idsOrEmpty(res.Tokens), Text: res.Text,
					StopReason: res.StopReason, Seed: seed,
					Stats: runStats{PromptTokens: s.PromptTokens, PromptMS: durationMS(s.PromptTime), GenTokens: s.GenTokens, GenMS: durationMS(s.GenTime)},
				})
			}
			fmt.Fprintln(cmd.OutOrStdout())
			fmt.Fprintf(stderr, "stop: %s; prompt %d tokens in %.0f ms; generated %d tokens in %.0f ms (%.1f tok/s); seed %d\n",
				res.StopReason, s.PromptTokens, durationMS(s.PromptTime), s.GenTokens, durationMS(s.GenTime), s.TokensPerSecond(), seed)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&modelPath, "model", "m", "", "GGUF model file")
	fl.StringVarP(&prompt, "prompt", "p", "", "prompt text")
	fl.IntVarP(&maxTokens, "max-tokens", "n", 0, "most tokens to generate (0: until the end or the context is full)")
	fl.Float32Var(&p.Temperature, "temp", p.Temperature, "temperature (0: greedy)")
	fl.IntVar(&p.TopK, "top-k", p.TopK, "keep the K most likely tokens (0: off)")
	fl.Float32Var(&p.TopP, "top-p", p.TopP, "nucleus sampling threshold (1: off)")
	fl.Float32Var(&p.MinP, "min-p", p.MinP, "drop tokens less likely than this times the most likely (0: off)")
	fl.Float32Var(&p.RepeatPenalty, "repeat-penalty", p.RepeatPenalty, "penalty for tokens in the last --repeat-last-n (1: off)")
	fl.IntVar(&p.PenaltyLastN, "repeat-last-n", p.PenaltyLastN, "tokens the penalties look back over (-1: all)")
	fl.Float32Var(&p.FrequencyPenalty, "frequency-penalty", p.FrequencyPenalty, "frequency penalty (0: off)")
	fl.Float32Var(&p.PresencePenalty, "presence-penalty", p.PresencePenalty, "presence penalty (0: off)")
	fl.Uint64Var(&seed, "seed", 0, "random seed (default: random, reported)")
	fl.IntVarP(&threads, "threads", "t", 0, "threads (default: physical cores)")
	fl.IntVarP(&ctxLen, "ctx", "c", 0, "context length (default: the model's, at most 4096)")
	fl.StringVar(&kvType, "kv-type", "f32", "KV cache type: f32, or f16 (half the memory, llama.cpp's default arithmetic)")
	fl.BoolVar(&asJSON, "json", false, "print one JSON object at the end instead of streaming")
	return cmd
}

// nonNil makes an empty list print as [] rather than null.
func idsOrEmpty(ids []int) []int {
	if ids == nil {
		return []int{}
	}
	return ids
}
