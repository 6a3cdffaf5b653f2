package cli

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"burrow/inference/gguf"
	"burrow/inference/llama"
	"burrow/internal/units"
)

func init() { register(newInspectCmd) }

// defaultRunContext is the context burrow run uses when the model's is
// larger (the CLI contract caps it at 4096 unless --ctx says otherwise).
const defaultRunContext = 4096

// arrayPreview is how many elements of a long array are shown.
const arrayPreview = 8

func newInspectCmd() *cobra.Command {
	var asJSON bool
	var ctx int
	var kv llama.KVType
	cmd := &cobra.Command{
		Use:   "inspect FILE.gguf",
		Short: "Show what a GGUF file holds: summary, quant mix, memory, tensors, metadata",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := gguf.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			rep := buildInspectReportKV(args[0], f, ctx, kv.String())
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), rep)
			}
			return printInspectReport(cmd.OutOrStdout(), rep)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().IntVar(&ctx, "ctx", 0, "also estimate the memory for this context length")
	addKVFlag(cmd, &kv, llama.DefaultKV, "KV cache type the memory estimate assumes: f32, f16 or q8_0")
	addMapFlag(cmd)       // --map OUT.png (cmd_inspect_map.go)
	addArchFlag(cmd, &kv) // --arch (cmd_inspect_arch.go)
	return cmd
}

// inspectReport is the --json object.
type inspectReport struct {
	Path     string          `json:"path"`
	FileName gguf.NameInfo   `json:"file_name"`
	Summary  gguf.Summary    `json:"summary"`
	Memory   []gguf.Memory   `json:"memory"` // at the model's context, and at the run default / --ctx
	Layout   gguf.Layout     `json:"layout"`
	Tensors  []inspectTensor `json:"tensors"`
	Metadata []inspectKV     `json:"metadata"`
}

type inspectTensor struct {
	Name   string  `json:"name"`
	Type   string  `json:"type"`
	Shape  []int64 `json:"shape"`
	Bytes  int64   `json:"bytes"`
	Offset int64   `json:"offset"` // absolute, in the file
}

// inspectKV shows a metadata value; arrays as their count and first values.
type inspectKV struct {
	Key       string `json:"key"`
	Type      string `json:"type"`
	Value     any    `json:"value,omitempty"`
	ArrayType string `json:"array_type,omitempty"`
	Count     *int   `json:"count,omitempty"`
	First     []any  `json:"first,omitempty"`
}

func buildInspectReport(path string, f *gguf.File, ctx int) inspectReport {
	return buildInspectReportKV(path, f, ctx, llama.DefaultKV.String())
}

// buildInspectReportKV is buildInspectReport with the memory estimated for
// a KV cache of type kv.
func buildInspectReportKV(path string, f *gguf.File, ctx int, kv string) inspectReport {
	s := f.Summary()
	rep := inspectReport{Path: path, Summary: s, Layout: f.Layout}
	rep.FileName, _ = gguf.ParseFileName(path)
	// A file without tensors (a vocabulary) does not run: no estimate.
	if s.ContextLength > 0 && s.TensorCount > 0 {
		rep.Memory = append(rep.Memory, estimateMemory(f, s, s.ContextLength, kv))
	}
	for _, c := range []int{min(s.ContextLength, defaultRunContext), ctx} {
		if c > 0 && s.TensorCount > 0 && !hasContext(rep.Memory, c) {
			rep.Memory = append(rep.Memory, estimateMemory(f, s, c, kv))
		}
	}
	rep.Tensors = make([]inspectTensor, 0, len(f.Tensors))
	for _, t := range f.Tensors {
		rep.Tensors = append(rep.Tensors, inspectTensor{Name: t.Name, Type: t.Type.String(), Shape: t.Shape,
			Bytes: t.Size, Offset: f.Layout.DataOffset + t.Offset})
	}
	rep.Metadata = make([]inspectKV, 0, len(f.KVs))
	for _, kv := range f.KVs {
		rep.Metadata = append(rep.Metadata, describeKV(kv))
	}
	return rep
}

// estimateMemory is the engine's layer-by-layer estimate (windows, shared
// and recurrent layers as it allocates them), or the header's for a file it
// does not know (s is f's summary).
func estimateMemory(f *gguf.File, s gguf.Summary, ctx int, kv string) gguf.Memory {
	if t, err := llama.ParseKVType(kv); err == nil {
		if m, err := llama.EstimateMemory(f, ctx, t); err == nil {
			return m.Estimate()
		}
	}
	return s.MemoryEstimateKV(ctx, kv)
}

func hasContext(ms []gguf.Memory, c int) bool {
	for _, m := range ms {
		if m.Context == c {
			return true
		}
	}
	return false
}

func describeKV(kv gguf.KV) inspectKV {
	out := inspectKV{Key: kv.Key, Type: kv.Type.String()}
	a, ok := kv.Value.(gguf.Array)
	if !ok {
		out.Value = jsonSafe(kv.Value)
		return out
	}
	n := a.Len()
	out.ArrayType, out.Count = a.Type.String(), &n
	out.First = arrayHead(a, arrayPreview)
	return out
}

// arrayHead returns up to n leading elements; nested arrays are described
// by their own count and head.
func arrayHead(a gguf.Array, n int) []any {
	var out []any
	switch v := a.Values.(type) {
	case []gguf.Array:
		for _, x := range v[:min(n, len(v))] {
			c := x.Len()
			out = append(out, map[string]any{"array_type": x.Type.String(), "count": c, "first": arrayHead(x, n)})
		}
		return out
	case []string:
		for _, x := range v[:min(n, len(v))] {
			out = append(out, x)
		}
		return out
	}
	for i := 0; i < min(n, a.Len()); i++ {
		out = append(out, jsonSafe(a.Index(i)))
	}
	return out
}

