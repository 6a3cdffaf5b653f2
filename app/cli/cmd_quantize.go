package cli

import (
	"fmt"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"burrow/inference/gguf"
	"burrow/inference/quantize"
	"burrow/internal/units"
)

func init() { register(newQuantizeCmd) }

func newQuantizeCmd() *cobra.Command {
	var o quantize.Options
	var dryRun, asJSON, quiet bool
	cmd := &cobra.Command{
		Use:   "quantize IN.gguf OUT.gguf TYPE",
		Short: "Convert a model to a llama-quantize type (Q4_K_M, Q8_0, ...)",
		Long: "Writes IN.gguf's model as TYPE, choosing each tensor's type with llama-quantize's recipe\n" +
			"(Q4_K_M: Q6_K for the output and some attn_v/ffn_down, Q4_K elsewhere, norms F32, ...).\n" +
			"Types: " + strings.Join(quantize.FtypeNames(), ", ") + ".\n" +
			"Tensors are converted one at a time and written to a temporary file beside OUT.gguf that\n" +
			"replaces it only when complete; OUT.gguf may not be IN.gguf. Progress goes to stderr.",
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, out := args[0], args[1]
			ft, ok := quantize.LookupFtype(args[2])
			if !ok {
				return fmt.Errorf("quantize: unknown type %q (one of %s)", args[2], strings.Join(quantize.FtypeNames(), ", "))
			}
			o.Ftype = ft
			errw := cmd.ErrOrStderr()
			if dryRun {
				return quantizeDryRun(cmd, in, o, asJSON)
			}
			if !quiet {
				o.Progress = func(p quantize.Progress) {
					fmt.Fprintf(errw, "[%4d/%4d] %-36s %-18s %6s -> %-6s %10s -> %s\n", p.Index, p.Count, p.Name,
						shapeString(p.Shape), p.From, p.To, units.IBytes(p.InBytes), units.IBytes(p.OutBytes))
				}
			}
			// A kill (TERM) cancels like Ctrl+C, so the temporary file is removed too.
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM)
			defer stop()
			res, err := quantize.File(ctx, in, out, o)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), map[string]any{
					"input": in, "output": out, "type": ft.Name, "tensors": res.Tensors,
					"converted": res.Converted, "fallbacks": res.Fallbacks,
					"input_tensor_bytes": res.InBytes, "output_tensor_bytes": res.OutBytes, "bytes": res.FileBytes,
				})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %s, %d tensors (%d converted), tensor data %s -> %s\n",
				out, ft.Name, res.Tensors, res.Converted, units.IBytes(res.InBytes), units.IBytes(res.OutBytes))
			if res.Fallbacks > 0 {
				fmt.Fprintf(errw, "quantize: %d tensors did not split into the recipe's blocks and use a fallback type\n", res.Fallbacks)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.AllowRequantize, "allow-requantize", false, "allow converting tensors that are already quantized")
	fl.IntVar(&o.Threads, "threads", 0, "goroutines converting rows (default: all cores)")
	fl.BoolVar(&dryRun, "dry-run", false, "print each tensor's new type and size; write nothing")
	fl.BoolVar(&quiet, "quiet", false, "no per-tensor progress on stderr")
	fl.BoolVar(&asJSON, "json", false, "print one JSON object describing the result (or, with --dry-run, the plan)")
	return cmd
}

// quantizeDryRun prints the plan: what each tensor becomes and the sizes.
func quantizeDryRun(cmd *cobra.Command, in string, o quantize.Options, asJSON bool) error {
	f, err := gguf.Open(in)
	if err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	defer f.Close()
	plan, err := quantize.PlanFile(f, o)
	if err != nil {
		return err
	}
	type row struct {
		Name     string  `json:"name"`
		Shape    []int64 `json:"shape"`
		From     string  `json:"from"`
		To       string  `json:"to"`
		Bytes    int64   `json:"bytes"`
		NewBytes int64   `json:"new_bytes"`
		Fallback bool    `json:"fallback,omitempty"`
	}
	rows := make([]row, len(plan))
	var before, after int64
	for i, p := range plan {
		n := int64(1)
		for _, d := range p.Shape {
			n *= d
		}
		rows[i] = row{p.Name, p.Shape, p.Type.String(), p.Out.String(), p.Type.RowSize(n), p.Out.RowSize(n), p.Fallback}
		before += rows[i].Bytes
		after += rows[i].NewBytes
	}
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), map[string]any{"input": in, "type": o.Ftype.Name, "tensors": rows,
			"input_tensor_bytes": before, "output_tensor_bytes": after})
	}
	w := cmd.OutOrStdout()
	for _, r := range rows {
		fb := ""
		if r.Fallback {
			fb = "  (fallback)"
		}
		fmt.Fprintf(w, "%-36s %-18s %6s -> %-6s %10s -> %s%s\n", r.Name, shapeString(r.Shape), r.From, r.To,
			units.IBytes(r.Bytes), units.IBytes(r.NewBytes), fb)
	}
	fmt.Fprintf(w, "%s: tensor data %s -> %s\n", o.Ftype.Name, units.IBytes(before), units.IBytes(after))
	return nil
}
