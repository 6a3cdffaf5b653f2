package grammar

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode"
)

// patternGrammar turns a JSON Schema pattern (the common subset of
// ECMA-262 and Go regular expressions) into a GBNF expression for the
// JSON-escaped inside of a string whose value matches it. A pattern not
// anchored at a side may have any characters there (JSON Schema patterns
// search, they do not have to match the whole string).
func patternGrammar(pat string) (string, error) {
	re, err := syntax.Parse(pat, syntax.Perl)
	if err != nil {
		return "", errors.New("not a regular expression this engine supports")
	}
	begin, end := false, false
	if re.Op == syntax.OpConcat && len(re.Sub) > 0 {
		if re.Sub[0].Op == syntax.OpBeginText || re.Sub[0].Op == syntax.OpBeginLine {
			begin = true
			re.Sub = re.Sub[1:]
		}
		if n := len(re.Sub); n > 0 && (re.Sub[n-1].Op == syntax.OpEndText || re.Sub[n-1].Op == syntax.OpEndLine) {
			end = true
			re.Sub = re.Sub[:n-1]
		}
	} else if re.Op == syntax.OpBeginText || re.Op == syntax.OpEndText {
		return "char*", nil
	}
	body, err := regexGBNF(re, 0)
	if err != nil {
		return "", err
	}
	if !begin {
		body = "char* " + body
	}
	if !end {
		body += " char*"
	}
	return body, nil
}

func regexGBNF(re *syntax.Regexp, depth int) (string, error) {
	if depth > 100 {
		return "", errors.New("nested too deeply")
	}
	sub := func(i int) (string, error) { return regexGBNF(re.Sub[i], depth+1) }
	switch re.Op {
	case syntax.OpEmptyMatch:
		return `""`, nil
	case syntax.OpLiteral:
		var parts []string
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				rs := []rune{r}
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					rs = append(rs, f)
				}
				var pairs []rune
				for _, x := range rs {
					pairs = append(pairs, x, x)
				}
				parts = append(parts, jsonClass(pairs))
			} else {
				parts = append(parts, jsonClass([]rune{r, r}))
			}
		}
		return "(" + strings.Join(parts, " ") + ")", nil
	case syntax.OpCharClass:
		return jsonClass(re.Rune), nil
	case syntax.OpAnyChar:
		return jsonClass([]rune{0, unicode.MaxRune}), nil
	case syntax.OpAnyCharNotNL:
		// ECMA's dot also stops at \r, U+2028 and U+2029: take the smaller set.
		return jsonClass([]rune{0, '\t', 0x0B, 0x0C, 0x0E, 0x2027, 0x202A, unicode.MaxRune}), nil
	case syntax.OpCapture:
		return sub(0)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		x, err := sub(0)
		if err != nil {
			return "", err
		}
		op := map[syntax.Op]string{syntax.OpStar: "*", syntax.OpPlus: "+", syntax.OpQuest: "?"}[re.Op]
		return "(" + x + ")" + op, nil
	case syntax.OpRepeat:
		x, err := sub(0)
		if err != nil {
			return "", err
		}
		return repeat("("+x+")", re.Min, re.Max), nil
	case syntax.OpConcat, syntax.OpAlternate:
		parts := make([]string, len(re.Sub))
		for i := range re.Sub {
			p, err := sub(i)
			if err != nil {
				return "", err
			}
			parts[i] = p
		}
		if re.Op == syntax.OpConcat {
			return "(" + strings.Join(parts, " ") + ")", nil
		}
		return "(" + strings.Join(parts, " | ") + ")", nil
	}
	return "", fmt.Errorf("%s is not supported", opName(re.Op))
}

func opName(op syntax.Op) string {
	switch op {
	case syntax.OpBeginLine, syntax.OpBeginText, syntax.OpEndLine, syntax.OpEndText:
		return "an anchor inside the pattern"
	case syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return "a word boundary"
	}
	return "this construct"
}

// jsonClass is a GBNF expression for one character of the class (pairs
// of range ends, as regexp/syntax gives them) as it is written inside a
// JSON string: '"', '\' and control characters escaped.
func jsonClass(pairs []rune) string {
	var plain []string
	var escaped []string
	for i := 0; i+1 < len(pairs); i += 2 {
		lo, hi := pairs[i], pairs[i+1]
		for _, sp := range []rune{'"', '\\'} {
			if lo <= sp && sp <= hi {
				escaped = append(escaped, literal(`\`+string(sp)))
			}
		}
		for c := lo; c <= min(hi, 0x1F); c++ {
			escaped = append(escaped, literal(jsonEscape(c)))
		}
		// The plain part: [lo, hi] without controls, '"', '\' and surrogates.
		for _, r := range splitRange(max(lo, 0x20), hi) {
			plain = append(plain, classRange(r[0], r[1]))
		}
	}
	var alts []string
	if len(plain) > 0 {
		alts = append(alts, "["+strings.Join(plain, "")+"]")
	}
	alts = append(alts, escaped...)
	if len(alts) == 0 {
		return `[^\x00-\U0010FFFF]` // matches nothing
	}
	if len(alts) == 1 {
		return alts[0]
	}
	return "(" + strings.Join(alts, " | ") + ")"
}

func jsonEscape(c rune) string {
	switch c {
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	case '\b':
		return `\b`
	case '\f':
		return `\f`
	}
	return fmt.Sprintf(`\u%04x`, c)
}

// splitRange cuts [lo, hi] around '"', '\' and the surrogates.
func splitRange(lo, hi rune) [][2]rune {
	var out [][2]rune
	cut := func(a, b rune) {
		if a <= b {
			out = append(out, [2]rune{a, b})
		}
	}
	holes := [][2]rune{{'"', '"'}, {'\\', '\\'}, {0xD800, 0xDFFF}}
	for _, h := range holes {
		if hi < h[0] || lo > h[1] {
			continue
		}
		cut(lo, h[0]-1)
		lo = h[1] + 1
	}
	cut(lo, hi)
	return out
}

func classRange(lo, hi rune) string {
	esc := func(r rune) string {
		switch {
		case r == ']' || r == '[' || r == '\\' || r == '-' || r == '^' || r == '"':
			return `\` + string(r)
		case r < 0x20 || r == 0x7F || r > 0xFFFF:
			return fmt.Sprintf(`\U%08X`, r)
		case r > 0x7E:
			return fmt.Sprintf(`\u%04X`, r)
		}
		return string(r)
	}
	if lo == hi {
		return esc(lo)
	}
	return esc(lo) + "-" + esc(hi)
}
