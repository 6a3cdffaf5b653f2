package tensor

import "math"

// Helpers of the Q2_K, Q3_K and IQ4_XS kernels (the others they use, such
// as fmaExact32 and hsumFloat8, are in kquant.go). Their plain twins model
// llama.cpp's AVX2 code lane by lane so that the assembly can be held to
// them bit for bit.

// q8KParts views Q8_K superblock i of y: its scale, quants and group sums.
func q8KParts(y []byte, i int) (d float32, qs *[qkK]byte, bsums *[32]byte) {
	blk := (*[q8KBlockSize]byte)(y[i*q8KBlockSize:])
	d = math.Float32frombits(uint32(blk[0]) | uint32(blk[1])<<8 | uint32(blk[2])<<16 | uint32(blk[3])<<24)
	return d, (*[qkK]byte)(blk[4:]), (*[32]byte)(blk[4+qkK:])
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }

// kq23Kernels is the AVX2 kernel set of Q2_K, Q3_K and IQ4_XS: the one-row
// dot, and for batches the four-row tile over consecutive Q8_K rows.
func kq23Kernels(dot func(w, x []byte, nb int) float32, x4 func(w, x []byte, stride, nb int) [4]float32) rowKernels {
	return rowKernels{dot: dot, ext: x4, rows: func(out []float32, m *Matrix, a *Activations, r0, r1 int) {
		n, rows, nb := a.Rows(), m.Rows, m.Cols/qkK
		b := &a.bufs[formQ8_K]
		for r := r0; r < r1; r++ {
			w := m.Row(r)
			t := 0
			for ; t+4 <= n; t += 4 {
				o := x4(w, b.data[t*b.stride:], b.stride, nb)
				out[t*rows+r], out[(t+1)*rows+r] = o[0], o[1]
				out[(t+2)*rows+r], out[(t+3)*rows+r] = o[2], o[3]
			}
			for ; t < n; t++ {
				out[t*rows+r] = dot(w, b.data[t*b.stride:(t+1)*b.stride], nb)
			}
		}
	}}
}
