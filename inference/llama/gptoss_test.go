package llama

import (
	"math"
	"testing"
)

// llama.cpp's attention factor: with YaRN on, the 1 + 0.1 ln(factor) that
// ggml's rope multiplies in is cancelled, so the net magnitude is
// get_mscale (gpt-oss: 1 + 0.1 ln 32) or, with a log multiplier equal to
// mscale (Ministral), 1; the file's attn_factor multiplies either.
func TestYaRNAttnFactor(t *testing.T) {
	kernel := func(f float32) float32 { return 1 + 0.1*float32(math.Log(float64(f))) }
	for _, c := range []struct {
		factor, ext, logMul, file, net float32
	}{
		{32, 1, 0, 1, 1 + 0.1*float32(math.Log(32))},
		{16, 1, 1, 1, 1},
		{4, 1, 0, 0.5, 0.5 * (1 + 0.1*float32(math.Log(4)))},
		{4, 0, 0, 1, 1}, // no YaRN: no magnitude scaling, the factor as is
	} {
		af := yarnAttnFactor(c.factor, c.ext, c.logMul, c.file)
		net := af
		if c.ext != 0 {
			net *= kernel(c.factor)
		}
		if math.Abs(float64(net-c.net)) > 1e-6 {
			t.Errorf("%+v: attn factor %v, net magnitude %v, want %v", c, af, net, c.net)
		}
	}
}

// swiglu_oai: the gate clamped above at 7, up to [-7, 7],
// gate*sigmoid(1.702 gate)*(up+1).
func TestSwiGLUOAI(t *testing.T) {
	gate := []float32{-3, -0.5, 0, 0.5, 2, 7, 9, 100}
	up := []float32{1, -9, 0.3, -1, 8, 0, -7.5, 2}
	out := make([]float32, len(gate))
	swigluOAI(out, gate, up)
	for i := range gate {
		g := math.Min(float64(gate[i]), 7)
		u := math.Max(-7, math.Min(float64(up[i]), 7))
		want := g / (1 + math.Exp(-1.702*g)) * (u + 1)
		if math.Abs(float64(out[i])-want) > 1e-5*math.Max(1, math.Abs(want)) {
			t.Errorf("swigluOAI(%v, %v) = %v, want %v", gate[i], up[i], out[i], want)
		}
	}
}

func TestTopK(t *testing.T) {
	x := []float32{0.1, 3, -2, 3, 7, 0.5}
	sel := make([]int, 3)
	topK(x, sel)
	if sel[0] != 4 || sel[1] != 1 || sel[2] != 3 {
		t.Errorf("topK = %v, want [4 1 3]", sel)
	}
}

// gpt-oss's even layers are local (llama.cpp's set_swa_pattern(2)).
func TestGptOssLocalLayers(t *testing.T) {
	c := Config{Window: 128, SWAPattern: 2}
	for l, want := range []bool{true, false, true, false} {
		if c.Local(l) != want {
			t.Errorf("layer %d local %v, want %v", l, c.Local(l), want)
		}
	}
}
