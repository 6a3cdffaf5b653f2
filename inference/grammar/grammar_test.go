package grammar

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustParse(t testing.TB, src string) *Grammar {
	t.Helper()
	g, err := Parse(src)
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, src)
	}
	return g
}

// matches reports whether s is a complete match of g.
func matches(t testing.TB, g *Grammar, s string) bool {
	t.Helper()
	m, err := g.NewMatcher()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AcceptBytes([]byte(s)); err != nil {
		if !errors.Is(err, ErrRejected) {
			t.Fatalf("%q: %v", s, err)
		}
		return false
	}
	return m.CanEnd()
}

func TestLlamaCppExamplesParse(t *testing.T) {
	files, err := filepath.Glob("testdata/*.gbnf")
	if err != nil || len(files) < 8 {
		t.Fatalf("example grammars missing: %v %v", files, err)
	}
	cases := map[string]struct{ good, bad []string }{
		"json.gbnf": {
			good: []string{`{}`, `{"a": 1}`, `{"a": [1, 2.5e3, "x\n", true, null, {"b": {}}]}`, "{\n  \"k\": \"\\u00e9\"}", `{"é": "ü"}`},
			bad:  []string{`[]`, `{"a" 1}`, `{"a": 01}`, `{"a": "\x"}`, `{`, `{"a": tru}`},
		},
		"arithmetic.gbnf": {
			good: []string{"1+2=3\n", "(a +b)*c= d\nx=1\n"},
			bad:  []string{"1+=3\n", "1+2=3"},
		},
		"list.gbnf": {
			good: []string{"- a\n", "- one\n- two ü\n"},
			bad:  []string{"- \n", "* a\n", "- a"},
		},
		"chess.gbnf": {
			good: []string{"1. e4 e5\n2. Nf3 Nc6\n", "1. e4 e5\n12. O-O-O Qxd8+\n"},
			bad:  []string{"1. e4 e5\n", "1. e9 e5\n2. a3 a6\n"},
		},
		"japanese.gbnf": {good: []string{"こんにちは 世界"}, bad: []string{"hello", "こんにちは  世界"}},
		"english.gbnf":  {good: []string{"Hello, world!"}, bad: []string{"héllo"}},
		"json_arr.gbnf": {good: []string{"[\n1,\n\"a\"]"}, bad: []string{"[1]"}},
		"c.gbnf": {
			good: []string{"", "int main(){return 0;}", "float f(int x){x = x*2;}int g(){while(i<10){i = i+1;}}",
				"char h(){// hi\n/* a * b */if(a==b){puts (a, -1);}else{}}", "int k(){for(int i = 0; i<n; i = i+1){}}"},
			bad: []string{"int main(){return 0}", "intmain(){}", "int 1x(){}", "int f(){/* open}"},
		},
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		g := mustParse(t, string(src))
		c := cases[filepath.Base(f)]
		for _, s := range c.good {
			if !matches(t, g, s) {
				t.Errorf("%s should match %q", filepath.Base(f), s)
			}
		}
		for _, s := range c.bad {
			if matches(t, g, s) {
				t.Errorf("%s should not match %q", filepath.Base(f), s)
			}
		}
	}
}

func TestSyntax(t *testing.T) {
	tests := []struct {
		src       string
		good, bad []string
	}{
		{`root ::= "a"{3}`, []string{"aaa"}, []string{"aa", "aaaa"}},
		{`root ::= "a"{2,}`, []string{"aa", "aaaaa"}, []string{"a"}},
		{`root ::= "a"{0,2} "b"`, []string{"b", "ab", "aab"}, []string{"aaab"}},
		{`root ::= ("ab" | "c")+ "."`, []string{"ab.", "cabc."}, []string{".", "a."}},
		{`root ::= [^a-c]*`, []string{"", "xyz", "é"}, []string{"b"}},
		{`root ::= . "\x41\u00e9\U0001F600"`, []string{"zAé😀"}, []string{"Aé😀"}},
		{"root ::= \"a\" # comment\n  # another\n", []string{"a"}, []string{""}},
		{"root ::= x |\n  y\nx ::= \"x\"\ny ::= \"y\"", []string{"x", "y"}, []string{"xy"}},
		{"root ::= (\n \"a\"\n \"b\"\n)", []string{"ab"}, nil},
		{`root ::= ""`, []string{""}, []string{"a"}},
		{`root ::= [\]\[\\-]+`, []string{`]`, `[\-`}, []string{"a"}},
		{`root ::= "\t\n\r\"\\"`, []string{"\t\n\r\"\\"}, nil},
		{`root ::= "x" root | "y"`, []string{"y", "xxy"}, []string{"x"}},
		{`root ::= "(" root ")" | ""`, []string{"", "((()))"}, []string{"(()"}},
	}
	for _, tt := range tests {
		g := mustParse(t, tt.src)
		for _, s := range tt.good {
			if !matches(t, g, s) {
				t.Errorf("%q should match %q", tt.src, s)
			}
		}
		for _, s := range tt.bad {
			if matches(t, g, s) {
				t.Errorf("%q should not match %q", tt.src, s)
			}
		}
	}
}

