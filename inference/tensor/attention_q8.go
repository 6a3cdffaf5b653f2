package tensor

import (
	"encoding/binary"
	"fmt"
	"math"

	"burrow/inference/gguf"
)

// A Q8_0 KV cache (llama.cpp's -ctk q8_0 -ctv q8_0) keeps every KV head's
// keys and values as Q8_0 blocks: 34 bytes per 32 values, about half of
// F16. llama.cpp attends over it only with flash attention, whose CPU
// arithmetic (ggml_compute_forward_flash_attn_ext_f16_one_chunk) for a
// quantized K is: the query quantized to K's vec_dot partner (Q8_0, with
// the x86 quantize_row_q8_0), each score the q8_0 x q8_0 block dot
// (ggml_vec_dot_q8_0_q8_0, eight float lanes) times the scale, an online
// softmax with expf, and V rows dequantized to F32 and accumulated in F32
// (ggml_vec_scale_f32 on a new maximum, ggml_vec_mad_f32), divided by the
// sum at the end.

// Q8_0KVRowBytes is the bytes one cache row of kvDim values (a multiple of
// 32) takes in Q8_0.
func Q8_0KVRowBytes(kvDim int) int { return Q8_0RowSize(kvDim) }

// QuantizeQ8_0KV writes len(x) values (a multiple of 32) into dst as a Q8_0
// KV cache stores them: llama.cpp's set_rows into a Q8_0 cache quantizes
// with the CPU's quantize_row_q8_0, the activation rounding
// (scale 127/max, halves to even), not the file writer's.
func QuantizeQ8_0KV(dst []byte, x []float32) {
	if len(x)%q8Block != 0 || len(dst) < Q8_0RowSize(len(x)) {
		panic(fmt.Sprintf("tensor: QuantizeQ8_0KV of %d values into %d bytes", len(x), len(dst)))
	}
	quantizeQ8_0Act(dst, x)
}

// DequantizeQ8_0KV expands len(dst) values (a multiple of 32) from Q8_0 src.
func DequantizeQ8_0KV(dst []float32, src []byte) {
	if len(dst)%q8Block != 0 || len(src) < Q8_0RowSize(len(dst)) {
		panic(fmt.Sprintf("tensor: DequantizeQ8_0KV of %d values from %d bytes", len(dst), len(src)))
	}
	dequantizeQ8_0(dst, src)
}

// q8AttBlock is the positions scored at once before their values are
// added, so the scores and softmax factors stay on the stack.
const q8AttBlock = 32

// q8KVDot is the score kernel: the assembly Q8_0 dot where a fast set is
// active (it sums in llama.cpp's lane order), else its Go twin.
func q8KVDot() func(x, y []byte, nb int) float32 {
	if active.vectorExp { // only the assembly sets have it
		return kernelsOf(gguf.TypeQ8_0).dot
	}
	return dotQ8_0LanesGo
}

// dotQ8_0LanesGo is ggml_vec_dot_q8_0_q8_0 as x86 builds run it: per block
// the eight int32 sums of four products, each lane accumulating
// fma(dx*dy, float(sum)), then the eight lanes reduced as hsum_float_8. It
// equals the AVX2 and VNNI dot kernels bit for bit.
func dotQ8_0LanesGo(x, y []byte, nb int) float32 {
	var acc [8]float32
	for i := 0; i < nb; i++ {
		bx := (*[q8BlockSize]byte)(x[i*q8BlockSize:])
		by := (*[q8BlockSize]byte)(y[i*q8BlockSize:])
		d := F16ToF32(binary.LittleEndian.Uint16(bx[:])) * F16ToF32(binary.LittleEndian.Uint16(by[:]))
		for l := 0; l < 8; l++ {
			var s int32
			for j := 2 + 4*l; j < 2+4*l+4; j++ {
				s += int32(int8(bx[j])) * int32(int8(by[j]))
			}
			acc[l] = fma32(d, float32(s), acc[l])
		}
	}
	r := [4]float32{acc[0] + acc[4], acc[1] + acc[5], acc[2] + acc[6], acc[3] + acc[7]}
	return (r[0] + r[2]) + (r[1] + r[3])
}

