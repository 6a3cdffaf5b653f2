package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"burrow/inference"
	"burrow/inference/grammar"
	"burrow/inference/llama"
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
	// TopPerStep holds, with --top N, the N likeliest tokens at each step
	// (temperature 1 when greedy), as llama.cpp's reference files do.
	TopPerStep [][]inference.TokenProb `json:"top_per_step,omitempty"`
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
		kv                llama.KVType
		asJSON            bool
		top               int
		sampler           samplerFlags
		grammarFile       string
		jsonSchema        string
	)
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
			p, err := sampler.seededParams()
			if err != nil {
				return fmt.Errorf("run: %w", err)
			}
			g, err := loadGrammar(grammarFile, jsonSchema)
			if err != nil {
				return fmt.Errorf("run: %w", err)
			}
			seed := p.Seed
			stderr := cmd.ErrOrStderr()
			m, st, done, err := loadState(modelPath, inference.LoadOptions{ContextLength: ctxLen, Threads: threads, KV: kv})
			if err != nil {
				return err
			}
			defer done()
			ids := m.Tokenize(prompt)
			fmt.Fprintf(stderr, "seed %d, %d prompt tokens, context %d, %d threads\n", seed, len(ids), st.ContextLen(), st.Threads())

			var tops [][]inference.TokenProb
			out := cmd.OutOrStdout()
			onPiece := func(ev inference.Event) {
				if ev.Token != inference.NoToken && top > 0 {
					tops = append(tops, ev.Top)
				}
				if !asJSON {
					io.WriteString(out, ev.Piece)
				}
			}
			opts := inference.GenOptions{Params: p, MaxTokens: maxTokens, TopLogprobs: top}
			if g != nil {
				gv, err := m.GrammarVocab()
				if err != nil {
					return fmt.Errorf("run: %w", err)
				}
				if opts.Constraint, err = grammar.NewConstraint(g, gv); err != nil {
					return fmt.Errorf("run: %w", err)
				}
			}
			res, err := inference.Generate(cmd.Context(), st, m, ids, opts, onPiece)
			if err != nil {
				return err
			}
			s := res.Stats
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), runOutput{
					PromptIDs: ids, GeneratedIDs: idsOrEmpty(res.Tokens), Text: res.Text,
					StopReason: res.StopReason, Seed: seed, TopPerStep: tops,
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
	addSamplerFlags(cmd, &sampler)
	fl.IntVarP(&threads, "threads", "t", 0, "threads (default: physical cores)")
	fl.IntVarP(&ctxLen, "ctx", "c", 0, "context length (default: the model's, at most 4096)")
	addKVFlag(cmd, &kv, llama.DefaultKV, kvHelp)
	fl.BoolVar(&asJSON, "json", false, "print one JSON object at the end instead of streaming")
	fl.IntVar(&top, "top", 0, "with --json, list the N likeliest tokens at each step")
	fl.StringVar(&grammarFile, "grammar-file", "", "constrain the output to a GBNF grammar (llama.cpp's format)")
	fl.StringVar(&jsonSchema, "json-schema", "", "constrain the output to a JSON schema (the JSON itself, or @FILE)")
	return cmd
}

// loadGrammar compiles --grammar-file or --json-schema (nil: neither).
func loadGrammar(file, schema string) (*grammar.Grammar, error) {
	var src string
	switch {
	case file != "" && schema != "":
		return nil, fmt.Errorf("give --grammar-file or --json-schema, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		src = string(b)
	case schema != "":
		text := []byte(schema)
		if name, ok := strings.CutPrefix(schema, "@"); ok {
			var err error
			if text, err = os.ReadFile(name); err != nil {
				return nil, err
			}
		}
		var err error
		if src, err = grammar.FromJSONSchema(text); err != nil {
			return nil, err
		}
	default:
		return nil, nil
	}
	return grammar.Parse(src)
}

// nonNil makes an empty list print as [] rather than null.
func idsOrEmpty(ids []int) []int {
	if ids == nil {
		return []int{}
	}
	return ids
}
