package tokenizer

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// buildPieces precomputes every token's bytes with special rendering on,
// like llama.cpp's token-to-piece cache.
func (t *Tokenizer) buildPieces() {
	t.pieces = make([][]byte, len(t.texts))
	for id := range t.texts {
		t.pieces[id] = t.renderPiece(id)
	}
}

// renderPiece is llama.cpp's token_to_piece with special = true.
func (t *Tokenizer) renderPiece(id int) []byte {
	a, text := t.attrs[id], t.texts[id]
	switch {
	case a&(attrUnknown|attrControl|attrUserDefined) != 0:
		return []byte(text)
	case a&attrNormal != 0:
		if t.model == ModelSPM {
			return []byte(strings.ReplaceAll(text, spaceMarker, " "))
		}
		return bpeDecodeText(text)
	case a&attrByte != 0:
		if len(text) >= 5 {
			if v, err := strconv.ParseUint(text[3:5], 16, 8); err == nil {
				return []byte{byte(v)}
			}
		}
		return nil
	}
	return nil // unused and undefined tokens render as nothing
}

// Piece returns the bytes a token stands for. Control and unknown tokens
// give nothing (see PieceSpecial). A piece may be part of a UTF-8
// character; use a StreamDecoder to print text as it is generated.
func (t *Tokenizer) Piece(id int) []byte { return t.piece(id, false) }

// PieceSpecial is Piece but renders control tokens as their text ("<s>").
func (t *Tokenizer) PieceSpecial(id int) []byte { return t.piece(id, true) }

func (t *Tokenizer) piece(id int, special bool) []byte {
	if id < 0 || id >= len(t.texts) {
		return nil
	}
	t.piecesOnce.Do(t.buildPieces)
	if !special && t.attrs[id]&(attrUnknown|attrControl) != 0 {
		return nil
	}
	return t.pieces[id]
}

// Decode turns ids back into text; control tokens give nothing. For SPM
// vocabularies the space the encoder put in front of the text
// (add_space_prefix) is removed again: from the first piece and from the
// piece after a BOS. So Decode(Encode(s, addSpecial, false)) == s whenever
// the vocabulary can represent s. Invalid UTF-8 in pieces is kept as is.
// Decode equals a StreamDecoder fed a BOS and then ids.
func (t *Tokenizer) Decode(ids []int) string { return t.decode(ids, false) }

// DecodeSpecial is Decode with control tokens rendered as their text.
func (t *Tokenizer) DecodeSpecial(ids []int) string { return t.decode(ids, true) }

func (t *Tokenizer) decode(ids []int, special bool) string {
	var b []byte
	strip := t.addSpacePrefix
	for _, id := range ids {
		b, strip = t.appendPiece(b, id, special, strip)
	}
	return string(b)
}

// appendPiece appends a token's bytes, dropping one leading space when
// strip is set, and says whether the next piece should be stripped (only
// after a BOS, for vocabularies that add a space prefix).
func (t *Tokenizer) appendPiece(b []byte, id int, special, strip bool) ([]byte, bool) {
	p := t.piece(id, special)
	if id == t.bos && t.bos != null {
		return append(b, p...), t.addSpacePrefix
	}
	if strip && len(p) > 0 && p[0] == ' ' {
		p = p[1:]
	}
	return append(b, p...), false
}

// StreamDecoder turns ids into text as they are generated, emitting only
// complete UTF-8 characters: a character split across several byte tokens
// comes out once, whole, with the token that completes it.
type StreamDecoder struct {
	t        *Tokenizer
	pending  []byte
	afterBOS bool
	// Special renders control tokens as their text instead of nothing.
	Special bool
}

// NewStreamDecoder starts a decoder. For SentencePiece vocabularies the
// leading space of the piece right after a BOS is dropped (it is the
// encoder's space prefix, not the model's text); other pieces keep theirs,
// so generated text can be streamed after a prompt.
func (t *Tokenizer) NewStreamDecoder() *StreamDecoder { return &StreamDecoder{t: t} }

// Add feeds one token and returns the text that is now complete ("" while a
// character is still incomplete).
func (d *StreamDecoder) Add(id int) string {
	d.pending, d.afterBOS = d.t.appendPiece(d.pending, id, d.Special, d.afterBOS)
	return d.take()
}

// Flush returns whatever is still held back (an incomplete character at
// the end of the stream) and resets the decoder's buffer.
func (d *StreamDecoder) Flush() string {
	s := string(d.pending)
	d.pending = d.pending[:0]
	return s
}

// take returns the pending bytes up to the last complete character,
// keeping an unfinished (but so far valid) UTF-8 sequence for later.
func (d *StreamDecoder) take() string {
	n := completePrefix(d.pending)
	if n == 0 {
		return ""
	}
	s := string(d.pending[:n])
	d.pending = append(d.pending[:0], d.pending[n:]...)
	return s
}

// completePrefix is the length of b without a trailing incomplete UTF-8
// sequence. Bytes that can never become valid are not held back.
func completePrefix(b []byte) int {
	for back := 1; back <= 3 && back <= len(b); back++ {
		c := b[len(b)-back]
		if c < 0x80 {
			return len(b) // ASCII: nothing pending
		}
		if c >= 0xC0 { // a lead byte: is its sequence complete?
			need := utf8Len(c)
			if c >= 0xF8 || need <= back {
				return len(b)
			}
			if !utf8.FullRune(b[len(b)-back:]) && validSoFar(b[len(b)-back:]) {
				return len(b) - back
			}
			return len(b)
		}
	}
	return len(b)
}

// validSoFar reports whether p could still grow into a valid character.
func validSoFar(p []byte) bool {
	for _, c := range p[1:] {
		if c&0xC0 != 0x80 {
			return false
		}
	}
	if len(p) >= 2 { // reject overlong / surrogate / too-large second bytes early
		var full [4]byte
		copy(full[:], p)
		for i := len(p); i < utf8Len(p[0]); i++ {
			full[i] = 0x80
		}
		r, _ := utf8.DecodeRune(full[:utf8Len(p[0])])
		return r != utf8.RuneError
	}
	return p[0] >= 0xC2 && p[0] <= 0xF4
}
