//go:build !amd64

package tensor

// No vector steps on this architecture yet (vectorExp is false here); the
// plain loops serve.

func maxAsm(x []float32) float32 {
	mx := x[0]
	for _, v := range x {
		mx = max(mx, v)
	}
	return mx
}

func scaleAsm(x []float32, s float32) {
	for i := range x {
		x[i] *= s
	}
}

func reduceLanesAsm(out, lanes []float32)  { reduceLanesPlain(out, lanes) }
func reduceF16x64Asm(out, lanes []float32) { reduceF16x64Plain(out, lanes) }
func f32ToF16Asm(dst []uint16, src []float32) {
	for i, v := range src {
		dst[i] = F32ToF16(v)
	}
}

func reduce16GroupsAsm(dst, x []float32) {
	for g := range dst {
		dst[g] = reduce16((*[16]float32)(x[16*g : 16*g+16]))
	}
}
