package tensor

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
)

// Q4_K weights repacked eight rows at a time, as llama.cpp's CPU "repack"
// buffer does on x86 (block_q4_Kx8, ggml_gemv/gemm_q4_K_8x8_q8_K): each
// vector lane is one weight row, so a dot needs no horizontal sum and the
// scales load as vectors. llama.cpp repacks every Q4_K matrix whose row
// count is a multiple of 8 (MUL_MAT weights, the tied output included), so
// following it here is also what makes the sums come out in its order.
//
// The layout is ours (same size as the file: 1152 bytes per superblock of
// eight rows), built for our kernels; the arithmetic is llama.cpp's:
//
//	0    d[8], dmin[8]      F16, row j at 2j and 16+2j
//	32   sc[64]             sub-block s of row j at 8s+j: 6-bit scale,
//	                        bits 6..7 = bits 4..5 of min p (p = index)
//	96   mlo[32]            low 4 bits of min p: p<32 low nibble of mlo[p],
//	                        else high nibble of mlo[p-32]
//	128  qs[1024]           4 bytes of each row in turn: row j's bytes
//	                        32c+4k..32c+4k+3 at 256c+32k+4j
//
// The mins run in pair order, p = 16*sb + 2j + h for sub-block 2sb+h of
// row j, so that one 16-byte load widens into VPMADDWD's (min, min) pairs.
//
// Two sums, as llama.cpp's (all integer parts exact):
//   - gemv (input rows past the last multiple of four, and every row of a
//     1..3-row batch): per superblock one FMA of the whole integer sum with
//     float32(d*y.d), one of the mins sum with float32(dmin*y.d);
//   - gemm (batches of four rows): the same FMAs once per 64 values.
//
// The result is acc - accm per row.

const (
	q4Kx8Bytes = 8 * q4KBlockSize // one superblock of eight rows
	q4Kx8QS    = 128              // offset of the quants
)

// repackQ4_K interleaves rows (a multiple of 8) of nb superblocks from src
// (the file's layout) into dst, of the same size; large matrices are split
// across goroutines (it runs once per matrix, at load).
func repackQ4_K(dst, src []byte, rows, nb int) {
	groups := rows / 8
	parts := min(runtime.GOMAXPROCS(0), max(1, groups*nb/512))
	var wg sync.WaitGroup
	for p := 0; p < parts; p++ {
		g0, g1 := groups*p/parts, groups*(p+1)/parts
		wg.Go(func() {
			rb := nb * q4KBlockSize
			for g := g0; g < g1; g++ {
				for i := 0; i < nb; i++ {
					var in [8]*[q4KBlockSize]byte
					for j := range in {
						in[j] = (*[q4KBlockSize]byte)(src[(8*g+j)*rb+i*q4KBlockSize:])
					}
					packQ4_Kx8((*[q4Kx8Bytes]byte)(dst[g*8*rb+i*q4Kx8Bytes:]), &in)
				}
			}
		})
	}
	wg.Wait()
}

// packQ4_Kx8 writes one superblock of eight rows.
func packQ4_Kx8(o *[q4Kx8Bytes]byte, in *[8]*[q4KBlockSize]byte) {
	var sm [8][16]uint8 // per row: 8 scales, then 8 mins
	for j, b := range in {
		o[2*j], o[2*j+1] = b[0], b[1]
		o[16+2*j], o[16+2*j+1] = b[2], b[3]
		sm[j] = unpackScalesK4(b[4:16])
		q := (*[128]byte)(b[16:])
		for ck := 0; ck < 32; ck++ { // ck = 8c+k: four bytes at 4ck
			binary.LittleEndian.PutUint32(o[q4Kx8QS+32*ck+4*j:], binary.LittleEndian.Uint32(q[4*ck:]))
		}
	}
	for p := 0; p < 32; p++ {
		m0 := sm[p%16/2][8+2*(p/16)+p%2]      // min p
		m1 := sm[p%16/2][8+2*(p/16+2)+p%2]    // min p+32
		o[32+p] = sm[p%8][p/8] | (m0>>4)<<6   // scale p/8 of row p%8
		o[64+p] = sm[p%8][4+p/8] | (m1>>4)<<6 // scale 4+p/8
		o[96+p] = m0&15 | (m1&15)<<4
	}
}

