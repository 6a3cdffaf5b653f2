package tensor

import "math"

// Split decoding: one query token over a long cache, spread over the
// pool's threads by positions and by value columns instead of by heads, so
// every thread streams its share of the cache whatever the number of heads.
// Flash-decoding proper gives each thread a block of positions and merges
// the blocks' partial maxima, sums and weighted values; the merge rescales
// the partial sums, which rounds differently from one pass over the
// positions (llama.cpp's own split path, for F32/F16 caches at 512 or more
// positions, depends on its thread count for that reason). Here the work is
// cut where it is exact instead, in three passes:
//
//  A. scores, by (KV head, block of splitBlock positions): each key row is
//     read once for the query heads of its group;
//  B. the softmax, by head: the F32 cache's padded softmax as it is, or
//     the F16 and Q8_0 caches' online-softmax factors (scale, weight) per
//     position and their sum, in position order;
//  C. the weighted values, by (head, run of splitCols value columns): each
//     output value is its own chain over the positions, so a run of columns
//     gives the same bits as the whole row.
//
// The result is bit for bit that of the head-by-head kernels at any number
// of threads. Pass B is serial in the positions per head but reads no
// cache; the cache reads (A and C) are spread over all threads.

// splitBlock is the positions of one scoring unit; a multiple of 16 (the
// F32 softmax's groups) and of the F16 kernels' blocks.
const splitBlock = 128

// splitCols is the value columns of one accumulation unit: a multiple of
// the kernels' 8 lanes and of a Q8_0 block.
const splitCols = 32

// splitMinPos is the shortest attended span that takes the split path; a
// variable so tests can split short caches.
var splitMinPos = 256

// splitScratch is the split path's scratch, made once for a largest
// context, with the pass functions bound so dispatching allocates nothing.
type splitScratch struct {
	maxPos     int
	sc, ms, vs []float32 // [head][position]: scores (F32: weights); F16/Q8_0 factors
	lanes      []float32 // F32: 16*splitCols per thread
	acc        []float32 // F16/Q8_0: [head][HeadDim] accumulators
	q16        []uint16  // F16: queries rounded, [head][HeadDim]
	q8         []byte    // Q8_0: queries quantized, [head][row]
	w16        []uint16  // F16 without flash: weights in F16, [head][nfPad(maxPos)]
	sum, sink  []float32 // per head: F16/Q8_0 softmax sum, sink rescale (1: none)

	job                 attentionJob // the job being run (a copy: a pointer would escape)
	first, m, nb, ncols int
	fnA, fnB, fnC       func(thread, lo, hi int)
}

func newSplitScratch(threads int, sh AttnShape, maxPos int, kind KVKind) *splitScratch {
	if threads < 2 || sh.Heads <= 0 || sh.HeadDim <= 0 {
		return nil
	}
	s := &splitScratch{maxPos: maxPos, sc: make([]float32, sh.Heads*maxPos)}
	switch kind {
	case KVKindF32:
		s.lanes = make([]float32, threads*16*splitCols)
	case KVKindF16NoFlash:
		s.lanes = make([]float32, threads*64*splitCols)
		s.q16 = make([]uint16, sh.Heads*sh.HeadDim)
		s.w16 = make([]uint16, sh.Heads*nfPad(maxPos))
	default:
		s.ms, s.vs = make([]float32, sh.Heads*maxPos), make([]float32, sh.Heads*maxPos)
		s.acc = make([]float32, sh.Heads*sh.HeadDim)
		s.sum, s.sink = make([]float32, sh.Heads), make([]float32, sh.Heads)
		if kind == KVKindF16 {
			s.q16 = make([]uint16, sh.Heads*sh.HeadDim)
		} else {
			s.q8 = make([]byte, sh.Heads*Q8_0RowSize(sh.HeadDim))
		}
	}
	s.fnA, s.fnB, s.fnC = s.scores, s.softmax, s.values
	return s
}

func splitScratchBytes(threads int, sh AttnShape, maxPos int, kind KVKind) uint64 {
	if threads < 2 || sh.Heads <= 0 || sh.HeadDim <= 0 {
		return 0
	}
	n := uint64(sh.Heads*maxPos) * 4
	switch kind {
	case KVKindF32:
		return n + uint64(threads*16*splitCols)*4
	case KVKindF16NoFlash:
		return n + uint64(threads*64*splitCols)*4 + uint64(sh.Heads*sh.HeadDim+sh.Heads*nfPad(maxPos))*2
	case KVKindF16:
		return 3*n + uint64(sh.Heads*sh.HeadDim)*6 + uint64(sh.Heads)*8
	}
	return 3*n + uint64(sh.Heads*sh.HeadDim)*4 + uint64(sh.Heads*Q8_0RowSize(sh.HeadDim)) + uint64(sh.Heads)*8
}

