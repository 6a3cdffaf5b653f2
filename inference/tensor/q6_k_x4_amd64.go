package tensor

//go:noescape
func dotQ6_Kx4AVX2(w, x *byte, stride, nb int, out *[4]float32)

// dotQ6_Kx4Fast is dotQ4_Kx4Fast for Q6_K weights: out[r] ==
// dotQ6_KPlain(w, row r, nb) for the four Q8_K rows stride bytes apart.
func dotQ6_Kx4Fast(w, x []byte, stride, nb int) (out [4]float32) {
	if nb <= 0 {
		return out
	}
	if stride < nb*q8KBlockSize {
		panic("tensor: dotQ6_Kx4Fast rows overlap")
	}
	_, _ = w[nb*q6KBlockSize-1], x[3*stride+nb*q8KBlockSize-1]
	dotQ6_Kx4AVX2(&w[0], &x[0], stride, nb, &out)
	return out
}
