package tensor

import (
	"fmt"
	"math"
)

// AttnShape describes a layer's attention heads.
type AttnShape struct {
	Heads, KVHeads, HeadDim int
	// Scale multiplies q·k before the softmax: 1/sqrt(HeadDim) for most
	// families, 1 when the queries were scaled beforehand.
	Scale float32
	// Window > 0 limits attention to the last Window positions (sliding
	// window attention): the token at position p sees p-Window+1..p.
	Window int
	// Softcap > 0 caps every score s (after Scale) to Softcap*tanh(s/Softcap)
	// before the softmax (gemma2's attn_logit_softcapping).
	Softcap float32
	// Sinks, if set, holds one learned logit per query head that joins
	// that head's softmax denominator without a value (gpt-oss).
	Sinks []float32
}

// KV is one layer's KV cache, row j (position j) being
// [j*KVHeads*HeadDim, (j+1)*KVHeads*HeadDim), KV head g at offset
// g*HeadDim: in F32 (K, V), in F16 (K16, V16) or in Q8_0 (K8, V8: a row
// is Q8_0KVRowBytes(KVHeads*HeadDim) bytes, KV head g at byte
// g*HeadDim/32*34; HeadDim a multiple of 32).
type KV struct {
	K, V     []float32
	K16, V16 []uint16
	K8, V8   []byte
	// NoFlash attends an F16 cache with llama.cpp's arithmetic without
	// flash attention (AttentionF16NoFlash), its default; else flash's.
	NoFlash bool
}

// KVKind is the element type of a KV cache, for NewAttnScratchFor.
type KVKind int

const (
	KVKindF32 KVKind = iota
	KVKindF16
	KVKindQ8_0
	// KVKindF16NoFlash is an F16 cache attended without flash attention.
	KVKindF16NoFlash
)

func (kv *KV) kind() KVKind {
	switch {
	case kv.K16 != nil && kv.NoFlash:
		return KVKindF16NoFlash
	case kv.K16 != nil:
		return KVKindF16
	case kv.K8 != nil:
		return KVKindQ8_0
	}
	return KVKindF32
}

// AttnScratch is the per-thread scratch of AttentionBatch, made once for
// a largest context.
type AttnScratch struct {
	threads, perThread int
	f32                []float32 // F32 cache: scores and lanes of a KV head's group
	q16                []uint16  // F16 cache: a query rounded to F16
	q8                 []byte    // Q8_0 cache: a query quantized to Q8_0
	acc                []float32 // F16 and Q8_0 caches: the accumulated values
	nf16               []uint16  // F16 without flash: query and weights, perThread16 per thread
	perThread16        int
	split              *splitScratch
}

// NewAttnScratch makes scratch for threads threads attending over up to
// maxPos positions of a cache of the given kind.
func NewAttnScratch(threads int, sh AttnShape, maxPos int, f16 bool) *AttnScratch {
	if f16 {
		return NewAttnScratchFor(threads, sh, maxPos, KVKindF16)
	}
	return NewAttnScratchFor(threads, sh, maxPos, KVKindF32)
}

// NewAttnScratchFor is NewAttnScratch for a cache of any kind.
func NewAttnScratchFor(threads int, sh AttnShape, maxPos int, kind KVKind) *AttnScratch {
	threads = max(threads, 1)
	s := &AttnScratch{threads: threads, split: newSplitScratch(threads, sh, maxPos, kind)}
	switch kind {
	case KVKindF16:
		s.q16 = make([]uint16, threads*sh.HeadDim)
		s.acc = make([]float32, threads*sh.HeadDim)
	case KVKindQ8_0:
		s.q8 = make([]byte, threads*Q8_0RowSize(sh.HeadDim))
		s.acc = make([]float32, threads*sh.HeadDim)
	case KVKindF16NoFlash:
		s.perThread, s.perThread16 = nfScratch(sh.HeadDim, maxPos)
		s.f32 = make([]float32, threads*s.perThread)
		s.nf16 = make([]uint16, threads*s.perThread16)
	default:
		s.perThread = sh.Heads / max(sh.KVHeads, 1) * headScratch(sh.HeadDim, maxPos)
		s.f32 = make([]float32, threads*s.perThread)
	}
	return s
}

// AttnScratchBytes is the memory NewAttnScratch takes.
func AttnScratchBytes(threads int, sh AttnShape, maxPos int, f16 bool) uint64 {
	if f16 {
		return AttnScratchBytesFor(threads, sh, maxPos, KVKindF16)
	}
	return AttnScratchBytesFor(threads, sh, maxPos, KVKindF32)
}

