package tokenizer

// Hand-written splitters for the GPT-2 and Llama 3 patterns, with the exact
// behaviour of llama.cpp's unicode_regex_split_custom_gpt2/_llama3 (which
// is what llama.cpp runs for those two patterns, not the regex). Each scans
// cpts[lo:hi] once, so long inputs stay linear.

// span gives positional access to one piece, with "nothing" outside it.
type span struct {
	cpts  []rune
	flags []cptFlags
	lo    int
	hi    int
}

const outOfRange = -1

func (s span) cpt(i int) rune {
	if i >= s.lo && i < s.hi {
		return s.cpts[i]
	}
	return outOfRange
}

func (s span) flag(i int) cptFlags {
	if i >= s.lo && i < s.hi {
		return s.flags[i]
	}
	return 0
}

// notSLN is [^\s\p{L}\p{N}] for a position inside the piece.
func notSLN(f cptFlags) bool {
	return f != 0 && f&(flagWhitespace|flagLetter|flagNumber) == 0
}

// contraction returns the length (2 or 3) of 's 't 're 've 'm 'll 'd at i.
func (s span) contraction(i int, fold bool) int {
	if s.cpt(i) != '\'' || i+1 >= s.hi {
		return 0
	}
	lower := func(r rune) rune {
		if fold && r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}
	c1 := lower(s.cpt(i + 1))
	switch c1 {
	case 's', 't', 'm', 'd':
		return 2
	}
	if i+2 < s.hi {
		c2 := lower(s.cpt(i + 2))
		if (c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l') {
			return 3
		}
	}
	return 0
}

// whitespaceRun counts whitespace from i and reports the end of its last
// \r or \n (0 when none).
func (s span) whitespaceRun(i int) (n, lastNL int) {
	for s.flag(i + n).whitespace() {
		if c := s.cpt(i + n); c == '\r' || c == '\n' {
			lastNL = i + n + 1
		}
		n++
	}
	return n, lastNL
}

// pieceCuts collects the lengths of the pieces a splitter cuts.
type pieceCuts struct {
	out  []int
	prev int // where the current piece starts
}

// at ends the current piece at end (an empty one is not kept).
func (c *pieceCuts) at(end int) {
	if end > c.prev {
		c.out = append(c.out, end-c.prev)
	}
	c.prev = end
}

// splitGPT2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func splitGPT2(cpts []rune, flags []cptFlags, lo, hi int, out []int) []int {
	s := span{cpts, flags, lo, hi}
	cuts := pieceCuts{out: out, prev: lo}
	for pos := lo; pos < hi; {
		if n := s.contraction(pos, false); n > 0 {
			pos += n
			cuts.at(pos)
			continue
		}
		c := s.cpt(pos)
		f := s.flag(pos)
		if c == ' ' {
			f = s.flag(pos + 1)
		}
		start := pos
		if c == ' ' {
			start++
		}
		switch {
		case f.letter():
			pos = start
			for s.flag(pos).letter() {
				pos++
			}
			cuts.at(pos)
			continue
		case f.number():
			pos = start
			for s.flag(pos).number() {
				pos++
			}
			cuts.at(pos)
			continue
		case notSLN(f):
			pos = start
			for notSLN(s.flag(pos)) {
				pos++
			}
			cuts.at(pos)
			continue
		}
		n, _ := s.whitespaceRun(pos)
		switch {
		case n > 1 && s.cpt(pos+n) != outOfRange: // \s+(?!\S): leave one for the next word
			pos += n - 1
		case n > 0:
			pos += n
		default:
			pos++
		}
		cuts.at(pos)
	}
	return cuts.out
}

// splitLlama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func splitLlama3(cpts []rune, flags []cptFlags, lo, hi int, out []int) []int {
	s := span{cpts, flags, lo, hi}
	cuts := pieceCuts{out: out, prev: lo}
	for pos := lo; pos < hi; {
		if n := s.contraction(pos, true); n > 0 {
			pos += n
			cuts.at(pos)
			continue
		}
		c := s.cpt(pos)
		f := s.flag(pos)
		if !(c == '\r' || c == '\n' || f.number()) && (f.letter() || s.flag(pos+1).letter()) {
			pos++
			for s.flag(pos).letter() {
				pos++
			}
			cuts.at(pos)
			continue
		}
		if f.number() {
			ini := pos
			for s.flag(pos).number() {
				pos++
				if pos-ini >= 3 {
					cuts.at(pos)
					ini = pos
				}
			}
			cuts.at(pos)
			continue
		}
		f2 := f
		if c == ' ' {
			f2 = s.flag(pos + 1)
		}
		if notSLN(f2) {
			if c == ' ' {
				pos++
			}
			for notSLN(s.flag(pos)) {
				pos++
			}
			for c2 := s.cpt(pos); c2 == '\r' || c2 == '\n'; c2 = s.cpt(pos) {
				pos++
			}
			cuts.at(pos)
			continue
		}
		n, lastNL := s.whitespaceRun(pos)
		switch {
		case lastNL > 0: // \s*[\r\n]+
			pos = lastNL
		case n > 1 && s.cpt(pos+n) != outOfRange:
			pos += n - 1
		case n > 0:
			pos += n
		default:
			pos++
		}
		cuts.at(pos)
	}
	return cuts.out
}
