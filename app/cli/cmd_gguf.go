package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"burrow/inference/gguf"
	"burrow/inference/quantize"
	"burrow/inference/synth"
)

func init() { register(newGGUFCmd) }

// newGGUFCmd groups tools that make or change GGUF files.
func newGGUFCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gguf",
		Short: "Make GGUF files (synthetic test models)",
	}
	cmd.AddCommand(newGGUFSynthCmd())
	return cmd
}

func newGGUFSynthCmd() *cobra.Command {
	var o synth.Options
	var typ, out string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "synth -o OUT.gguf",
		Short: "Write a random-weight model of a real shape",
		Long: "Writes a model with random weights (normal, std 0.02 unless --std; norms 1) and the tensor\n" +
			"names, shapes and keys llama.cpp's converter writes, for tests and benchmarks.\n" +
			"Presets: " + strings.Join(synth.Presets(), ", ") + ". The tokenizer keys are copied from\n" +
			"--vocab-from (its token count sets the vocabulary size), else a built-in byte-level\n" +
			"vocabulary padded to the preset's size is used.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("gguf synth: -o OUT.gguf is required")
			}
			// A llama-quantize mix (q4_k_m) gives each tensor its recipe's type;
			// a ggml type name (q4_k, q8_0) makes every matrix that type.
			if quantize.IsMix(typ) {
				o.Recipe, _ = quantize.LookupFtype(typ)
			} else {
				t, ok := gguf.ParseType(typ)
				if !ok {
					return fmt.Errorf("gguf synth: unknown --type %q (f32, f16, q8_0, q4_k, q4_k_m, ...)", typ)
				}
				o.Type = t
			}
			if err := synth.Write(out, o); err != nil {
				return err
			}
			f, err := gguf.Open(out)
			if err != nil {
				return fmt.Errorf("gguf synth: reading back %s: %w", out, err)
			}
			defer f.Close()
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), map[string]any{
					"path": out, "bytes": f.Size, "tensors": len(f.Tensors),
					"architecture": f.Architecture(), "name": f.StringOr("general.name", ""),
				})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %s, %d tensors, %d bytes\n", out, f.StringOr("general.name", ""), len(f.Tensors), f.Size)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Arch, "arch", "", "architecture: "+strings.Join(synth.Arches, ", ")+" (default: the preset's)")
	fl.StringVar(&o.Preset, "preset", "tiny", "model shape: "+strings.Join(synth.Presets(), ", "))
	fl.StringVar(&typ, "type", "q8_0", "matrix type: q8_0, f16, f32 or a quantized type such as q4_k, q6_k (vectors stay f32),\n"+
		"or a llama-quantize mix such as q4_k_m, q5_k_s, mxfp4_moe (each tensor gets the type llama-quantize gives it)")
	fl.StringVar(&o.ExpertType, "expert-type", "", "type of the MoE experts' matrices, e.g. mxfp4 (default: --type)")
	fl.StringVar(&o.VocabFrom, "vocab-from", "", "copy the tokenizer.* keys from this .gguf")
	fl.Uint64Var(&o.Seed, "seed", 0, "random seed")
	fl.Float64Var(&o.Std, "std", 0.02, "standard deviation of the weights")
	fl.IntVar(&o.Context, "ctx", 0, "context_length (default: the preset's)")
	fl.IntVar(&o.Pooling, "pooling", 0, "pooling_type for an embedding model: 1 mean, 2 cls, 3 last (default: none, a chat model)")
	fl.IntVar(&o.Layers, "layers", 0, "block_count (default: the preset's)")
	fl.StringVar(&o.Name, "name", "", "general.name (default synth-ARCH-PRESET)")
	fl.StringVarP(&out, "output", "o", "", "output file")
	fl.BoolVar(&asJSON, "json", false, "print a JSON object describing the file")
	return cmd
}