// AttnScratchBytesFor is the memory NewAttnScratchFor takes.
func AttnScratchBytesFor(threads int, sh AttnShape, maxPos int, kind KVKind) uint64 {
	threads = max(threads, 1)
	n := splitScratchBytes(threads, sh, maxPos, kind)
	switch kind {
	case KVKindF16:
		return n + uint64(threads*sh.HeadDim)*6
	case KVKindQ8_0:
		return n + uint64(threads*(Q8_0RowSize(sh.HeadDim)+4*sh.HeadDim))
	case KVKindF16NoFlash:
		f32, f16 := nfScratch(sh.HeadDim, maxPos)
		return n + uint64(threads*(4*f32+2*f16))
	}
	return n + uint64(threads*sh.Heads/max(sh.KVHeads, 1)*headScratch(sh.HeadDim, maxPos))*4
}

// AttentionBatch computes the attention of n query tokens at positions
// pos0..pos0+n-1 over a layer's cache, which already holds their own keys
// and values: token t sees positions up to pos0+t (the causal mask), and
// with a window only the last Window of them. q and out are [n][Heads*HeadDim].
// The (token, head) pairs are spread over p's threads (p may be nil); the
// arithmetic of each is Attention's (F32 cache) or AttentionF16's (F16).
func AttentionBatch(p *Pool, out, q []float32, kv KV, pos0, n int, sh AttnShape, s *AttnScratch) {
	if n <= 0 {
		return
	}
	kind := kv.kind()
	if sh.Heads <= 0 || sh.KVHeads <= 0 || sh.Heads%sh.KVHeads != 0 || sh.HeadDim <= 0 || pos0 < 0 {
		panic(fmt.Sprintf("tensor: AttentionBatch with %d heads, %d KV heads, head size %d", sh.Heads, sh.KVHeads, sh.HeadDim))
	}
	qDim, kvDim, nPos := sh.Heads*sh.HeadDim, sh.KVHeads*sh.HeadDim, pos0+n
	short := len(q) < n*qDim || len(out) < n*qDim || s.threads < p.Threads()
	switch kind {
	case KVKindF16:
		short = short || len(kv.K16) < nPos*kvDim || len(kv.V16) < nPos*kvDim || s.q16 == nil
	case KVKindF16NoFlash:
		n32, n16 := nfScratch(sh.HeadDim, nPos)
		short = short || len(kv.K16) < nPos*kvDim || len(kv.V16) < nPos*kvDim || s.perThread < n32 || s.perThread16 < n16
	case KVKindQ8_0:
		if sh.HeadDim%q8Block != 0 {
			panic(fmt.Sprintf("tensor: AttentionBatch over a Q8_0 cache with head size %d, not a multiple of 32", sh.HeadDim))
		}
		rb := Q8_0RowSize(kvDim)
		short = short || len(kv.K8) < nPos*rb || len(kv.V8) < nPos*rb || s.q8 == nil
	default:
		short = short || len(kv.K) < nPos*kvDim || len(kv.V) < nPos*kvDim || len(s.f32) < s.threads*(sh.Heads/sh.KVHeads)*headScratch(sh.HeadDim, nPos)
	}
	short = short || (sh.Sinks != nil && len(sh.Sinks) < sh.Heads)
	if short {
		panic(fmt.Sprintf("tensor: AttentionBatch buffers too small for %d tokens of %d heads x %d over %d positions", n, sh.Heads, sh.HeadDim, nPos))
	}
	job := attentionJob{out: out, q: q, kv: kv, pos0: pos0, n: n, sh: sh, kind: kind,
		scratch: s.f32, perThread: s.perThread, q16: s.q16, q8: s.q8, acc: s.acc, nf16: s.nf16, perThread16: s.perThread16}
	if job.splitDecode(p, s.split) {
		return
	}
	job.dispatch(p)
}

