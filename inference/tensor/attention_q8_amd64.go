package tensor

//go:noescape
func madQ8AVX2(acc *float32, v *byte, vstride int, ms, vs *float32, npos, nb int)

// madQ8Fast is madQ8Plain in AVX2 (FMA, F16C).
func madQ8Fast(acc []float32, v []byte, stride int, ms, vs []float32) {
	nb := len(acc) / q8Block
	if nb == 0 || len(vs) == 0 {
		return
	}
	_ = ms[len(vs)-1]
	_ = v[(len(vs)-1)*stride+nb*q8BlockSize-1]
	madQ8AVX2(&acc[0], &v[0], stride, &ms[0], &vs[0], len(vs), nb)
}
