package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"burrow/inference"
	"burrow/inference/llama"
)

func init() { register(newPerplexityCmd) }

func newPerplexityCmd() *cobra.Command {
	var (
		modelPath, file string
		ctxLen, threads int
		kv              llama.KVType
	)
	cmd := &cobra.Command{
		Use:   "perplexity --model FILE.gguf --file TEXT --ctx N",
		Short: "Measure a model's perplexity on a text, as llama-perplexity does",
		Long: "Tokenizes the whole text with BOS, cuts it into chunks of --ctx tokens (each starting\n" +
			"with BOS), evaluates each chunk from an empty cache and scores the second half of it.\n" +
			"Prints the running estimate after each chunk ([1]x,[2]y,...) and a last line PPL = X.\n" +
			"The default F16 KV cache reproduces llama-perplexity's default (flash attention, F16 cache).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if modelPath == "" || file == "" {
				return fmt.Errorf("perplexity: --model and --file are required")
			}
			text, err := os.ReadFile(file)
			if err != nil {
				return fmt.Errorf("perplexity: %w", err)
			}
			m, st, done, err := loadState(modelPath, inference.LoadOptions{ContextLength: ctxLen, Threads: threads, KV: kv})
			if err != nil {
				return err
			}
			defer done()
			tokens := m.Tok.Encode(string(text), true, false)
			bos := -1
			if m.Tok.AddBOS() {
				bos = m.Tok.BOS()
			}
			out, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			fmt.Fprintf(stderr, "%d tokens, %d chunks of %d, %d threads\n", len(tokens), len(tokens)/ctxLen, ctxLen, st.Threads())
			r, err := llama.Perplexity(st, tokens, ctxLen, bos, func(chunk int, ppl float64) {
				if chunk > 1 {
					fmt.Fprint(out, ",")
				}
				fmt.Fprintf(out, "[%d]%.4f", chunk, ppl)
			})
			if err != nil {
				return err
			}
			fmt.Fprintln(out)
			fmt.Fprintf(stderr, "Final estimate: PPL = %.4f +/- %.5f\n", r.PPL, r.StdErr)
			fmt.Fprintf(out, "PPL = %.4f\n", r.PPL)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&modelPath, "model", "m", "", "GGUF model file")
	fl.StringVarP(&file, "file", "f", "", "text file to score")
	fl.IntVarP(&ctxLen, "ctx", "c", 512, "tokens per chunk")
	fl.IntVarP(&threads, "threads", "t", 0, "threads (default: physical cores)")
	addKVFlag(cmd, &kv, llama.KVF16Flash, "KV cache type: f16-flash (llama-perplexity's default arithmetic), f16, f32 or q8_0")
	return cmd
}