// Attention computes one query token's attention over the first nPos
// positions of a layer's F32 KV cache:
//
//	out[h] = sum_j softmax_j(q[h]·k[j][g] / sqrt(headDim)) * v[j][g],  g = h / (nHead/nKVHead)
//
// Layout: q and out hold nHead heads of headDim values (q already rotated);
// k and v are the layer's cache as in KV. The query at position nPos-1
// sees positions 0..nPos-1 only, so the causal mask is the choice of nPos
// (its own K/V must already be stored). scratch holds at least
// AttentionScratch(nHead, headDim, nPos) floats. Heads run on p's threads
// (p may be nil).
//
// The arithmetic is llama.cpp's for an F32 cache without flash attention,
// as its x86 AVX-512 build runs it (the build that made the shared
// references): scores by DotF32GGML times 1/sqrtf(headDim), a softmax over
// the row padded to a multiple of 16 (ggml_v_expf, _mm512_reduce_add_ps
// order), and the weighted sum of V by WeightedSumGGML.
func Attention(p *Pool, out, q, k, v []float32, nPos, nHead, nKVHead, headDim int, scratch []float32) {
	if nHead <= 0 || nKVHead <= 0 || nHead%nKVHead != 0 || nPos <= 0 || headDim <= 0 {
		panic(fmt.Sprintf("tensor: Attention with %d heads, %d KV heads, %d positions", nHead, nKVHead, nPos))
	}
	kvDim := nKVHead * headDim
	if len(q) < nHead*headDim || len(out) < nHead*headDim || len(k) < nPos*kvDim || len(v) < nPos*kvDim ||
		len(scratch) < AttentionScratch(nHead, headDim, nPos) {
		panic(fmt.Sprintf("tensor: Attention buffers too small for %d heads x %d, %d KV heads, %d positions", nHead, headDim, nKVHead, nPos))
	}
	sh := AttnShape{Heads: nHead, KVHeads: nKVHead, HeadDim: headDim, Scale: 1 / float32(math.Sqrt(float64(headDim)))}
	job := attentionJob{out: out, q: q, kv: KV{K: k, V: v}, pos0: nPos - 1, n: 1, sh: sh, scratch: scratch}
	job.dispatch(p)
}

// AttentionScratch is the scratch Attention needs, in floats.
func AttentionScratch(nHead, headDim, nPos int) int {
	return nHead * headScratch(headDim, nPos)
}

func headScratch(headDim, nPos int) int { return nPos + WeightedSumScratch(headDim, nPos) }

// attentionJob is the attention of a batch of tokens in one layer, shared
// by a pool's threads. Its units are (token, KV head) pairs when byKV,
// else (token, query head) pairs.
type attentionJob struct {
	out, q  []float32
	kv      KV
	pos0, n int
	sh      AttnShape
	kind    KVKind
	byKV    bool
	units   int // per token
	// F32 cache: scratch regions of perThread floats per thread, or, when
	// perThread is 0 (Attention's one token), one region per head.
	scratch   []float32
	perThread int
	q16       []uint16 // F16 cache: HeadDim per thread
	q8        []byte   // Q8_0 cache: a Q8_0 row of HeadDim per thread
	acc       []float32
	// F16 without flash: perThread floats of scratch, perThread16 halves.
	nf16        []uint16
	perThread16 int
}