// AttentionQ8_0 computes one query head's attention over the first nPos
// positions of a Q8_0 KV cache with llama.cpp's flash attention arithmetic
// (see above), scores soft-capped when softcap > 0. Position p's key is the
// len(q)/32 blocks at k[p*stride:], its value those at v[p*stride:] (stride
// in bytes; pass the cache sliced at the KV head's offset). q8 is scratch of
// Q8_0RowSize(len(q)) bytes, acc of len(q) floats.
func AttentionQ8_0(out, q []float32, k, v []byte, stride, nPos int, scale, softcap float32, q8 []byte, acc []float32) {
	checkQ8Att(out, q, k, v, stride, nPos, q8, acc)
	hd := len(q)
	sum, _ := attendQ8Acc(q, k, v, stride, nPos, scale, softcap, q8[:Q8_0RowSize(hd)], acc[:hd])
	finishF16(out[:hd], acc[:hd], sum)
}

// AttentionQ8_0Sink is AttentionQ8_0 with a sink logit joining the
// softmax's denominator after the positions (gpt-oss), as llama.cpp's flash
// attention applies it.
func AttentionQ8_0Sink(out, q []float32, k, v []byte, stride, nPos int, scale, sink float32, q8 []byte, acc []float32) {
	checkQ8Att(out, q, k, v, stride, nPos, q8, acc)
	hd := len(q)
	acc = acc[:hd]
	sum, mx := attendQ8Acc(q, k, v, stride, nPos, scale, 0, q8[:Q8_0RowSize(hd)], acc)
	finishF16(out[:hd], acc, sinkSum(acc, sum, mx, sink))
}

// sinkSum folds a sink logit into an F32 accumulator and its softmax sum.
func sinkSum(acc []float32, sum, mx, sink float32) float32 {
	ms, vs := float32(1), float32(1)
	if sink > mx {
		ms = exp32(mx - sink)
		for i := range acc {
			acc[i] *= ms
		}
	} else {
		vs = exp32(sink - mx)
	}
	return fma32(sum, ms, vs)
}

func checkQ8Att(out, q []float32, k, v []byte, stride, nPos int, q8 []byte, acc []float32) {
	hd := len(q)
	rb := Q8_0RowSize(hd)
	if nPos <= 0 || hd == 0 || hd%q8Block != 0 || len(out) < hd || len(q8) < rb || len(acc) < hd ||
		len(k) < (nPos-1)*stride+rb || len(v) < (nPos-1)*stride+rb {
		panic(fmt.Sprintf("tensor: AttentionQ8_0 of a %d-value head over %d positions: bad head size or buffers too small", hd, nPos))
	}
}

// attendQ8Acc accumulates the unnormalised weighted values in acc and
// returns the softmax sum and the largest score.
func attendQ8Acc(q []float32, k, v []byte, stride, nPos int, scale, softcap float32, q8 []byte, acc []float32) (float32, float32) {
	if softcap > 0 {
		scale /= softcap
	}
	quantizeQ8_0Act(q8, q)
	clear(acc)
	dot := q8KVDot()
	nb := len(q) / q8Block
	var sum float32
	mx := float32(math.Inf(-1))
	var sc, ms, vs [q8AttBlock]float32
	for b := 0; b < nPos; b += q8AttBlock {
		n := min(q8AttBlock, nPos-b)
		for i := range sc[:n] {
			sc[i] = dot(k[(b+i)*stride:], q8, nb) * scale
		}
		onlineSoftmax(sc[:n], ms[:n], vs[:n], softcap, &mx, &sum)
		madQ8(acc, v[b*stride:], stride, ms[:n], vs[:n])
	}
	return sum, mx
}