// unpackQ4_Kx8 undoes packQ4_Kx8 for row j: the file's 144 bytes.
func unpackQ4_Kx8(b *[q4KBlockSize]byte, o *[q4Kx8Bytes]byte, j int) {
	copy(b[0:2], o[2*j:])
	copy(b[2:4], o[16+2*j:])
	var ls, lm [8]uint8
	for s := 0; s < 8; s++ {
		ls[s] = o[32+8*s+j] & 63
		lm[s] = q4Kx8Min(o, 16*(s/2)+2*j+s%2)
	}
	clear(b[4:16])
	packScalesK4(b[4:16], &ls, &lm)
	for c := 0; c < 4; c++ {
		for k := 0; k < 8; k++ {
			copy(b[16+32*c+4*k:][:4], o[q4Kx8QS+256*c+32*k+4*j:])
		}
	}
}

// q4Kx8Min is min p (pair order) of a repacked superblock.
func q4Kx8Min(o *[q4Kx8Bytes]byte, p int) uint8 {
	lo := o[96+p%32]
	if p >= 32 {
		lo >>= 4
	}
	return (o[32+p]>>6)<<4 | lo&15
}

// rowQ4_Kx8 writes the file's bytes of row r of a repacked matrix into dst
// (m.RowBytes).
func rowQ4_Kx8(dst []byte, m *Matrix, r int) {
	nb := m.Cols / qkK
	g := m.Data[(r&^7)*m.RowBytes:]
	for i := 0; i < nb; i++ {
		unpackQ4_Kx8((*[q4KBlockSize]byte)(dst[i*q4KBlockSize:]), (*[q4Kx8Bytes]byte)(g[i*q4Kx8Bytes:]), r&7)
	}
}

// rowF32Q4_Kx8 dequantizes row r of a repacked matrix (the embedding
// lookup of a tied output), one superblock at a time.
func rowF32Q4_Kx8(dst []float32, m *Matrix, r int) {
	nb := m.Cols / qkK
	g := m.Data[(r&^7)*m.RowBytes:]
	var b [q4KBlockSize]byte
	for i := 0; i < nb; i++ {
		unpackQ4_Kx8(&b, (*[q4Kx8Bytes]byte)(g[i*q4Kx8Bytes:]), r&7)
		dequantizeQ4_K(dst[i*qkK:(i+1)*qkK], b[:])
	}
}

// repackedQ4_K is the Q4_K weight type's repack hook: the interleaved copy
// of data when rows is a multiple of 8, else nil.
func repackedQ4_K(data []byte, rows, cols int, alloc func(n int) []byte) []byte {
	if rows%8 != 0 {
		return nil
	}
	dst := alloc(len(data))
	if dst == nil { // the caller wants the file's layout
		return nil
	}
	repackQ4_K(dst, data, rows, cols/qkK)
	return dst
}

// gemvQ4_Kx8Plain dots eight repacked rows w (nb superblocks) with one Q8_K
// row x in llama.cpp's gemv order (perSB false) or its gemm order (perSB
// true: one FMA per 64 values); the Go model of the assembly, bit for bit.
func gemvQ4_Kx8Plain(w, x []byte, nb int, perSB bool, out []float32) {
	out = out[:8]
	var acc, accm [8]float32
	var a [qkK]int32 // the superblock's activations, widened once for all rows
	for i := 0; i < nb; i++ {
		o := (*[q4Kx8Bytes]byte)(w[i*q4Kx8Bytes:])
		y := (*[q8KBlockSize]byte)(x[i*q8KBlockSize:])
		yd := f32At(y[0:])
		var bs [8]int32 // the 32-value sums, int16 as VPHADDW adds them
		for s := range bs {
			bs[s] = int32(bsumAt(y, 2*s) + bsumAt(y, 2*s+1))
		}
		for l, v := range y[4 : 4+qkK] {
			a[l] = int32(int8(v))
		}
		for j := 0; j < 8; j++ {
			dj := float32(f16At(o[2*j:]) * yd)
			mj := float32(f16At(o[16+2*j:]) * yd)
			var isum, imin int32
			for c := 0; c < 4; c++ {
				var dl, dh int32
				qc := o[q4Kx8QS+256*c+4*j:]
				ac := (*[64]int32)(a[64*c:])
				for k := 0; k < 8; k++ {
					qw := binary.LittleEndian.Uint32(qc[32*k:])
					al, ah := (*[4]int32)(ac[4*k:]), (*[4]int32)(ac[32+4*k:])
					dl += int32(qw&15)*al[0] + int32(qw>>8&15)*al[1] + int32(qw>>16&15)*al[2] + int32(qw>>24&15)*al[3]
					dh += int32(qw>>4&15)*ah[0] + int32(qw>>12&15)*ah[1] + int32(qw>>20&15)*ah[2] + int32(qw>>28)*ah[3]
				}
				is := int32(o[32+8*(2*c)+j]&63)*dl + int32(o[32+8*(2*c+1)+j]&63)*dh
				im := int32(q4Kx8Min(o, 16*c+2*j))*bs[2*c] + int32(q4Kx8Min(o, 16*c+2*j+1))*bs[2*c+1]
				if perSB {
					acc[j] = fmaExact32(dj, float32(is), acc[j])
					accm[j] = fmaExact32(mj, float32(im), accm[j])
				} else {
					isum += is
					imin += im
				}
			}
			if !perSB {
				acc[j] = fmaExact32(dj, float32(isum), acc[j])
				accm[j] = fmaExact32(mj, float32(imin), accm[j])
			}
		}
	}
	for j := range out {
		out[j] = acc[j] - accm[j]
	}
}

