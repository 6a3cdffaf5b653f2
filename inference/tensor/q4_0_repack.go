package tensor

import (
	"fmt"
	"runtime"
	"sync"
)

// Q4_0 weights repacked eight rows at a time (llama.cpp's block_q4_0x8 idea,
// ggml_gemv/gemm_q4_0_8x8_q8_0 on AVX2): each 32-bit vector lane is one
// weight row, so a block's dot needs no horizontal sum across the row and
// one weight load serves every input row of a tile. Only matrices with rows
// a multiple of lqRepackRows, the ones llama.cpp repacks, so the sums keep
// its order (dotQ4_0SeqPlain's).
//
// The layout is ours (the file's size, 144 bytes per block of eight rows):
//
//	0   d[8]     F16, row j at 2j
//	16  qs[128]  row j's quant bytes 4k..4k+3 at 16+32k+4j (k = 0..3):
//	             low nibbles are values 4k.., high nibbles 16+4k..
//
// Per block and row the integer sum of (q-8)*y is exact, then
// acc = fma(sum, d_w*d_x, acc); gemv and gemm share that order.
const q4_0x8Bytes = 8 * q4_0BlockSize

// repackQ4_0 interleaves rows (a multiple of 8) of nb blocks from src into
// dst (the same size); large matrices are split across goroutines (it runs
// once per matrix, at load).
func repackQ4_0(dst, src []byte, rows, nb int) {
	groups := rows / 8
	rb := nb * q4_0BlockSize
	parts := min(runtime.GOMAXPROCS(0), max(1, groups*nb/4096))
	var wg sync.WaitGroup
	for p := 0; p < parts; p++ {
		g0, g1 := groups*p/parts, groups*(p+1)/parts
		wg.Go(func() {
			for g := g0; g < g1; g++ {
				for i := 0; i < nb; i++ {
					o := (*[q4_0x8Bytes]byte)(dst[g*8*rb+i*q4_0x8Bytes:])
					for j := 0; j < 8; j++ {
						b := (*[q4_0BlockSize]byte)(src[(8*g+j)*rb+i*q4_0BlockSize:])
						o[2*j], o[2*j+1] = b[0], b[1]
						for k := 0; k < 4; k++ {
							copy(o[16+32*k+4*j:][:4], b[2+4*k:])
						}
					}
				}
			}
		})
	}
	wg.Wait()
}

// unpackQ4_0x8 writes row j of a repacked block in the file's layout.
func unpackQ4_0x8(b *[q4_0BlockSize]byte, o *[q4_0x8Bytes]byte, j int) {
	b[0], b[1] = o[2*j], o[2*j+1]
	for k := 0; k < 4; k++ {
		copy(b[2+4*k:][:4], o[16+32*k+4*j:])
	}
}

// rowQ4_0x8 writes the file's bytes of row r of a repacked matrix to dst.
func rowQ4_0x8(dst []byte, m *Matrix, r int) {
	g := m.Data[(r&^7)*m.RowBytes:]
	for i := 0; i < m.Cols/lqBlock; i++ {
		unpackQ4_0x8((*[q4_0BlockSize]byte)(dst[i*q4_0BlockSize:]), (*[q4_0x8Bytes]byte)(g[i*q4_0x8Bytes:]), r&7)
	}
}

// rowF32Q4_0x8 dequantizes row r of a repacked matrix (a tied embedding).
func rowF32Q4_0x8(dst []float32, m *Matrix, r int) {
	g := m.Data[(r&^7)*m.RowBytes:]
	var b [q4_0BlockSize]byte
	for i := 0; i < m.Cols/lqBlock; i++ {
		unpackQ4_0x8(&b, (*[q4_0x8Bytes]byte)(g[i*q4_0x8Bytes:]), r&7)
		dequantizeQ4_0(dst[i*lqBlock:(i+1)*lqBlock], b[:])
	}
}

// repackedQ4_0 is Q4_0's repack hook: the interleaved copy when rows is a
// multiple of 8, else nil.
func repackedQ4_0(data []byte, rows, cols int, alloc func(n int) []byte) []byte {
	if rows%lqRepackRows != 0 {
		return nil
	}
	dst := alloc(len(data))
	if dst == nil {
		return nil
	}
	repackQ4_0(dst, data, rows, cols/lqBlock)
	return dst
}

