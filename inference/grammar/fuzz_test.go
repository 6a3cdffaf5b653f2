package grammar

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// fuzzVocab is small so each fuzz input runs many mask steps quickly.
var fuzzVocab = func() *Vocab {
	var pieces [][]byte
	for b := range 256 {
		pieces = append(pieces, []byte{byte(b)})
	}
	for _, s := range []string{"ab", "abc", "{\"", "\":", "é", "😀", "\xf0\x9f", "  ", "\n\n", "true", "aaaa"} {
		pieces = append(pieces, []byte(s))
	}
	pieces = append(pieces, nil)
	v, err := NewVocab(pieces, []int{len(pieces) - 1})
	if err != nil {
		panic(err)
	}
	return v
}()

func addGrammarSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.gbnf")
	for _, p := range files {
		src, err := os.ReadFile(p)
		if err == nil {
			f.Add(string(src), uint64(1))
		}
	}
	for _, s := range []string{
		`root ::= "a"{2,5} [^x-z]* ("b" | root)?`,
		`root ::= (("a" | "a")* "b")*`,
		`root ::= x x x` + "\nx ::= \"x\"? \"y\"?",
		`root ::= . .? [\u0100-\U0010FFFF]+`,
		"root ::= \"(\" root \")\" | \"\"",
		`root ::= root`,
	} {
		f.Add(s, uint64(2))
	}
}

// FuzzGrammar: any text either fails to parse with ErrGrammar or gives a
// grammar whose masks and accepts work (or fail with a clear error)
// without panicking or hanging, and whose walks it matches again.
func FuzzGrammar(f *testing.F) {
	addGrammarSeeds(f)
	f.Fuzz(func(t *testing.T, src string, seed uint64) {
		g, err := Parse(src)
		if err != nil {
			if !errors.Is(err, ErrGrammar) {
				t.Fatalf("error %v does not wrap ErrGrammar", err)
			}
			return
		}
		fuzzWalk(t, g, seed)
	})
}

func fuzzWalk(t *testing.T, g *Grammar, seed uint64) {
	c, err := NewConstraint(g, fuzzVocab)
	if err != nil {
		if !errors.Is(err, ErrTooComplex) {
			t.Fatalf("NewConstraint: %v", err)
		}
		return
	}
	r := rand.New(rand.NewPCG(seed, 7))
	logits := make([]float32, fuzzVocab.Size())
	eos := fuzzVocab.Size() - 1
	var text []byte
	for range 40 {
		clear(logits)
		if err := c.Mask(logits); err != nil {
			if errors.Is(err, ErrTooComplex) || errors.Is(err, ErrNoToken) {
				return
			}
			t.Fatalf("mask: %v", err)
		}
		// Bounded time per token: one mask does at most maxOpWork
		// expansion steps, whatever the grammar (past it, ErrTooComplex).
		if c.m.e.opWork > maxOpWork {
			t.Fatalf("a mask did %d expansion steps, over the %d limit", c.m.e.opWork, maxOpWork)
		}
		var ok []int
		for id, l := range logits {
			if l == 0 {
				ok = append(ok, id)
			}
		}
		id := ok[r.IntN(len(ok))]
		if err := c.Accept(id); err != nil {
			if errors.Is(err, ErrTooComplex) {
				return
			}
			t.Fatalf("accept of an allowed token %q after %q: %v", fuzzVocab.pieces[id], text, err)
		}
		if id == eos {
			m, err := g.NewMatcher()
			if err != nil {
				t.Fatal(err)
			}
			if err := m.AcceptBytes(text); err != nil && !errors.Is(err, ErrTooComplex) {
				t.Fatalf("the walk %q does not match again: %v", text, err)
			} else if err == nil && !m.CanEnd() {
				t.Fatalf("the walk %q ended where the grammar cannot", text)
			}
			return
		}
		text = append(text, fuzzVocab.pieces[id]...)
	}
}

// FuzzJSONSchema: any schema converts with ErrSchema or to a grammar that
// parses (or is refused with ErrGrammar, such as a self-reference) and
// walks without trouble.
func FuzzJSONSchema(f *testing.F) {
	for _, s := range testSchemas {
		f.Add(s, uint64(1))
	}
	f.Add(`{"type":"array","items":{"$ref":"#"}}`, uint64(3))
	f.Fuzz(func(t *testing.T, src string, seed uint64) {
		gbnf, err := FromJSONSchema([]byte(src))
		if err != nil {
			if !errors.Is(err, ErrSchema) {
				t.Fatalf("error %v does not wrap ErrSchema", err)
			}
			return
		}
		g, err := Parse(gbnf)
		if err != nil {
			if !errors.Is(err, ErrGrammar) {
				t.Fatalf("error %v does not wrap ErrGrammar", err)
			}
			return
		}
		fuzzWalk(t, g, seed)
	})
}
