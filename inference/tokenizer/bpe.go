package tokenizer

import "unicode/utf8"

type bpeBigram struct {
	left, right int
	rank        int32
	ln, rn      int // sizes when queued: a changed size means a stale entry
}

// bpeFirst pops the lowest merge rank first, then the leftmost pair.
func bpeFirst(a, b *bpeBigram) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.left < b.left
}

// encodeBPE is llama.cpp's llm_tokenizer_bpe_session::tokenize: split into
// pre-tokens, map their bytes to GPT-2 characters, merge by rank.
func (t *Tokenizer) encodeBPE(text string, out []int) []int {
	t.ranksOnce.Do(func() { t.loadRanks(t.merges); t.merges = nil })
	cpts := decodeCodepoints(text)
	lens := t.splitter.split(cpts)
	var word []byte
	var key []byte
	var syms []symbol
	var ids []int32 // token id of each symbol's text, -1 if none
	q := queue[bpeBigram]{less: bpeFirst}
	start := 0
	for _, n := range lens {
		// Re-encode the codepoints (invalid input became U+FFFD), then map
		// every byte to its printable stand-in.
		word = word[:0]
		var raw [4]byte
		for _, r := range cpts[start : start+n] {
			for _, b := range appendCodepoint(raw[:0], r) {
				word = utf8.AppendRune(word, byteToRune[b])
			}
		}
		start += n
		w := string(word)
		if t.ignoreMerges {
			if id, ok := t.ids[w]; ok {
				out = append(out, int(id))
				continue
			}
		}
		if ids, ok := t.cache.get(w); ok {
			for _, id := range ids {
				out = append(out, int(id))
			}
			continue
		}
		first := len(out)
		syms = appendSymbols(syms[:0], w)
		ids = ids[:0]
		for _, s := range syms {
			ids = append(ids, t.idOr(w[s.start:s.start+s.n], -1))
		}
		q.reset()
		tryAdd := func(l, r int) {
			if l < 0 || r < 0 {
				return
			}
			a, b := syms[l], syms[r]
			var rank int32
			var ok bool
			if ids[l] >= 0 && ids[r] >= 0 {
				rank, ok = t.ranks[pairKey(ids[l], ids[r])]
			} else if t.ranksStr != nil {
				key = append(append(append(key[:0], w[a.start:a.start+a.n]...), 0), w[b.start:b.start+b.n]...)
				rank, ok = t.ranksStr[string(key)]
			}
			if !ok {
				return
			}
			q.push(bpeBigram{left: l, right: r, rank: rank, ln: a.n, rn: b.n})
		}
		for i := 1; i < len(syms); i++ {
			tryAdd(i-1, i)
		}
		for q.len() > 0 {
			b := q.pop()
			l, r := &syms[b.left], &syms[b.right]
			if l.n == 0 || r.n == 0 || l.n != b.ln || r.n != b.rn {
				continue
			}
			l.n += r.n
			r.n = 0
			l.next = r.next
			if r.next >= 0 {
				syms[r.next].prev = b.left
			}
			ids[b.left] = t.idOr(w[l.start:l.start+l.n], -1)
			tryAdd(l.prev, b.left)
			tryAdd(b.left, l.next)
		}
		for _, s := range syms {
			if s.n == 0 {
				continue
			}
			piece := w[s.start : s.start+s.n]
			if id, ok := t.ids[piece]; ok {
				out = append(out, int(id))
				continue
			}
			// No token for the merged text: llama.cpp tries each byte of
			// it as a one-byte token and drops the ones that are missing.
			for j := 0; j < len(piece); j++ {
				if id, ok := t.ids[piece[j:j+1]]; ok {
					out = append(out, int(id))
				}
			}
		}
		t.cache.put(w, out[first:])
	}
	return out
}

// idOr is the token id of text, or none if text is no token.
func (t *Tokenizer) idOr(text string, none int32) int32 {
	if id, ok := t.ids[text]; ok {
		return id
	}
	return none
}
