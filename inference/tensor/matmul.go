package tensor

import (
	"fmt"
	"unsafe"

	"burrow/inference/gguf"
)

// MaxMulti is the most matrices one MatMulMulti call takes.
const MaxMulti = 4

// rowGroup is the number of weight rows one unit of parallel work covers.
const rowGroup = 16

// MatMul computes out[t*m.Rows+r] = dot(row r of m, input row t) for the
// a.Rows() input rows, on p's threads (p may be nil).
func MatMul(p *Pool, out []float32, m *Matrix, a *Activations) {
	var outs = [1][]float32{out}
	var ms = [1]*Matrix{m}
	MatMulMulti(p, outs[:], ms[:], a)
}

// MatMulMulti is MatMul for several matrices that read the same input (Q, K
// and V; gate and up): one quantization of the input and one dispatch cover
// them all. outs[i] receives the product with ms[i].
func MatMulMulti(p *Pool, outs [][]float32, ms []*Matrix, a *Activations) {
	if len(ms) == 0 || len(ms) > MaxMulti || len(outs) != len(ms) {
		panic(fmt.Sprintf("tensor: MatMulMulti with %d matrices and %d outputs (1..%d)", len(ms), len(outs), MaxMulti))
	}
	n := a.Rows()
	var job matmulJob
	jp := &job
	if p != nil && p.threads > 1 {
		p.mu.Lock() // the job lives in the pool
		defer p.mu.Unlock()
		jp = &p.mm
		defer jp.clear() // drop references to the caller's buffers
	}
	jp.a, jp.nm, jp.units = a, len(ms), 0
	for i, m := range ms {
		if m.Cols != a.Cols {
			panic(fmt.Sprintf("tensor: matmul of a %dx%d matrix with rows of %d values", m.Rows, m.Cols, a.Cols))
		}
		if len(outs[i]) < n*m.Rows {
			panic(fmt.Sprintf("tensor: matmul output holds %d values, needs %d", len(outs[i]), n*m.Rows))
		}
		a.prepare(m.Type)
		jp.ms[i], jp.outs[i] = m, outs[i]
		jp.first[i] = jp.units
		jp.units += (m.Rows + rowGroup - 1) / rowGroup
	}
	if jp == &job || jp.units == 1 {
		jp.run(0, jp.units)
		return
	}
	p.runLocked(jp.units, p.mmFn)
}

// matmulJob is one MatMulMulti call, split into units of rowGroup rows.
type matmulJob struct {
	a     *Activations
	nm    int
	ms    [MaxMulti]*Matrix
	outs  [MaxMulti][]float32
	first [MaxMulti]int // first unit of each matrix
	units int
}

func (j *matmulJob) clear() { *j = matmulJob{} }

func (j *matmulJob) run(lo, hi int) {
	for u := lo; u < hi; {
		i := j.nm - 1
		for i > 0 && j.first[i] > u {
			i--
		}
		m := j.ms[i]
		end := j.units
		if i+1 < j.nm {
			end = j.first[i+1]
		}
		stop := min(hi, end)
		r0 := (u - j.first[i]) * rowGroup
		r1 := min((stop-j.first[i])*rowGroup, m.Rows)
		matmulRows(j.outs[i], m, j.a, r0, r1)
		u = stop
	}
}

