package tensor

import (
	"slices"
	"testing"
)

// RoPEYaRN with only an attention factor (LongRoPE's): 1 is RoPEScaled bit
// for bit; with another factor, the rotated values scale by it and the rest of each head stays.
func TestRoPEAttnFactor(t *testing.T) {
	const heads, hd, rd = 3, 16, 12
	x := make([]float32, heads*hd)
	for i := range x {
		x[i] = float32(i%7) - 2.5
	}
	ff := []float32{1, 1.5, 2, 4, 8, 16}
	for _, neox := range []bool{false, true} {
		a, b := slices.Clone(x), slices.Clone(x)
		RoPEScaled(a, heads, hd, rd, 37, 10000, 0.5, neox, ff)
		RoPEYaRN(b, heads, hd, rd, 37, 10000, 0.5, neox, ff, &YaRN{AttnFactor: 1})
		if !slices.Equal(a, b) {
			t.Fatalf("factor 1: %v, want %v", b, a)
		}
		c := slices.Clone(x)
		RoPEYaRN(c, heads, hd, rd, 37, 10000, 0.5, neox, ff, &YaRN{AttnFactor: 1.25})
		for i := range c {
			want := a[i] * 1.25
			if i%hd >= rd {
				want = x[i]
			}
			if d := c[i] - want; d > 1e-5 || d < -1e-5 {
				t.Fatalf("factor 1.25: x[%d] = %v, want %v", i, c[i], want)
			}
		}
	}
}
