package llama

import (
	"math"

	"burrow/inference/tensor"
)

// recurrent is the Gated DeltaNet state of one sequence (qwen35) and the
// scratch of its layers. Each recurrent layer keeps the last SSMConv-1
// inputs of its causal conv and, per value head, an SSMState x SSMState
// matrix; neither grows with the context.
//
// Rolling back (Truncate) cannot undo a recurrence, so the state is also
// copied into a few snapshots, each at the position where an Eval of more
// than one token (a prompt, or a chunk of one) ended. Truncate(n) resumes
// from the latest snapshot at or before n and reports that position, so
// the caller re-evaluates from there; with none it recomputes from 0. The
// next chat turn thus reuses the previous prompt's state and re-runs only
// the reply and the new message. Snapshots past the point rolled back to
// are dropped: a later state is never reused for a different history.
type recurrent struct {
	slot     []int // per layer: its index among the recurrent layers, or -1
	convLen  int   // (SSMConv-1)*convDim values per layer
	ssmLen   int   // SSMHeads*SSMState*SSMState values per layer
	live     []float32
	snaps    [recSnapshots]recSnapshot
	convDim  int
	qkv      []float32 // [batch][convDim] projections, before the conv
	conv     []float32 // [batch][convDim] after conv and SiLU; q, k normalised
	z        []float32 // [batch][SSMInner] output gate
	beta     []float32 // [batch][SSMHeads]
	alpha    []float32 // [batch][SSMHeads], then the decay exp(g)
	o        []float32 // [batch][SSMInner] recurrence output
	inInner  *tensor.Activations
	outs4    [4][]float32
	mats4    [4]*tensor.Matrix
	headsRun func(lo, hi int) // heads(lo, hi) over curLayer's curN tokens, made once
	curState []float32
	curN     int

	// The chunked recurrence's scratch, chunkLen values per value head
	// (see headsChunked).
	chunk        int // chunk length (deltaChunk); 0: token by token (batch 1)
	chunkLen     int
	chunkScratch []float32

	// Gated attention: the doubled Q projection, and the gates split from it.
	qg, gate []float32
	// qwen35moe's shared expert.
	shIn, shGate, shUp, shOut []float32
	inShared                  *tensor.Activations
}

// recSnapshots is the number of earlier states kept for rollbacks.
const recSnapshots = 3

type recSnapshot struct {
	pos  int // -1: unused
	data []float32
}

func recLens(c *Config) (conv, ssm, layers int) {
	for l := 0; l < c.Layers; l++ {
		if c.Recurrent(l) {
			layers++
		}
	}
	return (c.SSMConv - 1) * c.ssmConvDim(), c.SSMHeads * c.SSMState * c.SSMState, layers
}

// recurrentBytes is the memory newRecurrent allocates: the live state and
// its snapshots (fixed, whatever the context) and the batch scratch.
func recurrentBytes(c *Config, batch int) uint64 {
	if c.SSMState == 0 {
		return 0
	}
	_, _, layers := recLens(c)
	scratch := uint64(batch) * uint64(2*c.ssmConvDim()+4*c.SSMInner+2*c.SSMHeads+3*c.QDim()+2*c.Dim+2*c.SharedFF)
	_, chunkLen := chunkLens(c, batch)
	scratch += uint64(c.SSMHeads) * uint64(chunkLen)
	return uint64(layers)*recLayerBytes(c) + 4*scratch
}

// recLayerBytes is one DeltaNet layer's fixed memory: its conv and SSM
// state, live and in every snapshot, whatever the context.
func recLayerBytes(c *Config) uint64 {
	conv, ssm, _ := recLens(c)
	return 4 * uint64(conv+ssm) * (1 + recSnapshots)
}

// chunkLens is the chunked recurrence's chunk length for a batch and the
// scratch it needs per value head (see headsChunked).
func chunkLens(c *Config, batch int) (chunk, perHead int) {
	if batch < 2 {
		return 0, 0
	}
	chunk = deltaChunk // whatever the batch: rows of 64 keep the dots fast
	return chunk, 3*chunk + 2*chunk*chunk + 2*chunk*c.SSMState
}