// gemvQ4_0x8Plain dots eight repacked rows w (nb blocks) with one Q8_0 row
// x into out[:8], each as dotQ4_0SeqPlain; the Go model of the assembly.
func gemvQ4_0x8Plain(w, x []byte, nb int, out []float32) {
	out = out[:8]
	var acc [8]float32
	for i := 0; i < nb; i++ {
		o := (*[q4_0x8Bytes]byte)(w[i*q4_0x8Bytes:])
		y := (*[q8BlockSize]byte)(x[i*q8BlockSize:])
		dy := lqF16(y[0:])
		for j := 0; j < 8; j++ {
			var sum int32
			for k := 0; k < 4; k++ {
				q := o[16+32*k+4*j:][:4]
				for l, v := range q {
					sum += (int32(v&15)-8)*int32(int8(y[2+4*k+l])) + (int32(v>>4)-8)*int32(int8(y[18+4*k+l]))
				}
			}
			acc[j] = lqFMA(float32(sum), lqF16(o[2*j:])*dy, acc[j])
		}
	}
	copy(out, acc[:])
}

// q4_0x8Kernels are one kernel set's repacked Q4_0 kernels: gemv dots eight
// rows with one input row into out[:8]; gemm4 with the four input rows at
// x, x+stride, ..., row t's eight results at out[t*ostride:]. s holds the
// Q8_0 form's side values for the first input row (fillQ8_0Scales, stride
// ss: block b's scale of row t at s[b*ss+t], its 8*sum at s[(nb+b)*ss+t]);
// the assembly reads them, the Go twin recomputes them from x.
type q4_0x8Kernels struct {
	gemv  func(w, x []byte, s []float32, ss, nb int, out []float32)
	gemm4 func(w, x []byte, stride int, s []float32, ss, nb int, out []float32, ostride int)
}

var q4_0x8Plain = x8PlainKernels(gemvQ4_0x8Plain)

// x8PlainKernels is the repacked set of a Go gemv: gemm4 runs it per input
// row, and s goes unread (the Go twins recompute it from x).
func x8PlainKernels(gemv func(w, x []byte, nb int, out []float32)) *q4_0x8Kernels {
	return &q4_0x8Kernels{
		gemv: func(w, x []byte, _ []float32, _, nb int, out []float32) { gemv(w, x, nb, out) },
		gemm4: func(w, x []byte, stride int, _ []float32, _, nb int, out []float32, ostride int) {
			for t := 0; t < 4; t++ {
				gemv(w, x[t*stride:], nb, out[t*ostride:])
			}
		},
	}
}

// rows computes rows [r0,r1) (multiples of 8) of a repacked matrix: four
// input rows at a time through gemm4, the rest through gemv.
func (k *q4_0x8Kernels) rows(out []float32, m *Matrix, a *Activations, r0, r1 int) {
	if r0%8 != 0 || r1%8 != 0 {
		panic(fmt.Sprintf("tensor: rows [%d,%d) of a repacked matrix split an 8-row group", r0, r1))
	}
	b := &a.bufs[formQ8_0]
	n, rows, nb := a.Rows(), m.Rows, m.Cols/lqBlock
	g4 := n - n%4
	for r := r0; r < r1; r += 8 {
		w := m.Data[r*m.RowBytes : (r+8)*m.RowBytes]
		t := 0
		for ; t < g4; t += 4 {
			k.gemm4(w, b.data[t*b.stride:], b.stride, b.scales[t:], a.maxRows, nb, out[t*rows+r:], rows)
		}
		for ; t < n; t++ {
			k.gemv(w, b.data[t*b.stride:(t+1)*b.stride], b.scales[t:], a.maxRows, nb, out[t*rows+r:])
		}
	}
}

// q4_0Rows is Q4_0's rows kernel: the repacked kernels for a repacked
// matrix, else file (the file-layout loop).
func q4_0Rows(k *q4_0x8Kernels, file rowKernels) rowKernels {
	fileRows := file.rows
	file.rows = func(out []float32, m *Matrix, a *Activations, r0, r1 int) {
		if m.repacked {
			k.rows(out, m, a, r0, r1)
			return
		}
		fileRows(out, m, a, r0, r1)
	}
	return file
}
