package tokenizer

type spmBigram struct {
	left, right int
	score       float32
	size        int
}

// spmFirst pops the highest score first, then the leftmost pair.
func spmFirst(a, b *spmBigram) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.left < b.left
}

// encodeSPM is llama.cpp's llm_tokenizer_spm_session: start from UTF-8
// characters, repeatedly merge the adjacent pair whose joined text is the
// best-scoring token, then emit each symbol as its token or as byte tokens.
func (t *Tokenizer) encodeSPM(text string, out []int) []int {
	if text == "" {
		return out
	}
	syms := appendSymbols(make([]symbol, 0, len(text)), text)
	q := queue[spmBigram]{items: make([]spmBigram, 0, len(syms)), less: spmFirst}
	tryAdd := func(l, r int) {
		if l < 0 || r < 0 {
			return
		}
		s := text[syms[l].start : syms[l].start+syms[l].n+syms[r].n]
		id, ok := t.ids[s]
		if !ok {
			return
		}
		q.push(spmBigram{left: l, right: r, score: t.scores[id], size: len(s)})
	}
	for i := 1; i < len(syms); i++ {
		tryAdd(i-1, i)
	}
	for q.len() > 0 {
		b := q.pop()
		l, r := &syms[b.left], &syms[b.right]
		if l.n == 0 || r.n == 0 || l.n+r.n != b.size {
			continue // stale: one side was merged since
		}
		l.n += r.n
		r.n = 0
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		tryAdd(l.prev, b.left)
		tryAdd(b.left, l.next)
	}
	for i := 0; i != -1; i = syms[i].next {
		s := text[syms[i].start : syms[i].start+syms[i].n]
		if id, ok := t.ids[s]; ok {
			out = append(out, int(id))
			continue
		}
		for j := 0; j < len(s); j++ {
			if id := t.byteToken(s[j]); id >= 0 {
				out = append(out, id)
			}
		}
	}
	return out
}

// byteToken is the <0xNN> token of a byte (or the byte itself as a token);
// llama.cpp aborts when neither exists, we fall back to the unknown token.
func (t *Tokenizer) byteToken(b byte) int {
	const hex = "0123456789ABCDEF"
	if id, ok := t.ids[string([]byte{'<', '0', 'x', hex[b>>4], hex[b&15], '>'})]; ok {
		return int(id)
	}
	if id, ok := t.ids[string([]byte{b})]; ok {
		return int(id)
	}
	return t.unk
}

// utf8Len is the sequence length announced by a lead byte; continuation and
// invalid bytes count as 1, like llama.cpp's unicode_len_utf8.
func utf8Len(b byte) int {
	return [16]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4}[b>>4]
}