// madQ8 is madQ8Fast where an assembly set is active, else madQ8Plain
// (direct calls keep the callers' block arrays on the stack).
func madQ8(acc []float32, v []byte, stride int, ms, vs []float32) {
	if active.vectorExp {
		madQ8Fast(acc, v, stride, ms, vs)
		return
	}
	madQ8Plain(acc, v, stride, ms, vs)
}

// madQ8Plain runs, for each position p in order, ggml_vec_scale_f32 of the F32
// accumulator by ms[p] (skipped when 1, which changes nothing) and
// ggml_vec_mad_f32 of V row p, dequantized (exactly: int8 times an F16
// scale fits a float32), by vs[p].
func madQ8Plain(acc []float32, v []byte, stride int, ms, vs []float32) {
	nb := len(acc) / q8Block
	for p, w := range vs {
		if m := ms[p]; m != 1 {
			for i := range acc {
				acc[i] *= m
			}
		}
		row := v[p*stride:]
		for b := 0; b < nb; b++ {
			blk := (*[q8BlockSize]byte)(row[b*q8BlockSize:])
			d := F16ToF32(binary.LittleEndian.Uint16(blk[:]))
			a := (*[q8Block]float32)(acc[b*q8Block:])
			for i := range a {
				a[i] = fma32(float32(int8(blk[2+i]))*d, w, a[i])
			}
		}
	}
}

// attendQ8Plain is the per-position Go model of AttentionQ8_0 that the
// block version is held to.
func attendQ8Plain(out, q []float32, k, v []byte, stride, nPos int, scale, softcap float32) {
	hd := len(q)
	if softcap > 0 {
		scale /= softcap
	}
	q8 := make([]byte, Q8_0RowSize(hd))
	quantizeQ8_0Act(q8, q)
	acc := make([]float32, hd)
	row := make([]float32, hd)
	var sum float32
	mx := float32(math.Inf(-1))
	for p := 0; p < nPos; p++ {
		s := dotQ8_0LanesGo(k[p*stride:], q8, hd/q8Block) * scale
		if softcap > 0 {
			s = softcap * float32(math.Tanh(float64(s)))
		}
		ms, vs := float32(1), float32(1)
		if s > mx {
			old := mx
			mx = s
			ms = exp32(old - mx)
			for i := range acc {
				acc[i] *= ms
			}
		} else {
			vs = exp32(s - mx)
		}
		dequantizeQ8_0(row, v[p*stride:])
		for i, x := range row {
			acc[i] = fma32(x, vs, acc[i])
		}
		sum = fma32(sum, ms, vs)
	}
	finishF16(out, acc, sum)
}

// HadamardRotate multiplies every run of n consecutive values of x (n a
// power of two dividing len(x)) by the orthonormal Walsh-Hadamard matrix
// H_n, its own inverse. llama.cpp rotates queries, keys and values this way
// when the KV cache is quantized (llama_kv_cache's attn_rot_k/attn_rot_v,
// on by default) so outliers spread over a block before quantization; its
// CPU backend runs the product as ggml_compute_forward_fwht: each value
// times 1/sqrtf(n), then radix-2 butterflies u+v, u-v at spans 1, 2, 4, ...
// Every value goes through the same operations whatever the vector width,
// so this loop gives its bits.
func HadamardRotate(x []float32, n int) {
	if n <= 0 || n&(n-1) != 0 || len(x)%n != 0 {
		panic(fmt.Sprintf("tensor: HadamardRotate of %d values in runs of %d", len(x), n))
	}
	scale := 1 / float32(math.Sqrt(float64(n)))
	for i := range x {
		x[i] *= scale
	}
	for r := 0; r < len(x); r += n {
		row := x[r : r+n]
		for span := 1; span < n; span <<= 1 {
			for i := 0; i < n; i += 2 * span {
				a, b := row[i:i+span], row[i+span:i+2*span]
				for j := range a {
					u, v := a[j], b[j]
					a[j], b[j] = u+v, u-v
				}
			}
		}
	}
}