// matmulRows computes rows [r0,r1) of m against every input row.
func matmulRows(out []float32, m *Matrix, a *Activations, r0, r1 int) {
	n, rows := a.Rows(), m.Rows
	switch m.Type {
	case gguf.TypeQ8_0:
		nb := m.Cols / q8Block
		r := r0
		if n >= 4 {
			// Tiles of two weight rows by four input rows: each block
			// loaded once serves eight dot products.
			rb := Q8_0RowSize(m.Cols)
			for ; r+2 <= r1; r += 2 {
				w := m.Data[r*rb : (r+2)*rb]
				t := 0
				for ; t+4 <= n; t += 4 {
					e := mulQ8_0x2x4(w, rb, a, t, nb)
					out[t*rows+r], out[(t+1)*rows+r] = e[0], e[1]
					out[(t+2)*rows+r], out[(t+3)*rows+r] = e[2], e[3]
					out[t*rows+r+1], out[(t+1)*rows+r+1] = e[4], e[5]
					out[(t+2)*rows+r+1], out[(t+3)*rows+r+1] = e[6], e[7]
				}
				for ; t < n; t++ {
					out[t*rows+r] = mulQ8_0(w[:rb], a, t, nb)
					out[t*rows+r+1] = mulQ8_0(w[rb:], a, t, nb)
				}
			}
		}
		for ; r < r1; r++ {
			w := m.Row(r)
			t := 0
			// Tiles of four input rows share each weight block load. (An
			// eight-row tile on int16-widened inputs measured no faster.)
			for ; t+4 <= n; t += 4 {
				four := mulQ8_0x4(w, a, t, nb)
				out[t*rows+r], out[(t+1)*rows+r] = four[0], four[1]
				out[(t+2)*rows+r], out[(t+3)*rows+r] = four[2], four[3]
			}
			for ; t < n; t++ {
				out[t*rows+r] = mulQ8_0(w, a, t, nb)
			}
		}
	case gguf.TypeF16:
		f32In := a.f16FromF32()
		for r := r0; r < r1; r++ {
			w := u16s(m.Row(r))
			for t := 0; t < n; t++ {
				if f32In {
					out[t*rows+r] = dotF16F32(w, a.F32(t))
				} else {
					out[t*rows+r] = dotF16(w, a.f16Row(t))
				}
			}
		}
	case gguf.TypeBF16:
		for r := r0; r < r1; r++ {
			w := u16s(m.Row(r))
			for t := 0; t < n; t++ {
				out[t*rows+r] = dotBF16Plain(w, a.bf16Row(t))
			}
		}
	case gguf.TypeF32:
		// llama.cpp: ggml_vec_dot_f32 for one row, tinyBLAS for batches
		// (when the row length is a multiple of 16, on AVX-512).
		dot := dotF32
		if n >= 2 && m.Cols%16 == 0 {
			dot = dotF32Tile
		}
		for r := r0; r < r1; r++ {
			w := f32s(m.Row(r))
			for t := 0; t < n; t++ {
				out[t*rows+r] = dot(w, a.F32(t))
			}
		}
	default:
		panic(unsupported(m.Type))
	}
}

// f32s and u16s view little-endian weight bytes in place (every platform Go
// runs Burrow on is little-endian and tolerates unaligned loads).
func f32s(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

func u16s(b []byte) []uint16 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), len(b)/2)
}

// dotBF16Plain is ggml's scalar BF16 dot: float32 products summed in float64.
func dotBF16Plain(x, y []uint16) float32 {
	var s float64
	for i, v := range x {
		s += float64(BF16ToF32(v) * BF16ToF32(y[i]))
	}
	return float32(s)
}

// mulQ8_0Plain dots weight row w with input row t of a.
func mulQ8_0Plain(w []byte, a *Activations, t, nb int) float32 {
	return dotQ8_0Plain(w, a.q8Row(t), nb)
}

// mulQ8_0x4Plain is four mulQ8_0Plain calls, the twin of the tiled kernel.
func mulQ8_0x4Plain(w []byte, a *Activations, t, nb int) (out [4]float32) {
	for k := range out {
		out[k] = dotQ8_0Plain(w, a.q8Row(t+k), nb)
	}
	return out
}

// mulQ8_0x2x4Plain is eight mulQ8_0Plain calls, the twin of the 2x4 tile.
func mulQ8_0x2x4Plain(w []byte, wstride int, a *Activations, t, nb int) (out [8]float32) {
	for i := 0; i < 2; i++ {
		for k := 0; k < 4; k++ {
			out[4*i+k] = dotQ8_0Plain(w[i*wstride:], a.q8Row(t+k), nb)
		}
	}
	return out
}
