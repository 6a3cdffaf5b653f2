package tensor

import (
	"math"
	"testing"
)

// GeGLU reads GELU from an F16 table: within F16 rounding of the exact
// tanh-GELU, exact at the clamped ends, and never NaN for finite input.
func TestGeGLU(t *testing.T) {
	xs := []float32{-20, -10, -9.99, -3, -1, -0.5, -1e-3, 0, 1e-3, 0.5, 1, 2.5, 9.99, 10, 30}
	up := make([]float32, len(xs))
	for i := range up {
		up[i] = 1.5
	}
	out := make([]float32, len(xs))
	GeGLU(out, xs, up)
	for i, x := range xs {
		xf := float64(x)
		want := 0.5 * xf * (1 + math.Tanh(math.Sqrt(2/math.Pi)*xf*(1+0.044715*xf*xf))) * 1.5
		if x <= -10 {
			want = 0
		} else if x >= 10 {
			want = xf * 1.5
		}
		if d := math.Abs(float64(out[i]) - want); d > 2e-3*math.Max(1, math.Abs(want)) || math.IsNaN(float64(out[i])) {
			t.Errorf("GeGLU(%g) = %g, want %g", x, out[i], want)
		}
	}
}
