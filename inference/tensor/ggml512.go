package tensor

// Arithmetic of llama.cpp's x86 AVX-512 build (the build that made the
// shared references), for callers that must reproduce it bit for bit, such
// as attention over an F32 KV cache. On AVX2 machines the assembly keeps the
// 16-lane order with pairs of 8-lane registers.

// DotF32GGML is ggml_vec_dot_f32 of the AVX-512 build: four 16-lane FMA
// accumulators over steps of 64, folded (0+2, 1+3, 0+1) and summed in
// _mm512_reduce_add_ps order; the values past the last multiple of 64 are
// added with FMAs into that float sum.
func DotF32GGML(x, y []float32) float32 { return dotF32GGML512(x, y[:len(x)]) }

// dotF32GGML512Plain is the Go model of DotF32GGML.
func dotF32GGML512Plain(x, y []float32) float32 {
	n := len(x)
	np := n &^ 63
	var s float32
	if np > 0 {
		var acc [4][16]float32
		for i := 0; i < np; i += 64 {
			for a := range acc {
				for l := range acc[a] {
					k := i + 16*a + l
					acc[a][l] = fma32(x[k], y[k], acc[a][l])
				}
			}
		}
		for l := 0; l < 16; l++ {
			acc[0][l] += acc[2][l]
			acc[1][l] += acc[3][l]
		}
		for l := 0; l < 16; l++ {
			acc[0][l] += acc[1][l]
		}
		s = reduce16(&acc[0])
	}
	return f32GGML512Tail(x, y, s)
}

// f32GGML512Tail adds the values of x and y past the last multiple of 64
// to s, the kernel's sum of the values before them: FMAs into that float
// sum (ggml_vec_dot_f32's leftovers).
func f32GGML512Tail(x, y []float32, s float32) float32 {
	for i := len(x) &^ 63; i < len(x); i++ {
		s = fma32(x[i], y[i], s)
	}
	return s
}

// WeightedSumGGML sets out[d] to the sum over positions p of w[p]*v[p*stride+d]
// in the order of llama.cpp's AVX-512 tinyBLAS (weights times V in
// attention with an F32 cache): position p feeds lane p%16 by FMA, in order,
// and the 16 lanes are added in _mm512_reduce_add_ps order. scratch holds
// at least WeightedSumScratch(len(out), len(w)) floats.
func WeightedSumGGML(out, v []float32, stride int, w, scratch []float32) {
	hd, n := len(out), len(w)
	if len(scratch) < WeightedSumScratch(hd, n) {
		panic("tensor: WeightedSumGGML scratch too small")
	}
	if n > 0 {
		_ = v[(n-1)*stride+hd-1]
	}
	lanes := scratch[:16*hd]
	clear(lanes)
	wsumLanes(lanes, v, stride, w)
	reduceLanes(out, lanes)
}

// reduceLanesPlain sets out[d] to the reduce16 sum of lanes[l*len(out)+d]
// over the 16 lanes l.
func reduceLanesPlain(out, lanes []float32) {
	hd := len(out)
	for d := range out {
		var a [16]float32
		for l := range a {
			a[l] = lanes[l*hd+d]
		}
		out[d] = reduce16(&a)
	}
}

// WeightedSumScratch is the scratch WeightedSumGGML needs for hd output
// values over n positions.
func WeightedSumScratch(hd, n int) int { return 16 * hd }

// wsumLanesPlain adds w[p]*v[p*stride:][:hd] into lane row p%16 of lanes
// (16 rows of hd = len(lanes)/16), one FMA per value, positions in order.
func wsumLanesPlain(lanes, v []float32, stride int, w []float32) {
	hd := len(lanes) / 16
	for p, wp := range w {
		row := lanes[(p%16)*hd : (p%16+1)*hd]
		for d, x := range v[p*stride : p*stride+hd] {
			row[d] = fma32(wp, x, row[d])
		}
	}
}

// scoresGGMLPlain sets out[j] = DotF32GGML(k[j*stride:][:len(q)], q) * scale.
func scoresGGMLPlain(out, k []float32, stride int, q []float32, scale float32) {
	for j := range out {
		out[j] = dotF32GGML512(k[j*stride:j*stride+len(q)], q) * scale
	}
}

// dotF16GGML512Plain is ggml_vec_dot_f16 of the AVX-512 build (F16 weights,
// one input row rounded to F16): widened values in four 16-lane FMA
// accumulators over steps of 64, folded and reduced as DotF32GGML, then the
// values past the last multiple of 64 added in float64 (ggml_float).
func dotF16GGML512Plain(x, y []uint16) float32 {
	np := len(x) &^ 63
	var s float32
	if np > 0 {
		var acc [4][16]float32
		for i := 0; i < np; i += 64 {
			for a := range acc {
				for l := range acc[a] {
					k := i + 16*a + l
					acc[a][l] = fma32(F16ToF32(x[k]), F16ToF32(y[k]), acc[a][l])
				}
			}
		}
		for l := 0; l < 16; l++ {
			acc[0][l] += acc[2][l]
			acc[1][l] += acc[3][l]
		}
		for l := 0; l < 16; l++ {
			acc[0][l] += acc[1][l]
		}
		s = reduce16(&acc[0])
	}
	return f16GGML512Tail(x, y, s)
}

// f16GGML512Tail is f32GGML512Tail for ggml_vec_dot_f16: the leftover
// products are added in float64 (ggml_float).
func f16GGML512Tail(x, y []uint16, s float32) float32 {
	sum := float64(s)
	for i := len(x) &^ 63; i < len(x); i++ {
		sum += float64(F16ToF32(x[i]) * F16ToF32(y[i]))
	}
	return float32(sum)
}

// dotF32L16Plain is AVX-512 tinyBLAS's dot for F32 weights (batches, rows a
// multiple of 16): element i feeds lane i%16 by FMA, and the lanes are
// summed in _mm512_reduce_add_ps order.
func dotF32L16Plain(x, y []float32) float32 {
	y = y[:len(x)]
	var acc [16]float32
	for i, v := range x {
		acc[i%16] = fma32(v, y[i], acc[i%16])
	}
	return reduce16(&acc)
}

// l16Args returns the first elements of x and y[:len(x)] for a 16-lane
// tinyBLAS kernel, or nils when len(x) is not a positive multiple of 16
// (the plain twin's case).
func l16Args[T uint16 | float32](x, y []T) (xp, yp *T) {
	y = y[:len(x)]
	if len(x) == 0 || len(x)%16 != 0 {
		return nil, nil
	}
	return &x[0], &y[0]
}
