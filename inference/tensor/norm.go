package tensor

import "math"

// RMSNorm sets out[i] = x[i] / sqrt(mean(x²) + eps) * w[i], over len(x)
// values, as ggml's rms_norm followed by mul: the sum of squares is taken
// in float64 and the scale in float32. out may alias x; w may be nil (no
// weight).
func RMSNorm(out, x, w []float32, eps float32) {
	var sum float64
	for _, v := range x {
		sum += float64(v * v)
	}
	mean := float32(sum / float64(len(x)))
	scale := 1 / float32(math.Sqrt(float64(mean+eps)))
	out = out[:len(x)]
	if w == nil {
		for i, v := range x {
			out[i] = v * scale
		}
		return
	}
	w = w[:len(x)]
	for i, v := range x {
		out[i] = float32(v*scale) * w[i]
	}
}