func newRecurrent(c *Config, batch int) *recurrent {
	conv, ssm, layers := recLens(c)
	r := &recurrent{convLen: conv, ssmLen: ssm, convDim: c.ssmConvDim(), slot: make([]int, c.Layers)}
	i := 0
	for l := range r.slot {
		r.slot[l] = -1
		if c.Recurrent(l) {
			r.slot[l] = i
			i++
		}
	}
	r.live = make([]float32, layers*(conv+ssm))
	for k := range r.snaps {
		r.snaps[k] = recSnapshot{pos: -1, data: make([]float32, len(r.live))}
	}
	r.qkv, r.conv = make([]float32, batch*r.convDim), make([]float32, batch*r.convDim)
	r.z, r.o = make([]float32, batch*c.SSMInner), make([]float32, batch*c.SSMInner)
	r.beta, r.alpha = make([]float32, batch*c.SSMHeads), make([]float32, batch*c.SSMHeads)
	r.inInner = tensor.NewActivations(batch, c.SSMInner)
	r.chunk, r.chunkLen = chunkLens(c, batch)
	r.chunkScratch = make([]float32, c.SSMHeads*r.chunkLen)
	r.qg, r.gate = make([]float32, batch*2*c.QDim()), make([]float32, batch*c.QDim())
	if c.SharedFF > 0 {
		r.shIn, r.shOut = make([]float32, batch*c.Dim), make([]float32, batch*c.Dim)
		r.shGate, r.shUp = make([]float32, batch*c.SharedFF), make([]float32, batch*c.SharedFF)
		r.inShared = tensor.NewActivations(batch, c.SharedFF)
	}
	return r
}

// reset empties the state (position 0) and drops the snapshots.
func (r *recurrent) reset() {
	clear(r.live)
	for k := range r.snaps {
		r.snaps[k].pos = -1
	}
}

// snapshot keeps the live state as the state at pos, in place of the
// oldest snapshot.
func (r *recurrent) snapshot(pos int) {
	k := 0
	for i, s := range r.snaps {
		if s.pos == pos {
			return
		}
		if s.pos < r.snaps[k].pos {
			k = i
		}
	}
	r.snaps[k].pos = pos
	copy(r.snaps[k].data, r.live)
}

// rewind makes the live state that at the latest snapshot at or before n
// and returns its position (0 and an empty state when there is none).
// Snapshots after that position are dropped.
func (r *recurrent) rewind(n int) int {
	best := -1
	for i, s := range r.snaps {
		if s.pos >= 0 && s.pos <= n && (best < 0 || s.pos > r.snaps[best].pos) {
			best = i
		}
	}
	if best < 0 || r.snaps[best].pos == 0 {
		r.reset()
		return 0
	}
	pos := r.snaps[best].pos
	copy(r.live, r.snaps[best].data)
	for i := range r.snaps {
		if r.snaps[i].pos > pos {
			r.snaps[i].pos = -1
		}
	}
	return pos
}

