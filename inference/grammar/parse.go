// Package grammar constrains generation to a formal grammar: llama.cpp's
// GBNF is the input language, compiled once into rules of character
// classes and rule references; a Matcher follows the text generated so far
// as a set of pushdown stacks, and a Vocab (a byte trie of the tokenizer's
// pieces, built once per vocabulary) turns a Matcher state into the set of
// tokens that may come next.
package grammar

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits that keep a hostile grammar from taking unbounded memory or time.
const (
	MaxGrammarBytes = 1 << 20 // source size
	maxNesting      = 256     // nested parentheses
	maxRepeat       = 10000   // m and n of {m,n}
	maxElems        = 1 << 21 // compiled elements in all rules
	maxRules        = 1 << 18
)

// ErrGrammar wraps every error about a grammar's text or structure.
var ErrGrammar = errors.New("grammar")

// node is the parsed form of an expression, before lowering into rules.
type node struct {
	kind     nodeKind
	class    *charClass // nChar
	name     string     // nRef
	pos      int        // source offset of a reference, for errors
	kids     []*node    // nSeq items, nAlt alternatives, nRepeat's one item
	min, max int        // nRepeat; max < 0 is unbounded
}

type nodeKind uint8

const (
	nSeq nodeKind = iota
	nAlt
	nChar
	nRef
	nRepeat
)

type parser struct {
	src   string
	pos   int
	depth int
	rules map[string]*node // name -> nAlt
	order []string         // names in definition order
	where map[string]int   // definition offsets
}

// Parse compiles GBNF source. The start rule is "root".
func Parse(src string) (*Grammar, error) {
	if len(src) > MaxGrammarBytes {
		return nil, fmt.Errorf("%w: the grammar is %d bytes, at most %d are allowed", ErrGrammar, len(src), MaxGrammarBytes)
	}
	if !utf8.ValidString(src) {
		return nil, fmt.Errorf("%w: the grammar is not valid UTF-8", ErrGrammar)
	}
	p := &parser{src: src, rules: map[string]*node{}, where: map[string]int{}}
	if err := p.parseRules(); err != nil {
		return nil, err
	}
	g, err := lower(p)
	if err != nil {
		return nil, err
	}
	g.src = src
	return g, nil
}

func (p *parser) errf(format string, args ...any) error {
	line := 1 + strings.Count(p.src[:min(p.pos, len(p.src))], "\n")
	return fmt.Errorf("%w: line %d: %s", ErrGrammar, line, fmt.Sprintf(format, args...))
}

// space skips blanks and comments; newlines only when nl is set.
func (p *parser) space(nl bool) {
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case c == ' ' || c == '\t':
			p.pos++
		case c == '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' && p.src[p.pos] != '\r' {
				p.pos++
			}
		case nl && (c == '\n' || c == '\r'):
			p.pos++
		default:
			return
		}
	}
}

func isWordChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func (p *parser) name() string {
	start := p.pos
	for p.pos < len(p.src) && isWordChar(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *parser) parseRules() error {
	p.space(true)
	for p.pos < len(p.src) {
		start := p.pos
		name := p.name()
		if name == "" {
			return p.errf("expected a rule name, found %q", p.peekText())
		}
		p.space(false)
		if !strings.HasPrefix(p.src[p.pos:], "::=") {
			return p.errf("expected ::= after %q", name)
		}
		p.pos += 3
		p.space(true)
		alt, err := p.alternatives(false)
		if err != nil {
			return err
		}
		if _, dup := p.rules[name]; dup {
			p.pos = start
			return p.errf("rule %q is defined twice", name)
		}
		p.rules[name] = alt
		p.where[name] = start
		p.order = append(p.order, name)
		if len(p.rules) > maxRules {
			return p.errf("too many rules")
		}
		// A rule ends at a newline (or the end of the text).
		if p.pos < len(p.src) && p.src[p.pos] != '\n' && p.src[p.pos] != '\r' {
			return p.errf("expected a newline after rule %q, found %q", name, p.peekText())
		}
		p.space(true)
	}
	return nil
}

func (p *parser) peekText() string {
	s := p.src[p.pos:]
	if len(s) > 20 {
		s = s[:20] + "…"
	}
	return s
}

// alternatives parses seq ("|" seq)*; inside parentheses (nested) newlines
// are blanks, at the top level only after "|".
func (p *parser) alternatives(nested bool) (*node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxNesting {
		return nil, p.errf("groups nested deeper than %d", maxNesting)
	}
	alt := &node{kind: nAlt}
	for {
		seq, err := p.sequence(nested)
		if err != nil {
			return nil, err
		}
		alt.kids = append(alt.kids, seq)
		if p.pos < len(p.src) && p.src[p.pos] == '|' {
			p.pos++
			p.space(true)
			continue
		}
		return alt, nil
	}
}

func (p *parser) sequence(nested bool) (*node, error) {
	seq := &node{kind: nSeq}
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		var item *node
		switch {
		case c == '"':
			p.pos++
			lit := &node{kind: nSeq}
			err := p.charsUntil('"', "string literal", func(r rune) error {
				lit.kids = append(lit.kids, &node{kind: nChar, class: singleChar(r)})
				return nil
			})
			if err != nil {
				return nil, err
			}
			item = lit
		case c == '[':
			p.pos++
			cls, err := p.class()
			if err != nil {
				return nil, err
			}
			item = &node{kind: nChar, class: cls}
		case c == '.':
			p.pos++
			any := &charClass{neg: true}
			any.normalize()
			item = &node{kind: nChar, class: any}
		case c == '(':
			p.pos++
			p.space(true)
			alt, err := p.alternatives(true)
			if err != nil {
				return nil, err
			}
			if p.pos >= len(p.src) || p.src[p.pos] != ')' {
				return nil, p.errf("expected ) to close a group, found %q", p.peekText())
			}
			p.pos++
			item = alt
		case isWordChar(c):
			start := p.pos
			name := p.name()
			// A name followed by ::= starts the next rule: this one ended
			// at the newline before it (only reachable when nested is
			// false and a newline was skipped after "|"), so it is an error.
			save := p.pos
			p.space(false)
			if strings.HasPrefix(p.src[p.pos:], "::=") {
				p.pos = start
				return nil, p.errf("rule %q starts where a symbol was expected (missing newline?)", name)
			}
			p.pos = save
			item = &node{kind: nRef, name: name, pos: start}
		case c == '<':
			return nil, p.errf("token references (<...>) are not supported")
		case c == '!':
			return nil, p.errf("negated token references (!) are not supported")
		default:
			return seq, p.endOfSequence(nested)
		}
		p.space(nested)
		// Postfix repetition operators.
		for p.pos < len(p.src) {
			var lo, hi int
			switch p.src[p.pos] {
			case '*':
				lo, hi = 0, -1
				p.pos++
			case '+':
				lo, hi = 1, -1
				p.pos++
			case '?':
				lo, hi = 0, 1
				p.pos++
			case '{':
				p.pos++
				var err error
				if lo, hi, err = p.braces(); err != nil {
					return nil, err
				}
			default:
				goto done
			}
			item = &node{kind: nRepeat, kids: []*node{item}, min: lo, max: hi}
			p.space(nested)
		}
	done:
		seq.kids = append(seq.kids, item)
	}
	return seq, nil
}

