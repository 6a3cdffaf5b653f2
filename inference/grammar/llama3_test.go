package grammar

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"burrow/inference/gguf"
	"burrow/inference/tokenizer"
	"burrow/internal/testenv"
)

var llama3 struct {
	once sync.Once
	v    *Vocab
	tok  *tokenizer.Tokenizer
	err  error
}

// llama3Vocab is the 128256-token Llama 3 vocabulary with its real
// pieces (control tokens have none; EOG tokens end the text).
func llama3Vocab(t testing.TB) (*Vocab, *tokenizer.Tokenizer) {
	t.Helper()
	dir := testenv.Dir()
	if dir == "" {
		t.Fatal("shared testdata folder missing (../shared/testdata or $BURROW_TESTDATA)")
	}
	path := filepath.Join(dir, "vocab", "ggml-vocab-llama-bpe.gguf")
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	llama3.once.Do(func() {
		f, err := gguf.Open(path)
		if err != nil {
			llama3.err = err
			return
		}
		defer f.Close()
		tok, err := tokenizer.FromGGUF(f)
		if err != nil {
			llama3.err = err
			return
		}
		pieces := make([][]byte, tok.VocabSize())
		var eog []int
		for id := range pieces {
			pieces[id] = tok.Piece(id)
			if tok.IsEOG(id) {
				eog = append(eog, id)
			}
		}
		llama3.tok = tok
		llama3.v, llama3.err = NewVocab(pieces, eog)
	})
	if llama3.err != nil {
		t.Fatal(llama3.err)
	}
	return llama3.v, llama3.tok
}

func jsonGrammar(t testing.TB) *Grammar {
	src, err := os.ReadFile("testdata/json.gbnf")
	if err != nil {
		t.Fatal(err)
	}
	return mustParse(t, string(src))
}

// On the real vocabulary the mask equals testing every token on its own.
func TestLlama3MaskAgreesWithBruteForce(t *testing.T) {
	v, tok := llama3Vocab(t)
	g := jsonGrammar(t)
	for _, prefix := range []string{"", "{", `{"name": "Al`, `{"a": [1, 2.`, `{"a": {"b": tr`, `{"a": "\u00`, "{\"é\": \"\xe2\x82"} {
		c, err := NewConstraint(g, v)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.m.AcceptBytes([]byte(prefix)); err != nil {
			t.Fatalf("%q: %v", prefix, err)
		}
		// The oracle follows each token's bytes on its own matcher.
		ref, err := g.NewMatcher()
		if err != nil {
			t.Fatal(err)
		}
		if err := ref.AcceptBytes([]byte(prefix)); err != nil {
			t.Fatal(err)
		}
		n := 0
		for id := range v.Size() {
			got, err := c.Allows(id)
			if err != nil {
				t.Fatal(err)
			}
			want := false
			if tok.IsEOG(id) {
				want = c.CanEnd()
			} else if p := v.pieces[id]; len(p) > 0 {
				want = probe(ref, p)
			}
			if got != want {
				t.Fatalf("after %q token %d %q: mask %v, brute force %v", prefix, id, v.pieces[id], got, want)
			}
			if got {
				n++
			}
		}
		t.Logf("after %q: %d of %d tokens allowed", prefix, n, v.Size())
	}
}

// BenchmarkLlama3Mask is the per-token cost of the mask on the 128k
// vocabulary: computing the allowed set and writing -Inf into the logits.
func BenchmarkLlama3Mask(b *testing.B) {
	v, _ := llama3Vocab(b)
	g := jsonGrammar(b)
	logits := make([]float32, v.Size())
	for _, bc := range []struct{ name, prefix string }{
		{"start", ""},
		{"object-key", `{"name": "Al", `},
		{"in-string", `{"name": "Al`},
		{"in-number", `{"n": 12`},
	} {
		start := func(b *testing.B) *Constraint {
			c, err := NewConstraint(g, v)
			if err != nil {
				b.Fatal(err)
			}
			if err := c.m.AcceptBytes([]byte(bc.prefix)); err != nil {
				b.Fatal(err)
			}
			return c
		}
		// cold: a new constraint, nothing memoized (the first token in a
		// new state of a new request).
		b.Run(bc.name+"/cold", func(b *testing.B) {
			for b.Loop() {
				c := start(b)
				if err := c.Mask(logits); err != nil {
					b.Fatal(err)
				}
			}
		})
		// walk: the state's mask is not cached but the byte transitions
		// are (the trie walk over memoized states).
		b.Run(bc.name+"/walk", func(b *testing.B) {
			c := start(b)
			b.ReportAllocs()
			for b.Loop() {
				c.fresh = false
				c.cache = c.cache[:0]
				if err := c.Mask(logits); err != nil {
					b.Fatal(err)
				}
			}
		})
		// cached: a state seen before in this reply.
		b.Run(bc.name+"/cached", func(b *testing.B) {
			c := start(b)
			b.ReportAllocs()
			for b.Loop() {
				c.fresh = false
				if err := c.Mask(logits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// probe reports whether b can follow m's text, leaving m as it was.
func probe(m *Matcher, b []byte) bool {
	e := &m.e
	e.startOp()
	s := m.cur
	for _, c := range b {
		if s = e.step(s, c); s == dead || e.err != nil {
			e.err = nil
			return false
		}
	}
	return true
}