func (j *attentionJob) dispatch(p *Pool) {
	// F32 work splits by KV head, so the query heads sharing one read its
	// cache rows while they are in L1; with fewer units than threads, by
	// head. The F16 and Q8_0 kernels run one head at a time.
	j.byKV = j.kind == KVKindF32 && (p == nil || j.n*j.sh.KVHeads >= p.threads)
	j.units = j.sh.Heads
	if j.byKV {
		j.units = j.sh.KVHeads
	}
	total := j.n * j.units
	if p == nil || p.threads == 1 || total == 1 {
		j.run(0, 0, total)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.att = *j
	defer func() { p.att = attentionJob{} }()
	p.runThreadsLocked(total, p.attFn)
}

// run does units [lo,hi) on thread thread.
func (j *attentionJob) run(thread, lo, hi int) {
	hd, group := j.sh.HeadDim, j.sh.Heads/j.sh.KVHeads
	qDim, kvDim := j.sh.Heads*hd, j.sh.KVHeads*hd
	for i := lo; i < hi; i++ {
		t, u := i/j.units, i%j.units
		nPos := j.pos0 + t + 1
		first := 0
		if w := j.sh.Window; w > 0 && nPos > w {
			first = nPos - w
		}
		q, out := j.q[t*qDim:(t+1)*qDim], j.out[t*qDim:(t+1)*qDim]
		switch {
		case j.kind == KVKindQ8_0:
			rb, hb := Q8_0RowSize(kvDim), Q8_0RowSize(hd)
			off := first*rb + (u/group)*hb
			q8, acc := j.q8[thread*hb:(thread+1)*hb], j.acc[thread*hd:(thread+1)*hd]
			if j.sh.Sinks != nil {
				AttentionQ8_0Sink(out[u*hd:(u+1)*hd], q[u*hd:(u+1)*hd], j.kv.K8[off:], j.kv.V8[off:], rb, nPos-first,
					j.sh.Scale, j.sh.Sinks[u], q8, acc)
				break
			}
			AttentionQ8_0(out[u*hd:(u+1)*hd], q[u*hd:(u+1)*hd], j.kv.K8[off:], j.kv.V8[off:], rb, nPos-first,
				j.sh.Scale, j.sh.Softcap, q8, acc)
		case j.kind == KVKindF16NoFlash:
			off := first*kvDim + (u/group)*hd
			var sink *float32
			if j.sh.Sinks != nil {
				sink = &j.sh.Sinks[u]
			}
			AttentionF16NoFlash(out[u*hd:(u+1)*hd], q[u*hd:(u+1)*hd], j.kv.K16[off:], j.kv.V16[off:], kvDim, nPos-first,
				j.sh.Scale, j.sh.Softcap, sink, j.scratch[thread*j.perThread:(thread+1)*j.perThread],
				j.nf16[thread*j.perThread16:(thread+1)*j.perThread16])
		case j.kind == KVKindF16:
			off := first*kvDim + (u/group)*hd
			if j.sh.Sinks != nil {
				AttentionF16Sink(out[u*hd:(u+1)*hd], q[u*hd:(u+1)*hd], j.kv.K16[off:], j.kv.V16[off:], kvDim, nPos-first,
					j.sh.Scale, j.sh.Sinks[u], j.q16[thread*hd:(thread+1)*hd], j.acc[thread*hd:(thread+1)*hd])
				break
			}
			attentionF16(out[u*hd:(u+1)*hd], q[u*hd:(u+1)*hd], j.kv.K16[off:], j.kv.V16[off:], kvDim, nPos-first,
				j.sh.Scale, j.sh.Softcap, j.q16[thread*hd:(thread+1)*hd], j.acc[thread*hd:(thread+1)*hd])
		case j.byKV:
			j.heads(thread, q, out, first, nPos, u*group, (u+1)*group, u)
		default:
			j.heads(thread, q, out, first, nPos, u, u+1, u/group)
		}
	}
}

// attBlock is the number of cache positions whose K rows for one KV head
// (attBlock*headDim floats) stay in L1 while every query head of the group
// scores them.
const attBlock = 32

// heads computes query heads [h0,h1) of one token over cache positions
// [first,nPos), which all read KV head g. Loops run over cache rows
// outside and heads inside, so each row is fetched once for the group;
// every value is still computed in llama.cpp's order.
func (j *attentionJob) heads(thread int, q, out []float32, first, nPos, h0, h1, g int) {
	hd, kvDim := j.sh.HeadDim, j.sh.KVHeads*j.sh.HeadDim
	m := nPos - first
	k, v := j.kv.K[first*kvDim+g*hd:], j.kv.V[first*kvDim+g*hd:]
	hs := headScratch(hd, m)
	base := func(h int) int {
		if j.perThread == 0 {
			return h * hs
		}
		return thread*j.perThread + (h-h0)*hs
	}
	for b := 0; b < m; b += attBlock {
		e := min(b+attBlock, m)
		for h := h0; h < h1; h++ {
			o := base(h)
			scoresGGML(j.scratch[o+b:o+e], k[b*kvDim:], kvDim, q[h*hd:(h+1)*hd], j.sh.Scale)
			if c := j.sh.Softcap; c > 0 {
				softcapScores(j.scratch[o+b:o+e], 1/c, c)
			}
		}
	}
	for h := h0; h < h1; h++ {
		o := base(h)
		if j.sh.Sinks != nil {
			softmaxSink(j.scratch[o:o+m], j.sh.Sinks[h])
			continue
		}
		softmaxPadded(j.scratch[o : o+m])
	}
	// Weights times V: lane p%16 of every output sums positions p in order.
	for h := h0; h < h1; h++ {
		o := base(h)
		lanes := j.scratch[o+m : o+m+16*hd]
		clear(lanes)
		wsumLanes(lanes, v, kvDim, j.scratch[o:o+m])
	}
	for h := h0; h < h1; h++ {
		o := base(h)
		reduceLanes(out[h*hd:(h+1)*hd], j.scratch[o+m:o+m+16*hd])
	}
}

// softcapScores sets each score s to c*tanh(s*inv), as llama.cpp does
// without flash attention: ggml_scale by 1/cap, ggml_tanh (tanhf), ggml_scale
// by cap, each rounded to float32.
func softcapScores(x []float32, inv, c float32) {
	for i, s := range x {
		x[i] = float32(math.Tanh(float64(s*inv))) * c
	}
}

// softmaxPadded is ggml's soft_max over a row that llama.cpp pads with
// masked (-inf) entries to a multiple of 16: every value goes through expV,
// in groups of 16 summed in reduce16 order into a float64.
func softmaxPadded(x []float32) {
	mx := maxF32(x)
	expSub(x, mx)
	scaleF32(x, float32(1/sumGroups16(x)))
}

// softmaxSink is softmaxPadded with a sink logit (ggml_soft_max_ext's
// sinks): the maximum includes it and exp(sink - max) joins the sum, so
// the weights add up to less than 1.
func softmaxSink(x []float32, sink float32) {
	mx := max(sink, maxF32(x))
	expSub(x, mx)
	sum := sumGroups16(x) + float64(exp32(sink-mx))
	scaleF32(x, float32(1/sum))
}
