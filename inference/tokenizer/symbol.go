package tokenizer

// symbol is a piece of the text in a doubly linked list, as both merge
// algorithms (SentencePiece by score, BPE by rank) keep it; n == 0 once the
// piece has been merged into its left neighbour.
type symbol struct {
	start, n   int
	prev, next int
}

// appendSymbols splits text into one symbol per UTF-8 character (a broken
// sequence is cut at the end of the text), linked left to right.
func appendSymbols(syms []symbol, text string) []symbol {
	for off := 0; off < len(text); {
		n := min(utf8Len(text[off]), len(text)-off)
		idx := len(syms)
		next := idx + 1
		if off+n == len(text) {
			next = -1
		}
		syms = append(syms, symbol{start: off, n: n, prev: idx - 1, next: next})
		off += n
	}
	return syms
}