// splitDecode runs the job on the split path when it is one token over at
// least splitMinPos positions on several threads, and reports whether it did.
func (j *attentionJob) splitDecode(p *Pool, s *splitScratch) bool {
	if s == nil || j.n != 1 || p == nil || p.threads < 2 {
		return false
	}
	nPos := j.pos0 + 1
	first := 0
	if w := j.sh.Window; w > 0 && nPos > w {
		first = nPos - w
	}
	m := nPos - first
	if m < splitMinPos || nPos > s.maxPos || j.sh.HeadDim%splitCols != 0 && j.sh.HeadDim > splitCols {
		return false
	}
	sh := j.sh
	hd := sh.HeadDim
	// The queries in the cache's dot form, once for all units.
	switch j.kind {
	case KVKindF16, KVKindF16NoFlash:
		convertF16(s.q16[:sh.Heads*hd], j.q[:sh.Heads*hd])
	case KVKindQ8_0:
		for h := 0; h < sh.Heads; h++ {
			quantizeQ8_0Act(s.q8[h*Q8_0RowSize(hd):(h+1)*Q8_0RowSize(hd)], j.q[h*hd:(h+1)*hd])
		}
	}
	s.job, s.first, s.m = *j, first, m
	s.nb = (m + splitBlock - 1) / splitBlock
	s.ncols = max(1, hd/splitCols)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.runThreadsLocked(sh.KVHeads*s.nb, s.fnA)
	p.runThreadsLocked(sh.Heads, s.fnB)
	p.runThreadsLocked(sh.Heads*s.ncols, s.fnC)
	s.job = attentionJob{} // drop the references
	return true
}

// scores is pass A: units (KV head, block of positions).
func (s *splitScratch) scores(_, lo, hi int) {
	j := &s.job
	sh := j.sh
	hd, group, kvDim := sh.HeadDim, sh.Heads/sh.KVHeads, sh.KVHeads*sh.HeadDim
	scale, capped := sh.Scale, sh.Softcap > 0
	if j.kind != KVKindF32 && j.kind != KVKindF16NoFlash && capped {
		// Flash attention scales by scale/cap before the tanh; its sink
		// kernels (gpt-oss) take no cap.
		if capped = sh.Sinks == nil; capped {
			scale /= sh.Softcap
		}
	}
	for u := lo; u < hi; u++ {
		g, b := u/s.nb, u%s.nb
		p0, p1 := b*splitBlock, min((b+1)*splitBlock, s.m)
		row0 := s.first + p0
		for h := g * group; h < (g+1)*group; h++ {
			sc := s.sc[h*s.maxPos+p0 : h*s.maxPos+p1]
			switch j.kind {
			case KVKindF32:
				scoresGGML(sc, j.kv.K[row0*kvDim+g*hd:], kvDim, j.q[h*hd:(h+1)*hd], scale)
				if capped {
					softcapScores(sc, 1/sh.Softcap, sh.Softcap)
				}
				continue
			case KVKindF16, KVKindF16NoFlash:
				k := j.kv.K16[row0*kvDim+g*hd:]
				if f16AttFast {
					scoresF16Fast(sc, k, kvDim, s.q16[h*hd:(h+1)*hd], scale)
				} else {
					scoresF16Plain(sc, k, kvDim, s.q16[h*hd:(h+1)*hd], scale)
				}
				if j.kind == KVKindF16NoFlash { // the F32 path's order: scaled scores, then the cap
					if capped {
						softcapScores(sc, 1/sh.Softcap, sh.Softcap)
					}
					continue
				}
			case KVKindQ8_0:
				rb, hb := Q8_0RowSize(kvDim), Q8_0RowSize(hd)
				k, q8, dot := j.kv.K8[row0*rb+g*hb:], s.q8[h*hb:(h+1)*hb], q8KVDot()
				for i := range sc {
					sc[i] = dot(k[i*rb:], q8, hd/q8Block) * scale
				}
			}
			if capped {
				for i, x := range sc {
					sc[i] = sh.Softcap * float32(math.Tanh(float64(x)))
				}
			}
		}
	}
}

