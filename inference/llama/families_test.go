package llama

import (
	"math"
	"testing"
)

// Gemma's query scale is 1/sqrt(head size), except for the 27B models,
// where llama.cpp takes Dim/Heads (gemma-2-27b: 4608/32 = 144, gemma-3-27b:
// 5376/32 = 168, both with heads of 128).
func TestGemmaQueryScale(t *testing.T) {
	for _, tc := range []struct {
		c       Config
		layers  int
		divisor float64
	}{
		{Config{Layers: 26, Dim: 1152, Heads: 4, HeadDim: 256}, 62, 256},
		{Config{Layers: 62, Dim: 5376, Heads: 32, HeadDim: 128}, 62, 168},
		{Config{Layers: 46, Dim: 4608, Heads: 32, HeadDim: 128}, 46, 144},
		{Config{Layers: 26, Dim: 2304, Heads: 8, HeadDim: 256}, 46, 256},
	} {
		if got, want := gemmaQueryScale(&tc.c, tc.layers), float32(1/math.Sqrt(tc.divisor)); got != want {
			t.Errorf("%+v: %v, want 1/sqrt(%v)", tc.c, got, tc.divisor)
		}
	}
}
