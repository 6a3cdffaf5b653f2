package tensor

//go:noescape
func wsumF16x64AVX2(lanes *float32, v *uint16, vstride int, w *uint16, npos, ncols int)

// wsumF16x64Fast is wsumF16x64Plain in AVX2 (FMA, F16C) for a multiple of 8
// columns, else the plain loop.
func wsumF16x64Fast(lanes []float32, v []uint16, stride int, w []uint16) {
	hd := len(lanes) / 64
	if hd == 0 || hd%8 != 0 || len(w) == 0 {
		wsumF16x64Plain(lanes, v, stride, w)
		return
	}
	if hd%32 == 0 && len(w) >= 128 {
		wsumF16x64Chains(lanes, v, stride, w)
		return
	}
	_ = v[(len(w)-1)*stride+hd-1]
	wsumF16x64AVX2(&lanes[0], &v[0], 2*stride, &w[0], len(w), hd)
}