// q4Kx8Kernels are one kernel set's repacked Q4_K kernels: gemv dots eight
// rows with one input row (llama.cpp's gemv order) into out[:8], gemm4
// with the four input rows at x, x+stride, ... (its gemm order), writing
// row t's eight results to out[t*ostride:].
type q4Kx8Kernels struct {
	gemv  func(w, x []byte, nb int, out []float32)
	gemm4 func(w, x []byte, stride, nb int, out []float32, ostride int)
}

var q4Kx8Plain = &q4Kx8Kernels{
	gemv: func(w, x []byte, nb int, out []float32) { gemvQ4_Kx8Plain(w, x, nb, false, out) },
	gemm4: func(w, x []byte, stride, nb int, out []float32, ostride int) {
		for t := 0; t < 4; t++ {
			gemvQ4_Kx8Plain(w, x[t*stride:], nb, true, out[t*ostride:])
		}
	},
}

// rows computes rows [r0,r1) (multiples of 8) of a repacked matrix as
// llama.cpp's repacked mul_mat does: a batch of more than three rows runs
// its first n-n%4 rows through gemm and the rest through gemv.
func (k *q4Kx8Kernels) rows(out []float32, m *Matrix, a *Activations, r0, r1 int) {
	if r0%8 != 0 || r1%8 != 0 {
		panic(fmt.Sprintf("tensor: rows [%d,%d) of a repacked matrix split an 8-row group", r0, r1))
	}
	b := &a.bufs[formQ8_K]
	n, rows, nb := a.Rows(), m.Rows, m.Cols/qkK
	g4 := 0
	if n > 3 {
		g4 = n - n%4
	}
	for r := r0; r < r1; r += 8 {
		w := m.Data[r*m.RowBytes : (r+8)*m.RowBytes]
		t := 0
		for ; t < g4; t += 4 {
			k.gemm4(w, b.data[t*b.stride:], b.stride, nb, out[t*rows+r:], rows)
		}
		for ; t < n; t++ {
			k.gemv(w, b.data[t*b.stride:(t+1)*b.stride], nb, out[t*rows+r:])
		}
	}
}

// q4KRows makes Q4_K's rows kernel: the repacked kernels for repacked
// matrices, else plain (nil: the generic loop over dot).
func q4KRows(k *q4Kx8Kernels, plain func(out []float32, m *Matrix, a *Activations, r0, r1 int), dot func(w, x []byte, nb int) float32) func(out []float32, m *Matrix, a *Activations, r0, r1 int) {
	return func(out []float32, m *Matrix, a *Activations, r0, r1 int) {
		switch {
		case m.repacked:
			k.rows(out, m, a, r0, r1)
		case plain != nil:
			plain(out, m, a, r0, r1)
		default:
			n, rows, nb := a.Rows(), m.Rows, m.Cols/qkK
			for r := r0; r < r1; r++ {
				w := m.Row(r)
				for t := 0; t < n; t++ {
					out[t*rows+r] = dot(w, a.row(formQ8_K, t), nb)
				}
			}
		}
	}
}
