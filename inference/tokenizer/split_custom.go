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

// while returns the first position from i where ok fails.
func (s span) while(i int, ok func(cptFlags) bool) int {
	for ok(s.flag(i)) {
		i++
	}
	return i
}

// spacesEnd ends the pattern's last two alternatives, \s+(?!\S)|\s+, at i
// given the n whitespace there (a lone other codepoint when n is 0).
func (s span) spacesEnd(i, n int) int {
	switch {
	case n > 1 && s.cpt(i+n) != outOfRange: // \s+(?!\S): leave one for the next word
		return i + n - 1
	case n > 0:
		return i + n
	}
	return i + 1
}

// splitPieces cuts cpts[lo:hi] into pieces, each ending where piece says
// the one starting at its position ends, and appends their lengths to out.
func splitPieces(cpts []rune, flags []cptFlags, lo, hi int, out []int, piece func(s span, pos int) int) []int {
	s := span{cpts, flags, lo, hi}
	for pos := lo; pos < hi; {
		end := piece(s, pos)
		out = append(out, end-pos)
		pos = end
	}
	return out
}

// splitGPT2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func splitGPT2(cpts []rune, flags []cptFlags, lo, hi int, out []int) []int {
	return splitPieces(cpts, flags, lo, hi, out, gpt2Piece)
}

func gpt2Piece(s span, pos int) int {
	if n := s.contraction(pos, false); n > 0 {
		return pos + n
	}
	c := s.cpt(pos)
	f := s.flag(pos)
	start := pos
	if c == ' ' {
		f = s.flag(pos + 1)
		start++
	}
	switch {
	case f.letter():
		return s.while(start, cptFlags.letter)
	case f.number():
		return s.while(start, cptFlags.number)
	case notSLN(f):
		return s.while(start, notSLN)
	}
	n, _ := s.whitespaceRun(pos)
	return s.spacesEnd(pos, n)
}

// splitLlama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func splitLlama3(cpts []rune, flags []cptFlags, lo, hi int, out []int) []int {
	return splitPieces(cpts, flags, lo, hi, out, llama3Piece)
}

func llama3Piece(s span, pos int) int {
	if n := s.contraction(pos, true); n > 0 {
		return pos + n
	}
	c := s.cpt(pos)
	f := s.flag(pos)
	if !(c == '\r' || c == '\n' || f.number()) && (f.letter() || s.flag(pos+1).letter()) {
		return s.while(pos+1, cptFlags.letter)
	}
	if f.number() { // \p{N}{1,3}: a longer number is several pieces
		end := pos
		for end-pos < 3 && s.flag(end).number() {
			end++
		}
		return end
	}
	f2 := f
	if c == ' ' {
		f2 = s.flag(pos + 1)
	}
	if notSLN(f2) {
		end := pos
		if c == ' ' {
			end++
		}
		end = s.while(end, notSLN)
		for c2 := s.cpt(end); c2 == '\r' || c2 == '\n'; c2 = s.cpt(end) {
			end++
		}
		return end
	}
	n, lastNL := s.whitespaceRun(pos)
	if lastNL > 0 { // \s*[\r\n]+
		return lastNL
	}
	return s.spacesEnd(pos, n)
}