func TestBadGrammars(t *testing.T) {
	tests := []struct{ src, want string }{
		{"", "no root"},
		{`foo ::= "a"`, "no root"},
		{`root ::= foo`, "never defined"},
		{`root ::= root "a" | "b"`, "left-recursive"},
		{"root ::= a\na ::= b? a \"x\" | \"y\"\nb ::= \"b\"", "left-recursive"},
		{`root ::= "a" root`, "no finite text"},
		{`root ::= "a"{0,100000}`, "over the limit"},
		{`root ::= (("a"{10000}){10000}){10000}` + strings.Repeat(` "a"{10000}`, 300), "more than"},
		{"root ::= a* \"b\"\na ::= \"a\" | \"\"", "left-recursive"},
		{`root ::= "abc`, "unterminated"},
		{`root ::= [abc`, "unterminated"},
		{`root ::= ("a"`, "expected )"},
		{`root ::= "a")`, "unbalanced"},
		{`root ::= "\q"`, "unknown escape"},
		{`root ::= "\x4"`, "hex digits"},
		{`root ::= [z-a]`, "backwards"},
		{`root ::= "a"{3,2}`, "below its minimum"},
		{`root ::= "a"{`, "expected a number"},
		{"root ::= \"a\"\nroot ::= \"b\"", "defined twice"},
		{`root ::= <think>`, "not supported"},
		{`root = "a"`, "expected ::="},
		{strings.Repeat("(", 1000) + strings.Repeat(")", 1000), "expected a rule name"},
		{"root ::= " + strings.Repeat("(", 1000) + "\"a\"" + strings.Repeat(")", 1000), "nested deeper"},
		{`root ::= [^\x00-\U0010FFFF]`, "no finite text"},
		{"root ::= \"\xff\"", "UTF-8"},
		{"root ::= " + strings.Repeat("x", MaxGrammarBytes), "bytes"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.src)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%.40q) = %v, want an error containing %q", tt.src, err, tt.want)
		}
		if err != nil && !errors.Is(err, ErrGrammar) {
			t.Errorf("Parse(%.40q): error %v does not wrap ErrGrammar", tt.src, err)
		}
	}
}

// Exponential ambiguity hits the stack limit and fails with a clear error.
func TestAmbiguityLimit(t *testing.T) {
	g := mustParse(t, "root ::= "+strings.Repeat(`("a" | "a" "a")? `, 40)+`"b"`)
	m, err := g.NewMatcher()
	if err != nil {
		t.Fatal(err)
	}
	err = m.AcceptBytes([]byte(strings.Repeat("a", 40)))
	if err == nil && matches(t, g, strings.Repeat("a", 40)+"b") {
		return // bounded by dedup: also fine
	}
	if err != nil && !errors.Is(err, ErrTooComplex) {
		t.Fatalf("err = %v, want ErrTooComplex", err)
	}
}

// byteVocab is every single byte plus some multi-byte pieces, so random
// walks can produce any text and exercise shared prefixes.
func byteVocab(t testing.TB, extra ...string) (*Vocab, int) {
	var pieces [][]byte
	for b := range 256 {
		pieces = append(pieces, []byte{byte(b)})
	}
	for _, s := range extra {
		pieces = append(pieces, []byte(s))
	}
	eos := len(pieces)
	pieces = append(pieces, nil)
	v, err := NewVocab(pieces, []int{eos})
	if err != nil {
		t.Fatal(err)
	}
	return v, eos
}

// walk generates random text through c; closers are preferred after
// soft bytes so the text ends.
func walk(t testing.TB, c *Constraint, v *Vocab, eos int, r *rand.Rand, soft int) string {
	t.Helper()
	logits := make([]float32, v.Size())
	var out []byte
	for step := 0; ; step++ {
		if step > 20000 {
			t.Fatalf("walk did not end: %q", out)
		}
		clear(logits)
		if err := c.Mask(logits); err != nil {
			t.Fatalf("mask after %q: %v", out, err)
		}
		var allowed []int
		for id, l := range logits {
			if l == 0 {
				allowed = append(allowed, id)
			}
		}
		pick := allowed[r.IntN(len(allowed))]
		if len(out) > soft {
			// Prefer the end, then closing characters.
			best := -1
			for _, id := range allowed {
				if id == eos {
					best = id
					break
				}
				if p := v.pieces[id]; len(p) == 1 && strings.IndexByte("\"]}0", p[0]) >= 0 && (best < 0 || r.IntN(2) == 0) {
					best = id
				}
			}
			if best >= 0 && r.IntN(4) != 0 {
				pick = best
			}
		}
		if err := c.Accept(pick); err != nil {
			t.Fatalf("accept %q after %q: %v", v.pieces[pick], out, err)
		}
		if pick == eos {
			return string(out)
		}
		out = append(out, v.pieces[pick]...)
	}
}