// deltaNet is a Gated DeltaNet layer over the batch's n tokens, as
// llama.cpp's qwen35 graph and ggml's gated_delta_net op compute it:
// qkv = causal conv (kernel SSMConv, over the last inputs and these) of
// Wqkv·x, then SiLU; q and k L2-normalised per head; per value head h
// (key head h mod SSMGroups) the decay exp(softplus(alpha+dt)·A) and
// beta = sigmoid(Wbeta·x) drive the delta rule
//
//	S *= decay;  S += k ⊗ beta·(v - Sᵀk);  o = Sᵀq / sqrt(SSMState)
//
// (token by token for one token, in chunks for more); o is RMSNormed per head, times SiLU(z), and projected
// by ssm_out.
func (s *State) deltaNet(l, n int) {
	m, c, p, r := s.m, &s.m.Config, s.pool, s.rec
	L := &m.Layers[l]
	dim, cd, inner, hv := c.Dim, r.convDim, c.SSMInner, c.SSMHeads
	x, xb := s.x[:n*dim], s.xb[:n*dim]
	slot := r.slot[l]
	state := r.live[slot*(r.convLen+r.ssmLen):][:r.convLen+r.ssmLen]
	convState, ssm := state[:r.convLen], state[r.convLen:]

	s.rmsNorm(xb, x, L.AttnNorm, n)
	s.inDim.Set(xb, n)
	qkv, z, beta, alpha := r.qkv[:n*cd], r.z[:n*inner], r.beta[:n*hv], r.alpha[:n*hv]
	r.outs4 = [4][]float32{qkv, z, beta, alpha}
	r.mats4 = [4]*tensor.Matrix{L.Wqkv, L.SSMGate, L.SSMBeta, L.SSMAlpha}
	tensor.MatMulMulti(p, r.outs4[:], r.mats4[:], s.inDim)
	r.outs4, r.mats4 = [4][]float32{}, [4]*tensor.Matrix{}

	// Causal conv over [conv state; qkv]: output t reads inputs t..t+K-1 of
	// that window, channel by channel, kernel tap 0 first (ggml_ssm_conv).
	K := c.SSMConv
	conv := r.conv[:n*cd]
	for t := 0; t < n; t++ {
		out := conv[t*cd : (t+1)*cd]
		for ch := range out {
			w := L.SSMConv1d[ch*K : (ch+1)*K]
			var sum float32
			for j := 0; j < K; j++ {
				i := t + j // row of the window
				var in float32
				if i < K-1 {
					in = convState[i*cd+ch]
				} else {
					in = qkv[(i-K+1)*cd+ch]
				}
				sum += in * w[j]
			}
			out[ch] = tensor.SiLU(sum)
		}
	}
	// The new conv state: the window's last K-1 rows.
	if n >= K-1 {
		copy(convState, qkv[(n-K+1)*cd:n*cd])
	} else {
		keep := K - 1 - n
		copy(convState, convState[n*cd:])
		copy(convState[keep*cd:], qkv[:n*cd])
	}

	// q and k L2-normalised per head; decay and beta per value head.
	hk, sk := c.SSMGroups, c.SSMState
	for t := 0; t < n; t++ {
		row := conv[t*cd : t*cd+2*hk*sk]
		for h := 0; h < 2*hk; h++ {
			l2Norm(row[h*sk:(h+1)*sk], c.NormEps)
		}
		for h := 0; h < hv; h++ {
			i := t*hv + h
			g := softplus(alpha[i]+L.SSMDt[h]) * L.SSMA[h]
			alpha[i] = g // the log decay; the recurrence takes its exp
			beta[i] = sigmoid(beta[i])
		}
	}

	// The recurrence, value heads in parallel.
	r.curState, r.curN = ssm, n
	if r.headsRun == nil {
		r.headsRun = func(lo, hi int) { s.deltaHeads(lo, hi) }
	}
	p.Run(hv, r.headsRun)
	r.curState = nil

	// Gated norm per head, then the output projection and residual.
	o := r.o[:n*inner]
	for i := 0; i < n*hv; i++ {
		oh, zh := o[i*sk:(i+1)*sk], z[i*sk:(i+1)*sk]
		tensor.RMSNorm(oh, oh, L.SSMNorm, c.NormEps)
		for j, zv := range zh {
			oh[j] *= tensor.SiLU(zv)
		}
	}
	r.inInner.Set(o, n)
	tensor.MatMul(p, xb, L.SSMOut, r.inInner)
	addInto(x, xb)
}

// deltaHeads runs value heads lo..hi-1 over the current layer's tokens:
// one token (decode) through the plain recurrence, more in chunks.
func (s *State) deltaHeads(lo, hi int) {
	c, r := &s.m.Config, s.rec
	if r.curN > 1 && r.chunk > 0 {
		r.headsChunked(c, lo, hi, r.curN)
		return
	}
	r.headsToken(c, lo, hi, r.curN)
}

// headsToken is the delta rule token by token over n tokens, heads lo..hi-1
// (the plain twin of headsChunked; decode's path). Head h's matrix is
// stored as ggml does, transposed: row j (a value index) holds
// S[0..SSMState-1][j], so both products read rows, summed as
// ggml_vec_dot_f32 sums them (DotF32GGML, the AVX-512 build's order).
// r.alpha holds the log decay g.
func (r *recurrent) headsToken(c *Config, lo, hi, n int) {
	sv, hk, hv, cd := c.SSMState, c.SSMGroups, c.SSMHeads, r.convDim
	scale := 1 / float32(math.Sqrt(float64(sv)))
	for h := lo; h < hi; h++ {
		S := r.curState[h*sv*sv : (h+1)*sv*sv]
		kh := h % hk
		for t := 0; t < n; t++ {
			row := r.conv[t*cd : (t+1)*cd]
			q := row[kh*sv : (kh+1)*sv]
			k := row[(hk+kh)*sv : (hk+kh+1)*sv]
			v := row[2*hk*sv+h*sv : 2*hk*sv+(h+1)*sv]
			decay := float32(math.Exp(float64(r.alpha[t*hv+h])))
			beta := r.beta[t*hv+h]
			out := r.o[(t*hv+h)*sv : (t*hv+h+1)*sv]
			for j := 0; j < sv; j++ {
				// Row by row: the decay, the delta and the update of row j
				// touch only row j, so this is ggml's whole-matrix order.
				Sj := S[j*sv : (j+1)*sv]
				scaleRow(Sj, decay)
				d := (v[j] - tensor.DotF32GGML(Sj, k)) * beta
				madRow(Sj, k, d)
				// o[j] reads row j after its update; rows are independent.
				out[j] = tensor.DotF32GGML(Sj, q) * scale
			}
		}
	}
}

