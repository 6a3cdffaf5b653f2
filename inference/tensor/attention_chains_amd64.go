package tensor

//go:noescape
func wsumPairF32AVX2(lanes *float32, lstride int, v *float32, vstride int, w *float32, nl, npair, extra int)

//go:noescape
func wsumPairF16AVX2(lanes *float32, lstride int, v *uint16, vstride int, w *uint16, nl, npair, extra int)

// chainLens is the number of positions below n in lane chains l and l+1
// of nl chains (position p in chain p%nl).
func chainLens(n, nl, l int) (c0, c1 int) {
	return (n - l + nl - 1) / nl, (n - l + nl - 2) / nl
}

// wsumLanesChains is wsumLanesPlain by pairs of chains of 32-column strips
// (attention_chains_amd64.s), for head sizes a multiple of 32 over at
// least 32 positions; else the row-walking kernel.
func wsumLanesChains(lanes, v []float32, stride int, w []float32) {
	hd, n := len(lanes)/16, len(w)
	if hd == 0 || hd%32 != 0 || n < 32 {
		wsumLanesFast(lanes, v, stride, w)
		return
	}
	_ = v[(n-1)*stride+hd-1]
	for c := 0; c < hd; c += 32 {
		for l := 0; l < 16; l += 2 {
			c0, c1 := chainLens(n, 16, l)
			wsumPairF32AVX2(&lanes[l*hd+c], 4*hd, &v[l*stride+c], 4*stride, &w[l], 16, c1, c0-c1)
		}
	}
}

// wsumF16x64Chains is wsumF16x64Plain likewise, from 128 positions.
func wsumF16x64Chains(lanes []float32, v []uint16, stride int, w []uint16) {
	hd, n := len(lanes)/64, len(w)
	_ = v[(n-1)*stride+hd-1]
	for c := 0; c < hd; c += 32 {
		for l := 0; l < 64; l += 2 {
			c0, c1 := chainLens(n, 64, l)
			wsumPairF16AVX2(&lanes[l*hd+c], 4*hd, &v[l*stride+c], 2*stride, &w[l], 64, c1, c0-c1)
		}
	}
}