// jsonSafe turns NaN and infinities (which JSON cannot hold) into strings.
func jsonSafe(v any) any {
	switch x := v.(type) {
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Sprint(x)
		}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Sprint(x)
		}
	}
	return v
}

func printInspectReport(out io.Writer, r inspectReport) error {
	s := r.Summary
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(w, "%s\t%v\n", k, v) }
	orDash := func(v any) any {
		if v == "" || v == 0 {
			return "-"
		}
		return v
	}
	row("file", fmt.Sprintf("%s (%s, GGUF v%d)", filepath.Base(r.Path), units.IBytes(s.FileSize), s.Version))
	row("name", orDash(s.Name))
	row("architecture", orDash(s.Architecture))
	row("size label", orDash(s.SizeLabel))
	ft := s.FileTypeText()
	row("file type", orDash(ft))
	if s.ParamCount > 0 {
		row("parameters", fmt.Sprintf("%d (%s)", s.ParamCount, gguf.SizeLabel(s.ParamCount)))
	} else {
		row("parameters", "-")
	}
	row("context length", orDash(s.ContextLength))
	row("embedding length", orDash(s.EmbeddingLength))
	row("feed forward", orDash(s.FeedForward))
	row("layers", orDash(s.Layers))
	row("heads", fmt.Sprintf("%d (KV heads %d, head dim %d)", s.Heads, s.KVHeads, s.KeyLength))
	tok := s.TokenizerText()
	row("vocab", fmt.Sprintf("%d (%s)", s.VocabSize, orDash(tok)))
	row("chat template", map[bool]string{true: "yes", false: "no"}[s.ChatTemplate])
	if s.TensorCount > 0 {
		row("tensors", fmt.Sprintf("%d, %s of data from offset %d", s.TensorCount, units.IBytes(s.TensorBytes), r.Layout.DataOffset))
	} else {
		row("tensors", "none (a vocabulary-only file: it cannot run)")
	}
	if err := w.Flush(); err != nil {
		return err
	}

	if len(s.QuantMix) > 0 {
		fmt.Fprintln(out, "\nquant mix")
		fmt.Fprintln(w, "  TYPE\tTENSORS\tPARAMS\tBYTES\tSHARE")
		for _, q := range s.QuantMix {
			fmt.Fprintf(w, "  %s\t%d\t%d\t%s\t%.1f%%\n", q.Type, q.Tensors, q.Params, units.IBytes(q.Bytes), 100*q.Share)
		}
		w.Flush()
	}
	if len(r.Memory) > 0 {
		fmt.Fprintln(out, "\nmemory to run (estimate)")
		kvName := "F32"
		if t := r.Memory[0].KVType; t != "" {
			kvName = strings.ToUpper(t)
		}
		fmt.Fprintf(w, "  CONTEXT\tWEIGHTS\tKV CACHE (%s)\tCOMPUTE\tTOTAL\n", kvName)
		for _, m := range r.Memory {
			fmt.Fprintf(w, "  %d\t%s\t%s\t%s\t%s\n", m.Context, units.IBytes(m.Weights), units.IBytes(m.KVCache), units.IBytes(m.Compute), units.IBytes(m.Total))
		}
		w.Flush()
		if m := r.Memory[0]; m.Recurrent > 0 { // in TOTAL; the same at every context
			fmt.Fprintf(out, "  total includes %s of recurrent state (%d layers, with rollback snapshots)\n", units.IBytes(m.Recurrent), s.RecurrentLayers)
		}
	}
	if len(r.Tensors) > 0 {
		fmt.Fprintln(out, "\ntensors")
		fmt.Fprintln(w, "  #\tNAME\tTYPE\tSHAPE\tBYTES\tOFFSET")
		for i, t := range r.Tensors {
			fmt.Fprintf(w, "  %d\t%s\t%s\t%s\t%d\t%d\n", i, t.Name, t.Type, shapeString(t.Shape), t.Bytes, t.Offset)
		}
		w.Flush()
	}
	fmt.Fprintln(out, "\nmetadata")
	fmt.Fprintln(w, "  KEY\tTYPE\tVALUE")
	for _, kv := range r.Metadata {
		typ, val := kv.Type, ""
		if kv.Count != nil {
			typ = fmt.Sprintf("[%s]", kv.ArrayType)
			val = fmt.Sprintf("%d: %s", *kv.Count, previewList(kv.First, *kv.Count))
		} else {
			val = previewValue(kv.Value)
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\n", kv.Key, typ, val)
	}
	return w.Flush()
}

func shapeString(shape []int64) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.FormatInt(d, 10)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// previewValue shows a scalar on one line; long strings are cut.
func previewValue(v any) string {
	if s, ok := v.(string); ok {
		const max = 60
		q := strconv.Quote(s)
		if len(s) > max {
			q = strconv.Quote(s[:max]) + fmt.Sprintf("… (%d bytes)", len(s))
		}
		return q
	}
	if m, ok := v.(map[string]any); ok {
		return fmt.Sprintf("[%v %s]", m["count"], m["array_type"])
	}
	return fmt.Sprint(v)
}

func previewList(first []any, count int) string {
	parts := make([]string, len(first))
	for i, v := range first {
		parts[i] = previewValue(v)
	}
	s := "[" + strings.Join(parts, ", ")
	if count > len(first) {
		s += ", …"
	}
	return s + "]"
}