// deltaChunk is the chunk length of the chunked recurrence (llama.cpp's).
const deltaChunk = 64

// headsChunked is the delta rule over n tokens in chunks of up to
// deltaChunk, heads lo..hi-1, as llama.cpp's chunked graph (delta-net-base)
// computes it. Within a chunk, with G_t the cumulative log decay from the
// chunk's start and S0 the state before it, token t's delta is
//
//	d_t = β_t (v_t - e^{G_t} S0ᵀk_t - Σ_{s<t} e^{G_t-G_s} (k_t·k_s) d_s)
//
// a unit lower-triangular system solved forward (the WY form); then
//
//	o_t = (e^{G_t} S0ᵀq_t + Σ_{s≤t} e^{G_t-G_s} (q_t·k_s) d_s) / sqrt(SSMState)
//	S   = e^{G_C} S0 + Σ_s e^{G_C-G_s} k_s ⊗ d_s
//
// so the state is read twice and written once per chunk instead of per
// token. The deltas and keys are kept transposed (a row per value or key
// index, a column per token), so every sum above, the solve's included, is
// a dot product of rows (DotF32GGML's SIMD kernel). Each head has its own
// scratch (r.chunkScratch), so heads run in parallel without sharing any.
func (r *recurrent) headsChunked(c *Config, lo, hi, n int) {
	sv, hk, hv, cd := c.SSMState, c.SSMGroups, c.SSMHeads, r.convDim
	scale := 1 / float32(math.Sqrt(float64(sv)))
	C := r.chunk
	for h := lo; h < hi; h++ {
		S := r.curState[h*sv*sv : (h+1)*sv*sv]
		kh := h % hk
		sc := r.chunkScratch[h*r.chunkLen : (h+1)*r.chunkLen]
		eg, sc := sc[:C], sc[C:]       // e^{G_t}
		A, sc := sc[:C*C], sc[C*C:]    // [t][s]: e^{G_t-G_s} (k_t·k_s), s < t
		B, sc := sc[:C*C], sc[C*C:]    // [t][s]: e^{G_t-G_s} (q_t·k_s), s ≤ t
		DT, sc := sc[:sv*C], sc[sv*C:] // [j][t] deltas
		KT, sc := sc[:sv*C], sc[sv*C:] // [i][t] keys
		dl, w := sc[:C], sc[C:2*C]     // e^{G_last-G_s}; a state row's weights
		for t0 := 0; t0 < n; t0 += C {
			m := min(C, n-t0)
			qOf := func(t int) []float32 { return r.conv[(t0+t)*cd+kh*sv:][:sv] }
			kOf := func(t int) []float32 { return r.conv[(t0+t)*cd+(hk+kh)*sv:][:sv] }
			// The decays from running sums in float64: a difference of two
			// large float32 cumsums would lose the exponent's low bits.
			var g float64
			for t := 0; t < m; t++ {
				g += float64(r.alpha[(t0+t)*hv+h])
				eg[t] = float32(math.Exp(g))
				qt, kt := qOf(t), kOf(t)
				B[t*C+t] = tensor.DotF32GGML(qt, kt)
				A[t*C+t] = 0
				// Zeros past the diagonal: the sums below run over whole
				// rows, a multiple of 64 long, the dot kernel's fast case.
				clear(A[t*C+t+1 : (t+1)*C])
				clear(B[t*C+t+1 : (t+1)*C])
				var gs float64 // G_t - G_s
				for s := t - 1; s >= 0; s-- {
					gs += float64(r.alpha[(t0+s+1)*hv+h])
					d := float32(math.Exp(gs))
					ks := kOf(s)
					A[t*C+s] = d * tensor.DotF32GGML(kt, ks)
					B[t*C+s] = d * tensor.DotF32GGML(qt, ks)
				}
				for i, v := range kt {
					KT[i*C+t] = v
				}
			}
			// S0ᵀk_t into the deltas and S0ᵀq_t into the outputs; a short
			// chunk's unused columns are zero.
			for j := 0; j < sv; j++ {
				Sj := S[j*sv : (j+1)*sv]
				for t := 0; t < m; t++ {
					DT[j*C+t] = tensor.DotF32GGML(Sj, kOf(t))
					r.o[((t0+t)*hv+h)*sv+j] = tensor.DotF32GGML(Sj, qOf(t))
				}
				clear(DT[j*C+m : (j+1)*C])
			}
			// The forward solve, token by token; DT[j][:t] are known.
			for t := 0; t < m; t++ {
				v := r.conv[(t0+t)*cd+2*hk*sv+h*sv:][:sv]
				beta, e, At := r.beta[(t0+t)*hv+h], eg[t], A[t*C:(t+1)*C]
				for j := 0; j < sv; j++ {
					// A_t is zero from t on, DT[j][t:] finite (S0ᵀk, or
					// cleared), so the whole row sums the known deltas.
					DT[j*C+t] = beta * (v[j] - e*DT[j*C+t] - tensor.DotF32GGML(At, DT[j*C:(j+1)*C]))
				}
			}
			// Outputs: the decayed old state's part plus the chunk's.
			for t := 0; t < m; t++ {
				out := r.o[((t0+t)*hv+h)*sv:][:sv]
				e, Bt := eg[t], B[t*C:(t+1)*C]
				for j := range out {
					out[j] = (e*out[j] + tensor.DotF32GGML(Bt, DT[j*C:(j+1)*C])) * scale
				}
			}
			// The state at the chunk's end: S_j = e^{G_m} S_j + Σ_s w_s d_s[j] k_s.
			last := m - 1
			var gs float64
			for s := last; s >= 0; s-- {
				dl[s] = float32(math.Exp(gs))
				gs += float64(r.alpha[(t0+s)*hv+h])
			}
			el := eg[last]
			clear(w[m:])
			for j := 0; j < sv; j++ {
				Sj := S[j*sv : (j+1)*sv]
				for s, d := range dl[:m] {
					w[s] = d * DT[j*C+s]
				}
				for i := range Sj {
					Sj[i] = el*Sj[i] + tensor.DotF32GGML(w, KT[i*C:(i+1)*C])
				}
			}
		}
	}
}