// softmax is pass B: units heads.
func (s *splitScratch) softmax(_, lo, hi int) {
	j := &s.job
	for h := lo; h < hi; h++ {
		sc := s.sc[h*s.maxPos : h*s.maxPos+s.m]
		if j.kind == KVKindF32 {
			if j.sh.Sinks != nil {
				softmaxSink(sc, j.sh.Sinks[h])
			} else {
				softmaxPadded(sc)
			}
			continue
		}
		if j.kind == KVKindF16NoFlash {
			var sink *float32
			if j.sh.Sinks != nil {
				sink = &j.sh.Sinks[h]
			}
			np := nfPad(s.maxPos)
			nfSoftmax(sc, s.w16[h*np:h*np+nfPad(s.m)], 0, sink)
			continue
		}
		// The online softmax of attendF16Acc and attendQ8Acc, position by
		// position.
		ms, vs := s.ms[h*s.maxPos:h*s.maxPos+s.m], s.vs[h*s.maxPos:h*s.maxPos+s.m]
		var sum float32
		mx := float32(math.Inf(-1))
		for i, x := range sc {
			if x > mx {
				old := mx
				mx = x
				ms[i], vs[i] = exp32(old-mx), 1
			} else {
				ms[i], vs[i] = 1, exp32(x-mx)
			}
			sum = fma32(sum, ms[i], vs[i])
		}
		s.sink[h] = 1
		if j.sh.Sinks != nil {
			// As AttentionF16Sink and AttentionQ8_0Sink apply the sink.
			sink, mss, vss := j.sh.Sinks[h], float32(1), float32(1)
			if sink > mx {
				mss = exp32(mx - sink)
			} else {
				vss = exp32(sink - mx)
			}
			s.sink[h], sum = mss, fma32(sum, mss, vss)
		}
		s.sum[h] = sum
	}
}

// values is pass C: units (head, run of value columns).
func (s *splitScratch) values(thread, lo, hi int) {
	j := &s.job
	sh := j.sh
	hd, group, kvDim := sh.HeadDim, sh.Heads/sh.KVHeads, sh.KVHeads*sh.HeadDim
	cols := min(hd, splitCols)
	for u := lo; u < hi; u++ {
		h, c := u/s.ncols, u%s.ncols
		g, c0 := h/group, c*cols
		out := j.out[h*hd+c0 : h*hd+c0+cols]
		switch j.kind {
		case KVKindF32:
			lanes := s.lanes[thread*16*splitCols : thread*16*splitCols+16*cols]
			clear(lanes)
			wsumLanes(lanes, j.kv.V[s.first*kvDim+g*hd+c0:], kvDim, s.sc[h*s.maxPos:h*s.maxPos+s.m])
			reduceLanes(out, lanes)
			continue
		case KVKindF16NoFlash:
			lanes := s.lanes[thread*64*splitCols : thread*64*splitCols+64*cols]
			clear(lanes)
			np := nfPad(s.maxPos)
			wsumF16x64(lanes, j.kv.V16[s.first*kvDim+g*hd+c0:], kvDim, s.w16[h*np:h*np+s.m])
			reduceF16x64(out, lanes)
			continue
		case KVKindF16:
			acc := s.acc[h*hd+c0 : h*hd+c0+cols]
			clear(acc)
			v, ms, vs := j.kv.V16[s.first*kvDim+g*hd+c0:], s.ms[h*s.maxPos:h*s.maxPos+s.m], s.vs[h*s.maxPos:h*s.maxPos+s.m]
			if f16AttFast {
				madF16Fast(acc, v, kvDim, ms, vs)
			} else {
				madF16Plain(acc, v, kvDim, ms, vs)
			}
		case KVKindQ8_0:
			acc := s.acc[h*hd+c0 : h*hd+c0+cols]
			clear(acc)
			rb := Q8_0RowSize(kvDim)
			v := j.kv.V8[s.first*rb+g*Q8_0RowSize(hd)+c0/q8Block*q8BlockSize:]
			madQ8(acc, v, rb, s.ms[h*s.maxPos:h*s.maxPos+s.m], s.vs[h*s.maxPos:h*s.maxPos+s.m])
		}
		acc := s.acc[h*hd+c0 : h*hd+c0+cols]
		if m := s.sink[h]; m != 1 {
			for i := range acc {
				acc[i] *= m
			}
		}
		finishF16(out, acc, s.sum[h])
	}
}
