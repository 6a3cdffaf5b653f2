package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"burrow/inference"
)

func init() { register(newTraceCmd) }

func newTraceCmd() *cobra.Command {
	var modelPath, prompt string
	var asJSON bool
	var topK, maxTokens, threads int
	cmd := &cobra.Command{
		Use:   "trace --model FILE --prompt TEXT",
		Short: "Run a prompt through the model and show what each layer does: logit lens and attention",
		Long: "trace runs the prompt through the model with the forward pass's hooks on and prints, per layer,\n" +
			"the logit lens (the likeliest next tokens read out after that layer through the final norm\n" +
			"and the output head) and, per layer and head, the attention rows (the weight each prompt token\n" +
			"gives the tokens before it). Prompts longer than --max-tokens have their attention summarised\n" +
			"into that many bins of consecutive tokens (the output says so).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if modelPath == "" || prompt == "" {
				return fmt.Errorf("trace: --model and --prompt are required")
			}
			m, err := inference.LoadModel(modelPath, inference.LoadOptions{Threads: threads})
			if err != nil {
				return err
			}
			defer m.Close()
			res, err := m.Trace(cmd.Context(), inference.TraceRequest{Text: prompt, TopK: topK, MaxTokens: maxTokens})
			if err != nil {
				return fmt.Errorf("trace: %w", err)
			}
			rep := buildTraceReport(modelPath, m.LM.Config.Arch, res)
			if asJSON {
				// Compact: the attention rows are most of it, one number a line would be huge.
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetEscapeHTML(false)
				return enc.Encode(rep)
			}
			return printTraceReport(cmd.OutOrStdout(), rep)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&modelPath, "model", "m", "", "GGUF model file")
	fl.StringVarP(&prompt, "prompt", "p", "", "prompt text (tokenized as burrow run does)")
	fl.BoolVar(&asJSON, "json", false, "print one JSON object")
	fl.IntVar(&topK, "top", 5, "tokens of the logit lens per layer")
	fl.IntVar(&maxTokens, "max-tokens", 128, "longest prompt whose attention is kept token by token; longer ones are summarised in this many bins")
	fl.IntVarP(&threads, "threads", "t", 0, "threads (default: physical cores)")
	return cmd
}

// traceReport is the --json object.
type traceReport struct {
	Model  string       `json:"model"`
	Arch   string       `json:"arch"`
	Tokens []traceToken `json:"tokens"`
	// Summarised: the attention rows are bins of tokens (BinStart[i] is the
	// first token of bin i), not single tokens.
	Summarised bool         `json:"summarised"`
	Bins       int          `json:"bins"`
	BinStart   []int        `json:"bin_start"`
	Layers     []traceLayer `json:"layers"`
}

type traceToken struct {
	ID   int     `json:"id"`
	Text string  `json:"text"`
	Prob float32 `json:"prob,omitempty"`
}

type traceLayer struct {
	Layer  int          `json:"layer"`
	Window int          `json:"window"` // sliding window (0: global)
	Lens   []traceToken `json:"lens"`   // after this layer, for the last prompt token
	// Attention[h][i] is the row of query (bin) i of head h over the keys
	// (bins) 0..i: the later ones are masked, so the row stops at i.
	Attention [][][]float32 `json:"attention"`
}

func buildTraceReport(path, arch string, res *inference.TraceResult) traceReport {
	rep := traceReport{Model: path, Arch: arch, Summarised: res.Summarised, Bins: res.Bins, BinStart: res.BinStart}
	for i, id := range res.Tokens {
		rep.Tokens = append(rep.Tokens, traceToken{ID: id, Text: res.Pieces[i]})
	}
	for l, L := range res.Layers {
		tl := traceLayer{Layer: l, Window: L.Window}
		for _, t := range L.Lens {
			tl.Lens = append(tl.Lens, traceToken{ID: t.ID, Text: res.TokenText(t.ID), Prob: t.Prob})
		}
		for h := range L.Attn {
			rows := make([][]float32, res.Bins)
			for i := range rows {
				rows[i] = L.Row(h, i, res.Bins)[:i+1]
			}
			tl.Attention = append(tl.Attention, rows)
		}
		rep.Layers = append(rep.Layers, tl)
	}
	return rep
}

// printTraceReport prints the logit lens per layer and, per head, where the
// last prompt token looks most.
func printTraceReport(w io.Writer, rep traceReport) error {
	var toks []string
	for _, t := range rep.Tokens {
		toks = append(toks, strconv.Quote(t.Text))
	}
	fmt.Fprintf(w, "%s (%s), %d prompt tokens: %s\n", rep.Model, rep.Arch, len(rep.Tokens), strings.Join(toks, " "))
	if rep.Summarised {
		fmt.Fprintf(w, "attention summarised: %d tokens in %d bins of about %d tokens\n", len(rep.Tokens), rep.Bins, (len(rep.Tokens)+rep.Bins-1)/rep.Bins)
	}
	label := func(bin int) string {
		if !rep.Summarised {
			return strconv.Quote(rep.Tokens[bin].Text)
		}
		return fmt.Sprintf("tokens %d-%d", rep.BinStart[bin], rep.BinStart[bin+1]-1)
	}
	for _, L := range rep.Layers {
		kind := "global"
		if L.Window > 0 {
			kind = fmt.Sprintf("window %d", L.Window)
		}
		var lens []string
		for _, t := range L.Lens {
			lens = append(lens, fmt.Sprintf("%q %.3f", t.Text, t.Prob))
		}
		fmt.Fprintf(w, "layer %d (%s): lens %s\n", L.Layer, kind, strings.Join(lens, ", "))
		for h, rows := range L.Attention {
			last := rows[len(rows)-1]
			best := 0
			for j, v := range last {
				if v > last[best] {
					best = j
				}
			}
			fmt.Fprintf(w, "  head %d: the last token looks most at %s (%.3f)\n", h, label(best), last[best])
		}
	}
	return nil
}
