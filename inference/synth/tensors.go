package synth

import (
	"fmt"

	"burrow/inference/gguf"
)

// fill says how a tensor's values are made.
type fill int

const (
	fillNormal    fill = iota // N(0, std)
	fillOnes                  // norm weights
	fillRopeFreqs             // Llama 3 rope factors
)

type tensorSpec struct {
	name  string
	typ   gguf.Type
	shape []int64 // ggml order: shape[0] is the row length
	fill  fill
}

// tensorSpecs lists the tensors in the order llama.cpp's converter writes a
// Llama or Qwen2 model, with its names and shapes.
func tensorSpecs(c config) []tensorSpec {
	e, v := int64(c.Embd), int64(c.nVocab)
	q := int64(c.Heads * c.HeadSize())
	kv := int64(c.KVHeads * c.HeadSize())
	ff := int64(c.FF)
	matrix := func(name string, cols, rows int64) tensorSpec {
		return tensorSpec{name: name, typ: matrixType(c.typ, cols), shape: []int64{cols, rows}}
	}
	vector := func(name string, n int64, f fill) tensorSpec {
		return tensorSpec{name: name, typ: gguf.TypeF32, shape: []int64{n}, fill: f}
	}
	var out []tensorSpec
	if c.Llama3Rope != nil {
		out = append(out, vector("rope_freqs.weight", int64(c.HeadSize()/2), fillRopeFreqs))
	}
	out = append(out, matrix("token_embd.weight", e, v))
	for i := 0; i < c.Layers; i++ {
		b := func(s string) string { return fmt.Sprintf("blk.%d.%s", i, s) }
		out = append(out, vector(b("attn_norm.weight"), e, fillOnes))
		out = append(out, matrix(b("attn_q.weight"), e, q))
		out = append(out, matrix(b("attn_k.weight"), e, kv))
		out = append(out, matrix(b("attn_v.weight"), e, kv))
		if c.arch == "qwen2" {
			out = append(out,
				vector(b("attn_q.bias"), q, fillNormal),
				vector(b("attn_k.bias"), kv, fillNormal),
				vector(b("attn_v.bias"), kv, fillNormal))
		}
		out = append(out, matrix(b("attn_output.weight"), q, e))
		out = append(out, vector(b("ffn_norm.weight"), e, fillOnes))
		out = append(out, matrix(b("ffn_gate.weight"), e, ff))
		out = append(out, matrix(b("ffn_up.weight"), e, ff))
		out = append(out, matrix(b("ffn_down.weight"), ff, e))
	}
	out = append(out, vector("output_norm.weight", e, fillOnes))
	if !c.Tied {
		out = append(out, matrix("output.weight", e, v))
	}
	return out
}

// matrixType is the requested type, or F16 when rows do not split into
// Q8_0 blocks (llama.cpp's converter makes the same fallback).
func matrixType(want gguf.Type, cols int64) gguf.Type {
	if bs := int64(want.BlockSize()); cols%bs != 0 {
		return gguf.TypeF16
	}
	return want
}
