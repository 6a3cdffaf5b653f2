package synth

import (
	"strings"

	"burrow/inference/gguf"
	"burrow/inference/llama"
)

// fill says how a tensor's values are made.
type fill int

const (
	fillNormal    fill = iota // N(0, std)
	fillOnes                  // norm weights
	fillRopeFreqs             // Llama 3 rope factors
	fillRopeShort             // LongRoPE factors
	fillRopeLong
	fillRopePartial // gemma4's proportional rope: 1 for the rotated pairs, 1e30 for the others
	fillOutScale    // gemma4's layer_output_scale
	fillNegExp      // -exp(N(0, std)): a DeltaNet's A, so every decay is below 1
	fillScale       // exp(N(0, 0.25)): gemma4's router input and expert output scales, positive and near 1
)

type tensorSpec struct {
	name  string
	typ   gguf.Type
	shape []int64 // ggml order: shape[0] is the row length
	fill  fill
}

// tensorSpecs lists the tensors of the architecture as package llama
// declares them (names, shapes and converter order), keeping the optional
// ones the preset asks for.
func tensorSpecs(c config) []tensorSpec {
	lc := llama.Config{Arch: c.arch, Dim: c.Embd, HiddenDim: c.FF, Layers: c.Layers, Heads: c.Heads,
		KVHeads: c.KVHeads, HeadDim: c.HeadSize(), RopeDim: c.RopeSize(), VocabSize: c.nVocab,
		Experts: c.Experts, ExpertsUsed: c.ExpertsUsed, ExpertFF: c.ExpertFF, SharedFF: c.SharedFF}
	if g := c.Gemma4; g != nil {
		lc.Window, lc.SWALayers, lc.SharedKV, lc.PerLayerDim = c.Window, g.SWALayers(c.Layers), g.SharedKV, g.PerLayer
		lc.HeadDimSWA, lc.KVHeadsSWA, lc.RopeDimSWA = g.HeadDimSWA, g.KVHeadsSWA, g.HeadDimSWA
		if g.DoubleWide {
			lc.LayerFFs = g.LayerFF(c.Layers, c.FF)
			lc.HiddenDim = 2 * c.FF
		}
	}
	if s := c.SSM; s != nil {
		lc.SSMConv, lc.SSMState, lc.SSMGroups, lc.SSMHeads = s.Conv, s.State, s.Groups, s.Heads
		lc.SSMInner, lc.FullAttnEvery = s.Heads*s.State, s.Every
	}
	decls, err := llama.Tensors(c.arch, &lc)
	if err != nil {
		panic(err) // resolve accepted only registered architectures
	}
	var out []tensorSpec
	for _, d := range decls {
		s := tensorSpec{name: d.Name, typ: gguf.TypeF32, shape: d.Shape}
		switch {
		case d.Name == "rope_freqs.weight" && c.Gemma4 != nil:
			s.fill = fillRopePartial
		case d.Name == "rope_freqs.weight":
			if c.Llama3Rope == nil {
				continue
			}
			s.fill = fillRopeFreqs
		case d.Name == "rope_factors_short.weight" || d.Name == "rope_factors_long.weight":
			if c.LongRope == nil {
				continue
			}
			s.fill = fillRopeShort
			if d.Name == "rope_factors_long.weight" {
				s.fill = fillRopeLong
			}
		case d.Name == "output.weight":
			if c.Tied {
				continue
			}
		case d.Optional && !d.Synth:
			continue
		case c.Gemma4 != nil && c.Gemma4.KEqV && strings.HasSuffix(d.Name, ".attn_v.weight") && !lc.Local(d.Layer):
			continue // attention_k_eq_v: the global layers' values are their keys
		}
		switch d.Kind {
		case llama.Matrix:
			s.typ = matrixType(c.typ, d.Shape[0])
			if len(d.Shape) == 3 { // an experts' stack
				s.typ = matrixType(c.expTyp, d.Shape[0])
			}
		case llama.Norm:
			s.fill = fillOnes
		}
		if strings.HasSuffix(s.name, ".layer_output_scale.weight") {
			s.fill = fillOutScale
		}
		if strings.HasSuffix(s.name, ".ssm_a") {
			s.fill = fillNegExp
		}
		if strings.HasSuffix(s.name, ".ffn_gate_inp.scale") || strings.HasSuffix(s.name, ".ffn_down_exps.scale") {
			s.fill = fillScale
		}
		if t, ok := c.types[s.name]; ok {
			s.typ = t
		}
		out = append(out, s)
	}
	return out
}

// matrixType is the requested type, or F16 when rows do not split into
// its blocks (llama.cpp's converter makes the same fallback for Q8_0).
func matrixType(want gguf.Type, cols int64) gguf.Type {
	if bs := int64(want.BlockSize()); cols%bs != 0 {
		return gguf.TypeF16
	}
	return want
}
