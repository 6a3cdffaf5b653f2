package tensor

import (
	"encoding/binary"
	"math"

	"burrow/inference/gguf"
)

// Q8_0 weights multiply the input quantized to Q8_0 (formQ8_0): one exact
// integer dot per block pair, scaled by both block scales. Batches go
// through tiles of weight rows by input rows (4x8 and 4x4 where the set has
// them, else 2x4); decode (one input row) keeps the single-row kernel.

func init() {
	register(weightType{
		typ:        gguf.TypeQ8_0,
		dequantize: dequantizeQ8_0,
		quantize:   QuantizeQ8_0,
		form:       formQ8_0,
		plain:      q8_0PlainKernels.set(dotQ8_0Plain),
	})
}

// Q8_0 layout (ggml block_q8_0): per block of 32 values an F16 scale d
// followed by 32 int8 quants; value = d * q.
const (
	q8Block     = 32
	q8BlockSize = 34
)

// Q8_0RowSize is the byte length of n values (n a multiple of 32) in Q8_0.
func Q8_0RowSize(n int) int { return n / q8Block * q8BlockSize }

// QuantizeQ8_0 quantizes x (length a multiple of 32) into dst, which must hold
// Q8_0RowSize(len(x)) bytes. It follows ggml's quantize_row_q8_0_ref, which
// llama-quantize uses to write Q8_0 files: d = max|x|/127, q = round(x*(1/d))
// with halves away from zero. (Activations use quantizeQ8_0Act instead.)
func QuantizeQ8_0(dst []byte, x []float32) {
	if len(x)%q8Block != 0 {
		panic("tensor: QuantizeQ8_0 length is not a multiple of 32")
	}
	nb := len(x) / q8Block
	_ = dst[nb*q8BlockSize-1]
	for i := 0; i < nb; i++ {
		xb := x[i*q8Block : (i+1)*q8Block]
		blk := dst[i*q8BlockSize : (i+1)*q8BlockSize]
		amax, _ := absMax(xb)
		d := amax / 127
		id := invScale(d)
		binary.LittleEndian.PutUint16(blk, F32ToF16(d))
		for j, v := range xb {
			blk[2+j] = byte(int8(roundAway(v * id)))
		}
	}
}

// quantizeQ8_0Act is how llama.cpp on x86 quantizes activations
// (quantize_row_q8_0 for AVX/AVX2/AVX-512): the same scale d, but
// multiplied by 127/max|x| rather than 1/d, and rounded half to even. It
// differs from QuantizeQ8_0 in rare last-place cases, enough to move a
// small model's logits by 0.1; following it keeps Burrow's Q8_0 results
// bit-identical to llama.cpp's.
func quantizeQ8_0Act(dst []byte, x []float32) {
	nb := len(x) / q8Block
	_ = dst[nb*q8BlockSize-1]
	for i := 0; i < nb; i++ {
		xb := (*[q8Block]float32)(x[i*q8Block:])
		blk := (*[q8BlockSize]byte)(dst[i*q8BlockSize:])
		d, id := q8ActScales(xb[:])
		binary.LittleEndian.PutUint16(blk[:], F32ToF16(d))
		for j, v := range xb {
			blk[2+j] = byte(int8(math.RoundToEven(float64(v * id))))
		}
	}
}

// roundAway is C's roundf: nearest integer, halves away from zero.
func roundAway(x float32) float32 { return float32(math.Round(float64(x))) }

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// invScale is 1/d, or 0 for the zero scale of an all-zero block.
func invScale(d float32) float32 {
	if d == 0 {
		return 0
	}
	return 1 / d
}

// absMax is the first value of largest magnitude in x, with that
// magnitude, which block scales are taken from; NaN never wins, as in C.
func absMax(x []float32) (amax, max float32) {
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax, max = a, v
		}
	}
	return amax, max
}

// dequantizeQ8_0 expands len(dst) values (a multiple of 32) from src.
func dequantizeQ8_0(dst []float32, src []byte) {
	nb := len(dst) / q8Block
	for i := 0; i < nb; i++ {
		blk := src[i*q8BlockSize : (i+1)*q8BlockSize]
		d := F16ToF32(binary.LittleEndian.Uint16(blk))
		out := dst[i*q8Block : (i+1)*q8Block]
		for j := range out {
			out[j] = float32(int8(blk[2+j])) * d
		}
	}
}

