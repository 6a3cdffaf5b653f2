package toolcall

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// parsePythonic reads the call list of Llama 3.2's small models,
// [f(a=1, b="x"), g()], turning each call's keyword arguments (Python
// literals: strings, numbers, True/False/None, lists, dicts) into JSON.
func parsePythonic(s string) ([]Call, error) {
	p := &pyParser{s: s}
	if !p.eat('[') {
		return nil, errors.New("toolcall: not a call list")
	}
	var calls []Call
	for {
		p.space()
		if p.eat(']') {
			break
		}
		if len(calls) > 0 && !p.eat(',') {
			return nil, p.fail("',' or ']'")
		}
		p.space()
		name := p.ident()
		if name == "" || !p.eat('(') {
			return nil, p.fail("a call")
		}
		var args orderedArgs[any]
		for {
			p.space()
			if p.eat(')') {
				break
			}
			if len(args.keys) > 0 && !p.eat(',') {
				return nil, p.fail("',' or ')'")
			}
			p.space()
			key := p.ident()
			p.space()
			if key == "" || !p.eat('=') {
				return nil, p.fail("keyword=value")
			}
			v, err := p.value(0)
			if err != nil {
				return nil, err
			}
			args.set(key, v)
		}
		b, err := args.json()
		if err != nil {
			return nil, err
		}
		calls = append(calls, Call{Name: name, Arguments: b})
		if len(calls) > maxCalls {
			return nil, errors.New("toolcall: too many calls")
		}
	}
	p.space()
	if p.i != len(p.s) {
		return nil, p.fail("the end")
	}
	return calls, nil
}

type pyParser struct {
	s string
	i int
}

// maxDepth bounds nested lists and dicts, so a hostile reply cannot
// exhaust the stack.
const maxDepth = 32

func (p *pyParser) fail(want string) error {
	return fmt.Errorf("toolcall: at byte %d of the call list: want %s", p.i, want)
}

func (p *pyParser) space() {
	for p.i < len(p.s) && unicode.IsSpace(rune(p.s[p.i])) {
		p.i++
	}
}

func (p *pyParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *pyParser) ident() string {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || p.i > start && c >= '0' && c <= '9' {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i]
}

func (p *pyParser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("toolcall: arguments nest too deeply")
	}
	p.space()
	if p.i >= len(p.s) {
		return nil, p.fail("a value")
	}
	switch c := p.s[p.i]; {
	case c == '"' || c == '\'':
		return p.str(c)
	case c == '[':
		p.i++
		var list []any
		for {
			p.space()
			if p.eat(']') {
				return list, nil
			}
			if len(list) > 0 && !p.eat(',') {
				return nil, p.fail("',' or ']'")
			}
			p.space()
			if p.eat(']') { // a trailing comma
				return list, nil
			}
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
	case c == '{':
		p.i++
		m := map[string]any{}
		for first := true; ; first = false {
			p.space()
			if p.eat('}') {
				return m, nil
			}
			if !first && !p.eat(',') {
				return nil, p.fail("',' or '}'")
			}
			k, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			ks, ok := k.(string)
			if !ok {
				return nil, p.fail("a string key")
			}
			p.space()
			if !p.eat(':') {
				return nil, p.fail("':'")
			}
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			m[ks] = v
		}
	default:
		word := p.ident()
		switch word {
		case "True", "true":
			return true, nil
		case "False", "false":
			return false, nil
		case "None", "null":
			return nil, nil
		case "":
			start := p.i
			for p.i < len(p.s) && strings.IndexByte("+-.0123456789eE", p.s[p.i]) >= 0 {
				p.i++
			}
			if _, err := strconv.ParseFloat(p.s[start:p.i], 64); err != nil {
				return nil, p.fail("a number")
			}
			return json.Number(p.s[start:p.i]), nil
		}
		return nil, p.fail("a literal, not " + strconv.Quote(word))
	}
}

func (p *pyParser) str(q byte) (string, error) {
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch c {
		case q:
			return b.String(), nil
		case '\\':
			if p.i >= len(p.s) {
				return "", p.fail("an escape")
			}
			e := p.s[p.i]
			p.i++
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", p.fail("the end of the string")
}