// scaleRow sets x *= a (ggml_vec_scale_f32), four values a step.
func scaleRow(x []float32, a float32) {
	i := 0
	for ; i+4 <= len(x); i += 4 {
		x4 := x[i : i+4 : i+4]
		x4[0] *= a
		x4[1] *= a
		x4[2] *= a
		x4[3] *= a
	}
	for ; i < len(x); i++ {
		x[i] *= a
	}
}

// madRow sets y += x*a (ggml_vec_mad_f32), four values a step.
func madRow(y, x []float32, a float32) {
	x = x[:len(y)]
	i := 0
	for ; i+4 <= len(y); i += 4 {
		y4, x4 := y[i:i+4:i+4], x[i:i+4:i+4]
		y4[0] += x4[0] * a
		y4[1] += x4[1] * a
		y4[2] += x4[2] * a
		y4[3] += x4[3] * a
	}
	for ; i < len(y); i++ {
		y[i] += x[i] * a
	}
}

// l2Norm scales x to unit length as ggml_l2_norm: x / max(‖x‖, eps),
// the squares summed in float64.
func l2Norm(x []float32, eps float32) {
	var sum float64
	for _, v := range x {
		sum += float64(v * v)
	}
	scale := 1 / max(float32(math.Sqrt(sum)), eps)
	for i := range x {
		x[i] *= scale
	}
}

// softplus is ggml's log(1+e^x), x itself above 20.
func softplus(x float32) float32 {
	if x > 20 {
		return x
	}
	return float32(math.Log1p(math.Exp(float64(x))))
}