// dotQ8_0Plain is ggml's scalar ggml_vec_dot_q8_0_q8_0: for each block the
// integer dot of the quants, scaled by both block scales, summed in float32.
func dotQ8_0Plain(x, y []byte, nb int) float32 {
	var sum float32
	for i := 0; i < nb; i++ {
		// Fixed-size views let the compiler drop the bounds checks.
		bx := (*[q8BlockSize]byte)(x[i*q8BlockSize:])
		by := (*[q8BlockSize]byte)(y[i*q8BlockSize:])
		var sumi int32
		for j := 2; j < q8BlockSize; j++ {
			sumi += int32(int8(bx[j])) * int32(int8(by[j]))
		}
		dx := F16ToF32(uint16(bx[0]) | uint16(bx[1])<<8)
		dy := F16ToF32(uint16(by[0]) | uint16(by[1])<<8)
		// The conversion keeps arm64 from fusing the multiply into the add:
		// one rounding per operation, as amd64 and ggml on x86.
		sum += float32(float32(sumi) * float32(dx*dy))
	}
	return sum
}

// q8_0Kernels are Q8_0's matmul kernels in one set: they read the input's
// float32 block scales (formQ8_0's side data) instead of its F16 ones.
type q8_0Kernels struct {
	one  func(w []byte, a *Activations, t, nb int) float32                 // weight row w, input row t
	x4   func(w []byte, a *Activations, t, nb int) [4]float32              // input rows t..t+3
	x2x4 func(w []byte, wstride int, a *Activations, t, nb int) [8]float32 // two weight rows, rows t..t+3
	// x4x4, if set, is four weight rows by input rows t..t+3: out[4*i+k]
	// for weight row i and token t+k (sets with room for 16 accumulators).
	x4x4 func(w []byte, wstride int, a *Activations, t, nb int) [16]float32
	// x4x8, if set with x4x4, is four weight rows by input rows t..t+7:
	// out[8*i+k].
	x4x8 func(w []byte, wstride int, a *Activations, t, nb int) [32]float32
}

var q8_0PlainKernels = &q8_0Kernels{one: mulQ8_0Plain, x4: mulQ8_0x4Plain, x2x4: mulQ8_0x2x4Plain}

// set makes the kernels a set entry; dot is the block-scale row dot.
func (k *q8_0Kernels) set(dot func(x, y []byte, nb int) float32) rowKernels {
	return rowKernels{dot: dot, rows: k.rows, ext: k}
}

func (k *q8_0Kernels) rows(out []float32, m *Matrix, a *Activations, r0, r1 int) {
	n, rows := a.Rows(), m.Rows
	nb := m.Cols / q8Block
	r := r0
	if n >= 4 {
		// Tiles of four (else two) weight rows by eight or four input
		// rows: each block loaded once serves up to 32 dot products.
		rb := Q8_0RowSize(m.Cols)
		for ; k.x4x4 != nil && r+4 <= r1; r += 4 {
			w := m.Data[r*rb : (r+4)*rb]
			t := 0
			for ; k.x4x8 != nil && t+8 <= n; t += 8 {
				e := k.x4x8(w, rb, a, t, nb)
				for i := 0; i < 4; i++ {
					for j := 0; j < 8; j++ {
						out[(t+j)*rows+r+i] = e[8*i+j]
					}
				}
			}
			for ; t+4 <= n; t += 4 {
				e := k.x4x4(w, rb, a, t, nb)
				for i := 0; i < 4; i++ {
					out[t*rows+r+i], out[(t+1)*rows+r+i] = e[4*i], e[4*i+1]
					out[(t+2)*rows+r+i], out[(t+3)*rows+r+i] = e[4*i+2], e[4*i+3]
				}
			}
			for ; t < n; t++ {
				for i := 0; i < 4; i++ {
					out[t*rows+r+i] = k.one(w[i*rb:], a, t, nb)
				}
			}
		}
		for ; r+2 <= r1; r += 2 {
			w := m.Data[r*rb : (r+2)*rb]
			t := 0
			for ; t+4 <= n; t += 4 {
				e := k.x2x4(w, rb, a, t, nb)
				out[t*rows+r], out[(t+1)*rows+r] = e[0], e[1]
				out[(t+2)*rows+r], out[(t+3)*rows+r] = e[2], e[3]
				out[t*rows+r+1], out[(t+1)*rows+r+1] = e[4], e[5]
				out[(t+2)*rows+r+1], out[(t+3)*rows+r+1] = e[6], e[7]
			}
			for ; t < n; t++ {
				out[t*rows+r] = k.one(w[:rb], a, t, nb)
				out[t*rows+r+1] = k.one(w[rb:], a, t, nb)
			}
		}
	}
	for ; r < r1; r++ {
		w := m.Row(r)
		t := 0
		// Tiles of four input rows share each weight block load. (An
		// eight-row tile on int16-widened inputs measured no faster.)
		for ; t+4 <= n; t += 4 {
			four := k.x4(w, a, t, nb)
			out[t*rows+r], out[(t+1)*rows+r] = four[0], four[1]
			out[(t+2)*rows+r], out[(t+3)*rows+r] = four[2], four[3]
		}
		for ; t < n; t++ {
			out[t*rows+r] = k.one(w, a, t, nb)
		}
	}
}