func TestRandomWalkMatches(t *testing.T) {
	v, eos := byteVocab(t, "ab", "abc", "true", "null", "\": ", "é", "\xc3", "😀", "\xf0\x9f")
	for _, f := range []string{"json.gbnf", "arithmetic.gbnf", "list.gbnf", "chess.gbnf", "english.gbnf", "japanese.gbnf"} {
		src, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		g := mustParse(t, string(src))
		r := rand.New(rand.NewPCG(1, 2))
		for range 20 {
			c, err := NewConstraint(g, v)
			if err != nil {
				t.Fatal(err)
			}
			s := walk(t, c, v, eos, r, 40)
			if !matches(t, g, s) {
				t.Fatalf("%s: walk produced %q, which does not match", f, s)
			}
		}
	}
}

// The mask agrees with trying each token on its own.
func TestMaskAgreesWithBruteForce(t *testing.T) {
	v, eos := byteVocab(t, "ab", "abc", "true", "tru", "null", "\": ", "é", "\xc3", "😀", "\xf0\x9f", "{\"", "1.5e")
	src, _ := os.ReadFile("testdata/json.gbnf")
	g := mustParse(t, string(src))
	r := rand.New(rand.NewPCG(3, 4))
	c, err := NewConstraint(g, v)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := g.NewMatcher() // the oracle: each token's bytes on their own
	if err != nil {
		t.Fatal(err)
	}
	var text []byte
	for step := 0; step < 200; step++ {
		for id := range v.Size() {
			got, err := c.Allows(id)
			if err != nil {
				t.Fatal(err)
			}
			want := false
			if id == eos {
				want = c.CanEnd()
			} else {
				want = probe(ref, v.pieces[id])
			}
			if got != want {
				t.Fatalf("after %q token %q: mask %v, brute force %v", text, v.pieces[id], got, want)
			}
		}
		// Advance by a random allowed non-end token.
		var ok []int
		for id := range v.Size() {
			if a, _ := c.Allows(id); a && id != eos {
				ok = append(ok, id)
			}
		}
		if len(ok) == 0 {
			break
		}
		id := ok[r.IntN(len(ok))]
		if err := c.Accept(id); err != nil {
			t.Fatal(err)
		}
		if err := ref.AcceptBytes(v.pieces[id]); err != nil {
			t.Fatal(err)
		}
		text = append(text, v.pieces[id]...)
	}
}

// Once a reply's states were seen, a token costs no allocation: the
// memoized transitions and the cached mask are reused.
func TestSteadyStateAllocatesNothing(t *testing.T) {
	v, _ := byteVocab(t, "ab", "abc")
	src, _ := os.ReadFile("testdata/json.gbnf")
	c, err := NewConstraint(mustParse(t, string(src)), v)
	if err != nil {
		t.Fatal(err)
	}
	logits := make([]float32, v.Size())
	for _, b := range []byte(`{"a": "`) {
		if err := c.Mask(logits); err != nil {
			t.Fatal(err)
		}
		if err := c.Accept(int(b)); err != nil {
			t.Fatal(err)
		}
	}
	ab := v.Size() - 3 // "ab", a string's inside again
	step := func() {
		if err := c.Mask(logits); err != nil {
			t.Fatal(err)
		}
		if err := c.Accept(ab); err != nil {
			t.Fatal(err)
		}
	}
	for range 50 {
		step()
	}
	if n := testing.AllocsPerRun(100, step); n != 0 {
		t.Fatalf("%v allocations per token", n)
	}
}

// A long chain of rules (the largest grammar that fits the size limit)
// compiles in linear time: its analysis is a worklist, not repeated passes.
func TestLongRuleChain(t *testing.T) {
	var b strings.Builder
	b.WriteString("root ::= r0\n")
	n := 0
	for ; b.Len() < MaxGrammarBytes-100; n++ {
		fmt.Fprintf(&b, "r%d ::= \"a\" r%d\n", n, n+1)
	}
	fmt.Fprintf(&b, "r%d ::= \"b\"\n", n)
	g := mustParse(t, b.String())
	if !matches(t, g, strings.Repeat("a", n)+"b") || matches(t, g, strings.Repeat("a", n-1)+"b") {
		t.Fatalf("the %d-rule chain matches the wrong text", n)
	}
	// The same chain with no end matches nothing: an error, found as fast.
	_, err := Parse(strings.TrimSuffix(b.String(), fmt.Sprintf("r%d ::= \"b\"\n", n)) + fmt.Sprintf("r%d ::= \"a\" r0\n", n))
	if err == nil || !strings.Contains(err.Error(), "no finite text") {
		t.Fatalf("endless chain: %v", err)
	}
}