// endOfSequence checks that what stopped a sequence may stop it.
func (p *parser) endOfSequence(nested bool) error {
	c := p.src[p.pos]
	switch {
	case c == '|':
		return nil
	case c == ')':
		if nested {
			return nil
		}
		return p.errf("unbalanced )")
	case c == '\n' || c == '\r':
		if !nested {
			return nil
		}
	}
	return p.errf("unexpected %q", p.peekText())
}

func (p *parser) braces() (int, int, error) {
	p.space(true)
	num := func() (int, bool, error) {
		start := p.pos
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
		if start == p.pos {
			return 0, false, nil
		}
		n, err := strconv.Atoi(p.src[start:p.pos])
		if err != nil || n > maxRepeat {
			return 0, false, p.errf("repetition count %s is over the limit of %d", p.src[start:p.pos], maxRepeat)
		}
		return n, true, nil
	}
	lo, ok, err := num()
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		return 0, 0, p.errf("expected a number after {")
	}
	p.space(true)
	hi := lo
	if p.pos < len(p.src) && p.src[p.pos] == ',' {
		p.pos++
		p.space(true)
		var has bool
		if hi, has, err = num(); err != nil {
			return 0, 0, err
		}
		if !has {
			hi = -1
		}
		p.space(true)
	}
	if p.pos >= len(p.src) || p.src[p.pos] != '}' {
		return 0, 0, p.errf("expected } to close a repetition")
	}
	p.pos++
	if hi >= 0 && hi < lo {
		return 0, 0, p.errf("repetition {%d,%d} has its maximum below its minimum", lo, hi)
	}
	return lo, hi, nil
}

// charsUntil reads characters (escapes decoded) up to end, which it
// consumes, giving each to f; what names the construct when the source
// ends first.
func (p *parser) charsUntil(end byte, what string, f func(r rune) error) error {
	for {
		if p.pos >= len(p.src) {
			return p.errf("unterminated %s", what)
		}
		if p.src[p.pos] == end {
			p.pos++
			return nil
		}
		r, err := p.char()
		if err != nil {
			return err
		}
		if err := f(r); err != nil {
			return err
		}
	}
}

// char reads one character of a literal or class, decoding escapes.
func (p *parser) char() (rune, error) {
	if p.src[p.pos] != '\\' {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		p.pos += n
		return r, nil
	}
	p.pos++
	if p.pos >= len(p.src) {
		return 0, p.errf("unfinished escape at the end")
	}
	e := p.src[p.pos]
	p.pos++
	hex := 0
	switch e {
	case 'x':
		hex = 2
	case 'u':
		hex = 4
	case 'U':
		hex = 8
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case '\\', '"', '[', ']', '-', '^', '/', '\'':
		return rune(e), nil
	default:
		p.pos -= 2
		return 0, p.errf("unknown escape \\%c", e)
	}
	if p.pos+hex > len(p.src) {
		return 0, p.errf("escape \\%c needs %d hex digits", e, hex)
	}
	v, err := strconv.ParseUint(p.src[p.pos:p.pos+hex], 16, 32)
	if err != nil {
		return 0, p.errf("escape \\%c needs %d hex digits", e, hex)
	}
	p.pos += hex
	if v > utf8.MaxRune {
		return 0, p.errf("code point %#x is past U+10FFFF", v)
	}
	return rune(v), nil
}

// class parses the inside of [...] after the opening bracket.
func (p *parser) class() (*charClass, error) {
	c := &charClass{}
	if p.pos < len(p.src) && p.src[p.pos] == '^' {
		c.neg = true
		p.pos++
	}
	err := p.charsUntil(']', "character class", func(lo rune) error {
		hi := lo
		if p.pos+1 < len(p.src) && p.src[p.pos] == '-' && p.src[p.pos+1] != ']' {
			p.pos++
			var err error
			if hi, err = p.char(); err != nil {
				return err
			}
			if hi < lo {
				return p.errf("character range %q-%q is backwards", lo, hi)
			}
		}
		c.ranges = append(c.ranges, runeRange{lo, hi})
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.normalize()
	return c, nil
}
