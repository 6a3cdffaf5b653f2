package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"burrow/inference/gguf"
	"burrow/inference/llama"
	"burrow/internal/units"
)

// addArchFlag adds `--arch`: print the model's architecture (llama.Anatomy:
// embedding, blocks, head, per part its tensors, and the memory of a
// context) instead of the file report; with --json as one JSON object.
// The memory estimate assumes inspect's --kv-type (kv).
func addArchFlag(cmd *cobra.Command, kv *llama.KVType) {
	var arch bool
	cmd.Flags().BoolVar(&arch, "arch", false, "show the model's architecture: embedding, blocks (attention, FFN or experts, norms, rope), head, tensors per part, memory per layer")
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if !arch {
			return run(cmd, args)
		}
		f, err := gguf.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		a, err := llama.NewAnatomy(f)
		if err != nil {
			return err
		}
		ctx, _ := cmd.Flags().GetInt("ctx")
		if ctx <= 0 {
			ctx = min(max(a.Config.ContextLen, 1), defaultRunContext)
		}
		mem := a.Memory(ctx, *kv)
		if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
			return writeJSON(cmd.OutOrStdout(), archReport{Path: args[0], Anatomy: a, Memory: mem})
		}
		return printAnatomy(cmd.OutOrStdout(), args[0], a, mem)
	}
}

// archReport is `inspect --arch --json`.
type archReport struct {
	Path    string          `json:"path"`
	Anatomy *llama.Anatomy  `json:"anatomy"`
	Memory  llama.MemoryUse `json:"memory"`
}

// AttnText describes one layer's attention in a line.
// mixerText is a block's attention, or its recurrence for a DeltaNet layer.
func mixerText(b *llama.Block) string {
	if r := b.Recurrent; r != nil {
		return fmt.Sprintf("none (Gated DeltaNet: %d heads, state %dx%d, conv %d)", r.Heads, r.StateDim, r.StateDim, r.Conv)
	}
	return attnText(b.Attention, b.Layer)
}

func attnText(at *llama.AttnInfo, layer int) string {
	if at == nil {
		return "no attention"
	}
	s := fmt.Sprintf("%d heads, %d KV heads, head %d", at.Heads, at.KVHeads, at.HeadDim)
	if at.KVFrom != layer {
		s += fmt.Sprintf(", reads layer %d's KV cache", at.KVFrom)
	}
	if at.Window > 0 {
		s += fmt.Sprintf(", sliding window %d", at.Window)
	} else {
		s += ", global"
	}
	s += ", rope base " + strconv.FormatFloat(float64(at.RopeBase), 'f', -1, 32)
	for _, f := range []struct {
		on   bool
		name string
	}{{at.QKNorm, "QK norm"}, {at.Bias, "QKV bias"}, {at.PostNorm, "post-norm"}, {at.Sinks, "sinks"}} {
		if f.on {
			s += ", " + f.name
		}
	}
	if at.Softcap > 0 {
		s += fmt.Sprintf(", softcap %g", at.Softcap)
	}
	return s
}

func ffnText(f llama.FFNInfo, act string) string {
	var s string
	switch f.Kind {
	case "experts":
		s = fmt.Sprintf("%d experts (%d per token) of width %d, %s", f.Experts, f.ExpertsUsed, f.Width, act)
	case "dense":
		s = fmt.Sprintf("dense, width %d, %s", f.Width, act)
	default:
		return "no FFN"
	}
	if f.PostNorm {
		s += ", post-norm"
	}
	return s
}

func printAnatomy(w io.Writer, path string, a *llama.Anatomy, mem llama.MemoryUse) error {
	c := a.Config
	fmt.Fprintf(w, "%s: %s, %d blocks, %s parameters, %s of weights\n", path, a.Arch, len(a.Blocks), paramCount(a.Params), units.IBytes(a.Bytes))
	fmt.Fprintf(w, "embedding %d, vocabulary %d, trained context %d\n", c.Dim, c.VocabSize, c.ContextLen)
	fmt.Fprintf(w, "rope %s over %d of %d values per head, base %g, scaling %s; FFN %s\n", a.Rope.Kind, a.Rope.Dim, c.HeadDim, a.Rope.Base, a.Rope.Scaling, a.Activation)
	for _, n := range a.Notes {
		fmt.Fprintln(w, "  "+n)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	part := func(indent string, p llama.Part) {
		note := ""
		if p.Note != "" {
			note = " (" + p.Note + ")"
		}
		fmt.Fprintf(tw, "%s%s%s\t\t\t%s\t%s\n", indent, p.Name, note, paramCount(p.Params), units.IBytes(p.Bytes))
		for _, t := range p.Tensors {
			fmt.Fprintf(tw, "%s  %s\t%s\t%s\t%d\t%s\n", indent, t.Name, t.Type, shapeList(t.Shape), t.Params, units.IBytes(t.Bytes))
		}
	}
	fmt.Fprintln(tw, "\nPART / TENSOR\tTYPE\tSHAPE\tPARAMS\tBYTES")
	part("", a.Embedding)
	for _, b := range a.Blocks {
		fmt.Fprintf(tw, "Block %d\t\t\t%s\t%s\tattention: %s; FFN: %s\n", b.Layer, paramCount(b.Params), units.IBytes(b.Bytes), mixerText(&b), ffnText(b.FFN, a.Activation))
		for _, p := range b.Parts {
			part("  ", p)
		}
	}
	part("", a.Head)
	for _, p := range a.Other {
		part("", p)
	}
	for _, t := range a.Extra {
		fmt.Fprintf(tw, "(not used) %s\t%s\t%s\t%d\t%s\n", t.Name, t.Type, shapeList(t.Shape), t.Params, units.IBytes(t.Bytes))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nmemory at %d tokens of context (KV cache %s): %s\n", mem.Context, mem.KV, units.IBytes(int64(mem.Total)))
	fmt.Fprintf(w, "  weights %s, KV cache %s, recurrent state %s, scratch %s\n", units.IBytes(int64(mem.Weights)), units.IBytes(int64(mem.KVTotal)), units.IBytes(int64(sum(mem.Recurrent))), units.IBytes(int64(mem.Scratch)))
	var per []string
	for l, b := range mem.KVLayers {
		per = append(per, fmt.Sprintf("%d: %s (%d positions)", l, units.IBytes(int64(b)), mem.KVRows[l]))
	}
	fmt.Fprintf(w, "  KV per layer: %s\n", strings.Join(per, ", "))
	return nil
}

// paramCount writes a parameter count as 2.6M, 1.2B.
func paramCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

func sum(xs []uint64) (s uint64) {
	for _, x := range xs {
		s += x
	}
	return s
}

func shapeList(s []int64) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
