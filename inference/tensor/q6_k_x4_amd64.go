package tensor

//go:noescape
func dotQ6_Kx4AVX2(w, x *byte, stride, nb int, out *[4]float32)

// dotQ6_Kx4Fast is dotQ4_Kx4Fast for Q6_K weights: out[r] ==
// dotQ6_KPlain(w, row r, nb) for the four Q8_K rows stride bytes apart.
func dotQ6_Kx4Fast(w, x []byte, stride, nb int) (out [4]float32) {
	if wp, xp := dot4Args(w, x, stride, nb, q6KBlockSize, q8KBlockSize); wp != nil {
		dotQ6_Kx4AVX2(wp, xp, stride, nb, &out)
	}
	return out
}
