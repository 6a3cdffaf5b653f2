package llama

import (
	"errors"
	"fmt"

	"burrow/inference/gguf"
	"burrow/inference/tensor"
)

// MaxBatchRows is the most sequences a Batch decodes in one pass.
const MaxBatchRows = 4

// Batch decodes one token of each of up to MaxBatchRows sequences (their
// own States: KV cache, position) in one pass over the weights: the
// matmuls take the tokens as the rows of one input, which reads every
// weight once for all of them, and only attention runs per row, each in
// its own State's cache at its own position. Decode is memory-bound, so
// four sequences cost little more than one.
//
// Most kernels give a row the bits they give it alone (the matmul tiles
// promise it), so a sequence decoded in a batch
// gets the logits, bit for bit, that State.Eval of its token gives. Two
// follow llama.cpp into another order for batches, and a Batch pads every
// pass to the rows that keep each sequence in one order, whoever shares
// it: F32 and F16 matrices take tinyBLAS's order from 2 rows (a lone
// sequence gets one padding row), repacked Q4_K its gemm at 4 rows (every
// pass has 4). Then a reply's text does not depend on the others decoding
// beside it (TestBatchRowsIndependent). (The experts of a mixture of
// experts see as many rows as tokens chose them, so a Q4_K, F16 or F32
// expert may still round a row differently beside others.)
// A Batch is used by one goroutine at a time.
type Batch struct {
	s       *State // scratch for MaxBatchRows rows; its own tiny cache is unused
	pad     *State // the padding rows, rolled back every step
	minRows int    // rows of the smallest pass (padRows)
	ids     [MaxBatchRows]int
	rows    [MaxBatchRows]*State
	logits  []float32 // [MaxBatchRows][Vocab]
}

// NewBatch makes the scratch of a batched decode for m, running the
// matmuls on threads threads (<= 0: the default). It holds MaxBatchRows
// rows of the forward pass's buffers and logits (a few MB for a 1B model):
// the KV caches are the States'.
func (m *Model) NewBatch(threads int) (*Batch, error) {
	s, err := m.NewStateWith(StateOptions{Context: MaxBatchRows, Threads: threads, Batch: MaxBatchRows})
	if err != nil {
		return nil, err
	}
	pad, err := m.NewStateWith(StateOptions{Context: 1, Threads: 1})
	if err != nil {
		s.Close()
		return nil, err
	}
	return &Batch{s: s, pad: pad, minRows: padRows(m), logits: make([]float32, MaxBatchRows*m.Config.VocabSize)}, nil
}

// Close stops the batch's worker threads.
func (b *Batch) Close() {
	b.s.Close()
	b.pad.Close()
}

// Decode appends ids[i] to states[i] for every i, as states[i].Eval of
// that one token would, and leaves each state's logits where Eval returns
// them (Logits). The states must be distinct, of b's model, and not
// traced. It fails, changing nothing, when a token is out of range or a
// state's context is full. A state whose logits come out non-finite is
// rolled back by its token and the error (wrapping ErrNonFinite) names it;
// the others keep theirs. A model with recurrent layers (qwen35) runs the
// states one after the other: its layers keep one state per sequence that
// the batch pass does not carry.
func (b *Batch) Decode(states []*State, ids []int) error {
	n := len(states)
	switch {
	case n == 0 || n > MaxBatchRows:
		return fmt.Errorf("llama: a batch of %d sequences (1..%d)", n, MaxBatchRows)
	case len(ids) != n:
		return fmt.Errorf("llama: a batch of %d sequences with %d tokens", n, len(ids))
	}
	for i, st := range states {
		if st.m != b.s.m || st.trace != nil {
			return errors.New("llama: a batch's states must be untraced states of its model")
		}
		for _, o := range states[:i] {
			if o == st {
				return errors.New("llama: a state appears twice in one batch")
			}
		}
		b.ids[i] = ids[i]
		if err := st.checkTokens(b.ids[i : i+1]); err != nil {
			return err
		}
	}
	if b.s.rec != nil {
		var first error
		for i, st := range states {
			if _, err := st.Eval(b.ids[i : i+1]); err != nil && first == nil {
				first = fmt.Errorf("llama: batch row %d: %w", i, err)
			}
		}
		return first
	}

	rows := b.rows[:n]
	copy(rows, states)
	for len(rows) < b.minRows { // padding, so every sequence takes the same arithmetic
		b.pad.Truncate(0)
		b.ids[len(rows)] = 0
		rows = append(rows, b.pad)
	}
	s, vocab := b.s, len(b.s.logits)
	s.pos, s.rows = 0, rows // attention goes to the rows' own caches (attendRows)
	s.forward(b.ids[:len(rows)], b.logits[:len(rows)*vocab], false)
	s.pos, s.rows = 0, nil
	clear(b.rows[:])
	var first error
	for i, st := range states {
		st.pos++
		row := b.logits[i*vocab : (i+1)*vocab]
		copy(st.logits, row)
		if err := checkFinite(row, vocab, st.pos-1); err != nil {
			st.Truncate(st.pos - 1)
			if first == nil {
				first = fmt.Errorf("llama: batch row %d: %w", i, err)
			}
		}
	}
	return first
}

// Logits are the logits after the last token the state evaluated (by Eval
// or a Batch), the slice Eval returns.
func (s *State) Logits() []float32 { return s.logits }

// attendRows is attention's per-row part in a batch (Batch.Decode): row t
// is the next token of sequence s.rows[t], rotated by its own position
// (and its own context's rope factors), scaled, and attending over its own
// cache, with the arithmetic of that sequence's Eval of one token.
func (s *State) attendRows(l int, q, k, v, att []float32, base, scale float32, yarn *tensor.YaRN, shape tensor.AttnShape) {
	c := &s.m.Config
	qDim, kvDim := c.Heads*c.LayerHeadDim(l), c.LayerKVHeads(l)*c.LayerHeadDim(l)
	for t, r := range s.rows {
		qt, at := q[t*qDim:(t+1)*qDim:(t+1)*qDim], att[t*qDim:(t+1)*qDim:(t+1)*qDim]
		kt, vt := k[t*kvDim:(t+1)*kvDim:(t+1)*kvDim], v[t*kvDim:(t+1)*kvDim:(t+1)*kvDim]
		r.rope(l, r.pos, 1, qt, kt, base, scale, yarn)
		r.attendCached(l, r.pos, 1, qt, kt, vt, at, shape)
	}
}

// padRows is the fewest rows of m's passes: 4 with a repacked Q4_K matrix
// (its gemm sums 4 rows in another order than gemv's 1 to 3), else 2 with
// an F32 or F16 one (tinyBLAS from 2 rows), else 1.
func padRows(m *Model) int {
	rows := 1
	see := func(ms ...*tensor.Matrix) {
		for _, x := range ms {
			switch {
			case x == nil:
			case x.Type == gguf.TypeQ4_K && x.Repacked():
				rows = MaxBatchRows
			case x.Type == gguf.TypeF32 || x.Type == gguf.TypeF16:
				rows = max(rows, 2)
			}
		}
	}
	see(m.Output, m.PLEModelProj)
	for i := range m.Layers {
		L := &m.Layers[i]
		see(L.Wq, L.Wk, L.Wv, L.Wo, L.Gate, L.Up, L.Down, L.Wqkv, L.GateUp, L.ShGate, L.ShUp, L.ShDown, L.PLEGate, L.PLEProj)
	}
	return rows
}

// PadRows is the fewest rows a pass of b runs (padding included).
func (b *Batch) PadRows() int { return b.minRows }