// q8Row is input row t in Q8_0 form; q8s its float32 block scales.
func (a *Activations) q8Row(t int) []byte { return a.row(formQ8_0, t) }
func (a *Activations) q8s() []float32     { return a.bufs[formQ8_0].scales }

// mulQ8_0Plain dots weight row w with input row t of a.
func mulQ8_0Plain(w []byte, a *Activations, t, nb int) float32 {
	return dotQ8_0Plain(w, a.q8Row(t), nb)
}

// mulQ8_0x4Plain is four mulQ8_0Plain calls, the twin of the tiled kernel.
func mulQ8_0x4Plain(w []byte, a *Activations, t, nb int) (out [4]float32) {
	mulQ8_0TilePlain(out[:], 4, w, 0, a, t, nb)
	return out
}

// mulQ8_0x2x4Plain is eight mulQ8_0Plain calls, the twin of the 2x4 tile.
func mulQ8_0x2x4Plain(w []byte, wstride int, a *Activations, t, nb int) (out [8]float32) {
	mulQ8_0TilePlain(out[:], 4, w, wstride, a, t, nb)
	return out
}

// mulQ8_0x4x4Plain is sixteen mulQ8_0Plain calls, the twin of the 4x4 tile.
func mulQ8_0x4x4Plain(w []byte, wstride int, a *Activations, t, nb int) (out [16]float32) {
	mulQ8_0TilePlain(out[:], 4, w, wstride, a, t, nb)
	return out
}

// mulQ8_0x4x8Plain is 32 mulQ8_0Plain calls, the twin of the 4x8 tile.
func mulQ8_0x4x8Plain(w []byte, wstride int, a *Activations, t, nb int) (out [32]float32) {
	mulQ8_0TilePlain(out[:], 8, w, wstride, a, t, nb)
	return out
}

// mulQ8_0TilePlain sets out[cols*i+k] to the dot of weight row i (at
// w[i*wstride:]) with input row t+k, for k < cols: a tile's Go twin.
func mulQ8_0TilePlain(out []float32, cols int, w []byte, wstride int, a *Activations, t, nb int) {
	for i := 0; i < len(out)/cols; i++ {
		for k := 0; k < cols; k++ {
			out[cols*i+k] = dotQ8_0Plain(w[i*wstride:], a.q8Row(t+k), nb)
		}
	}
}

// q8ActScales is the scale pair of llama.cpp's x86 activation quantizers
// (Q8_0 and Q8_1): d = max|x|/127 and the multiplier 127/max|x| (0 for an
// all-zero block).
func q8ActScales(xb []float32) (d, id float32) {
	amax, _ := absMax(xb)
	if amax != 0 {
		id = 127 / amax
	}
	return amax / 127, id
}

// q8Tile (for the amd64 and arm64 tile kernels) bounds-checks weight rows w (through w[wlast:]) against input
// rows t..t+n-1 of a and returns the kernels' pointer arguments: the first
// weight block, the first input block, its float32 scale, and the input
// row stride.
func q8Tile(w []byte, wlast int, a *Activations, t, n, nb int) (wp, ap *byte, sp *float32, stride int) {
	stride = Q8_0RowSize(a.Cols)
	data := a.bufs[formQ8_0].data
	_, _ = w[wlast+nb*q8BlockSize-1], data[(t+n-1)*stride+nb*q8BlockSize-1]
	_ = a.q8s()[(nb-1)*a.maxRows+t+n-1]
	return &w[0], &data[t*stride], &a.q8s()[t], stride
}
