package pdftext

import (
	"bytes"
	"strconv"
)

// The PDF objects the extractor needs: a small parser of PDF syntax
// (ISO 32000-1 §7.3), enough for dictionaries, arrays, strings, names,
// numbers and references, and for the operators of content streams.

type kind int

const (
	kEOF kind = iota
	kNum
	kStr  // literal or hex string: its bytes
	kName // /Name, without the slash
	kWord // an operator, true/false/null, obj, R…
	kDictOpen
	kDictClose
	kArrOpen
	kArrClose
)

type token struct {
	k   kind
	s   []byte  // string bytes, name or word
	num float64 // kNum
}

type lexer struct {
	b   []byte
	pos int
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	return bytes.IndexByte([]byte("()<>[]{}/%"), c) >= 0
}

func (l *lexer) skip() {
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		switch {
		case isSpace(c):
			l.pos++
		case c == '%':
			for l.pos < len(l.b) && l.b[l.pos] != '\n' && l.b[l.pos] != '\r' {
				l.pos++
			}
		default:
			return
		}
	}
}

func (l *lexer) next() token {
	l.skip()
	if l.pos >= len(l.b) {
		return token{k: kEOF}
	}
	c := l.b[l.pos]
	switch {
	case c == '(':
		return token{k: kStr, s: l.literal()}
	case c == '<' && l.pos+1 < len(l.b) && l.b[l.pos+1] == '<':
		l.pos += 2
		return token{k: kDictOpen}
	case c == '>' && l.pos+1 < len(l.b) && l.b[l.pos+1] == '>':
		l.pos += 2
		return token{k: kDictClose}
	case c == '<':
		return token{k: kStr, s: l.hex()}
	case c == '[':
		l.pos++
		return token{k: kArrOpen}
	case c == ']':
		l.pos++
		return token{k: kArrClose}
	case c == '/':
		l.pos++
		return token{k: kName, s: l.word()}
	case c == ')' || c == '>' || c == '{' || c == '}':
		l.pos++
		return l.next() // stray delimiter: ignored
	}
	w := l.word()
	if n, err := strconv.ParseFloat(string(w), 64); err == nil && (w[0] == '-' || w[0] == '+' || w[0] == '.' || w[0] >= '0' && w[0] <= '9') {
		return token{k: kNum, num: n, s: w}
	}
	return token{k: kWord, s: w}
}

func (l *lexer) word() []byte {
	start := l.pos
	for l.pos < len(l.b) && !isSpace(l.b[l.pos]) && !isDelim(l.b[l.pos]) {
		l.pos++
	}
	if l.pos == start && l.pos < len(l.b) { // a lone delimiter: keep moving
		l.pos++
	}
	return l.b[start:l.pos]
}

// literal reads (…) with its escapes and balanced parentheses.
func (l *lexer) literal() []byte {
	l.pos++ // (
	var out []byte
	depth := 1
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		switch c {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return out
			}
		case '\\':
			if l.pos >= len(l.b) {
				return out
			}
			e := l.b[l.pos]
			l.pos++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r', '\n': // a line continuation
				if e == '\r' && l.pos < len(l.b) && l.b[l.pos] == '\n' {
					l.pos++
				}
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && l.pos < len(l.b) && l.b[l.pos] >= '0' && l.b[l.pos] <= '7'; k++ {
						v = v*8 + int(l.b[l.pos]-'0')
						l.pos++
					}
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		out = append(out, c)
	}
	return out
}

func (l *lexer) hex() []byte {
	l.pos++ // <
	var out []byte
	var hi byte
	half := false
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		if c == '>' {
			break
		}
		v, ok := hexVal(c)
		if !ok {
			continue
		}
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	return out
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Values.

type ref struct{ num, gen int }

type dict map[string]any

// maxDepth bounds nesting in parsed values, so a hostile file cannot run
// the parser's stack out.
const maxDepth = 64

// value parses one value starting with t. References (N G R) are
// recognised by looking ahead.
func (l *lexer) value(t token, depth int) any {
	if depth > maxDepth {
		return nil
	}
	switch t.k {
	case kNum:
		save := l.pos
		if t2 := l.next(); t2.k == kNum {
			if t3 := l.next(); t3.k == kWord && string(t3.s) == "R" {
				return ref{int(t.num), int(t2.num)}
			}
		}
		l.pos = save
		return t.num
	case kStr:
		return string(t.s)
	case kName:
		return name(t.s)
	case kDictOpen:
		d := dict{}
		for {
			k := l.next()
			if k.k == kDictClose || k.k == kEOF {
				return d
			}
			if k.k != kName {
				continue
			}
			v := l.next()
			if v.k == kDictClose || v.k == kEOF {
				return d
			}
			d[string(k.s)] = l.value(v, depth+1)
		}
	case kArrOpen:
		var a []any
		for {
			v := l.next()
			if v.k == kArrClose || v.k == kEOF {
				return a
			}
			a = append(a, l.value(v, depth+1))
		}
	case kWord:
		return word(t.s)
	}
	return nil
}

type name string
type word string
