package tensor

import (
	"fmt"
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

// rowsTiled4 is matmulRows for a type with a four-input-row tile: dot4
// dots weight row w with input rows t..t+3 (stride bytes apart) and gives
// each the bits dot gives it, so only the weight unpacking is shared.
func rowsTiled4(out []float32, m *Matrix, a *Activations, r0, r1 int,
	dot func(w, x []byte, nb int) float32, dot4 func(w, x []byte, stride, nb int) [4]float32) {
	f := lookup(m.Type).formOf(a)
	n, rows, nb := a.Rows(), m.Rows, m.Cols/m.Type.BlockSize()
	b := &a.bufs[f]
	for r := r0; r < r1; r++ {
		w := m.Row(r)
		t := 0
		for ; t+4 <= n; t += 4 {
			four := dot4(w, b.data[t*b.stride:(t+4)*b.stride], b.stride, nb)
			out[t*rows+r], out[(t+1)*rows+r] = four[0], four[1]
			out[(t+2)*rows+r], out[(t+3)*rows+r] = four[2], four[3]
		}
		for ; t < n; t++ {
			out[t*rows+r] = dot(w, a.row(f, t), nb)
		}
	}
}

// matmulRows computes rows [r0,r1) of m against every input row with the
// active set's kernels for m's type: its own loop if it has one (tiles),
// else one dot per (weight row, input row).
func matmulRows(out []float32, m *Matrix, a *Activations, r0, r1 int) {
	k := kernelsOf(m.Type)
	if k.dot == nil {
		panic(unsupported(m.Type))
	}
	if k.rows != nil {
		k.rows(out, m, a, r0, r1)
		return
	}
	f := lookup(m.Type).formOf(a)
	n, rows, nb := a.Rows(), m.Rows, m.Cols/m.Type.BlockSize()
	for r := r0; r < r1; r++ {
		w := m.Row(r)
		for t := 0; t < n; t++ {
			out[t*rows+r] = k.dot(w, a.row(f, t), nb)
		}
	}
}
