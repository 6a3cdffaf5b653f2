package tokenizer

import (
	"strconv"
	"unicode"
)

// The helpers here reproduce llama.cpp's unicode.cpp where it differs from
// Go's unicode/utf8, so that odd input splits exactly the same way.

const replacementChar = 0xFFFD

// decodeCodepoints is llama.cpp's lenient unicode_cpts_from_utf8: it
// accepts overlong forms, surrogates and lead bytes F5..F7, and turns
// every other bad byte into U+FFFD, one per byte.
func decodeCodepoints(s string) []rune {
	out := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		r, n := decodeOne(s, i)
		out = append(out, r)
		i += n
	}
	return out
}

func decodeOne(s string, i int) (rune, int) {
	b := s[i]
	cont := func(k int) bool { return i+k < len(s) && s[i+k]&0xC0 == 0x80 }
	switch {
	case b < 0x80:
		return rune(b), 1
	case b&0x40 == 0:
		return replacementChar, 1
	case b&0x20 == 0:
		if cont(1) {
			return rune(b&0x1F)<<6 | rune(s[i+1]&0x3F), 2
		}
	case b&0x10 == 0:
		if cont(1) && cont(2) {
			return rune(b&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F), 3
		}
	case b&0x08 == 0:
		if cont(1) && cont(2) && cont(3) {
			return rune(b&0x07)<<18 | rune(s[i+1]&0x3F)<<12 | rune(s[i+2]&0x3F)<<6 | rune(s[i+3]&0x3F), 4
		}
	}
	return replacementChar, 1
}

// appendCodepoint encodes like unicode_cpt_to_utf8, surrogates included.
// llama.cpp throws on values above U+10FFFF; those become U+FFFD here.
func appendCodepoint(dst []byte, r rune) []byte {
	switch {
	case r >= 0 && r <= 0x7F:
		return append(dst, byte(r))
	case r >= 0x80 && r <= 0x7FF:
		return append(dst, 0xC0|byte(r>>6&0x1F), 0x80|byte(r&0x3F))
	case r >= 0x800 && r <= 0xFFFF:
		return append(dst, 0xE0|byte(r>>12&0x0F), 0x80|byte(r>>6&0x3F), 0x80|byte(r&0x3F))
	case r >= 0x10000 && r <= 0x10FFFF:
		return append(dst, 0xF0|byte(r>>18&0x07), 0x80|byte(r>>12&0x3F), 0x80|byte(r>>6&0x3F), 0x80|byte(r&0x3F))
	}
	return appendCodepoint(dst, replacementChar)
}

// Codepoint classes as llama.cpp's unicode_cpt_flags sees them.
type cptFlags uint16

const (
	flagUndefined cptFlags = 1 << iota
	flagNumber
	flagLetter
	flagSeparator
	flagMark
	flagPunct
	flagSymbol
	flagControl
	flagWhitespace
)

// isWhitespace is the White_Space set llama.cpp uses (not Go's IsSpace,
// which also takes U+001C..U+001F).
func isWhitespace(r rune) bool {
	switch {
	case r >= 0x09 && r <= 0x0D, r == 0x20, r == 0x85, r == 0xA0, r == 0x1680,
		r >= 0x2000 && r <= 0x200A, r == 0x2028, r == 0x2029, r == 0x202F, r == 0x205F, r == 0x3000:
		return true
	}
	return false
}

func flagsOf(r rune) cptFlags {
	var f cptFlags
	switch {
	case r < 0 || r > unicode.MaxRune:
		f = flagUndefined
	case r < 0x80 && asciiFlags[r] != 0:
		f = asciiFlags[r]
	case unicode.IsLetter(r):
		f = flagLetter
	case unicode.IsNumber(r):
		f = flagNumber
	case unicode.IsMark(r):
		f = flagMark
	case unicode.IsPunct(r):
		f = flagPunct
	case unicode.IsSymbol(r):
		f = flagSymbol
	case unicode.In(r, unicode.Z):
		f = flagSeparator
	case unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs):
		f = flagControl
	default:
		f = flagUndefined
	}
	if isWhitespace(r) {
		f |= flagWhitespace
	}
	return f
}

var asciiFlags = func() (t [128]cptFlags) {
	for r := rune(0); r < 128; r++ {
		switch {
		case unicode.IsLetter(r):
			t[r] = flagLetter
		case unicode.IsNumber(r):
			t[r] = flagNumber
		case unicode.IsPunct(r):
			t[r] = flagPunct
		case unicode.IsSymbol(r):
			t[r] = flagSymbol
		case r == ' ':
			t[r] = flagSeparator
		default:
			t[r] = flagControl
		}
	}
	return t
}()

func (f cptFlags) letter() bool     { return f&flagLetter != 0 }
func (f cptFlags) number() bool     { return f&flagNumber != 0 }
func (f cptFlags) whitespace() bool { return f&flagWhitespace != 0 }

// Byte-level BPE maps each byte to a printable character (GPT-2's
// bytes_to_unicode): printable Latin-1 bytes map to themselves, the rest to
// U+0100 and up, in byte order.
var byteToRune, runeToByte = func() ([256]rune, map[rune]byte) {
	var b2r [256]rune
	r2b := make(map[rune]byte, 256)
	n := rune(0)
	for b := 0; b < 256; b++ {
		if (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			b2r[b] = rune(b)
		} else {
			b2r[b] = 256 + n
			n++
		}
		r2b[b2r[b]] = byte(b)
	}
	return b2r, r2b
}()

// bpeDecodeText is llama.cpp's llama_decode_text: map each character of a
// token back to its byte; characters outside the table are kept visible.
func bpeDecodeText(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range decodeCodepoints(s) {
		if b, ok := runeToByte[r]; ok {
			out = append(out, b)
			continue
		}
		out = append(out, "[UNK_BYTE_0x"...)
		for _, c := range appendCodepoint(nil, r) {
			if c < 0x10 {
				out = append(out, '0')
			}
			out = strconv.AppendUint(out, uint64(c), 16)
		}
		out = append(out, s...)
		out = append(out, ']')
	}
	return out
}
