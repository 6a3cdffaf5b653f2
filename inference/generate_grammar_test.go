package inference

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"burrow/inference/grammar"
	"burrow/inference/sample"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Bounded schemas: every output fits in the context, so a reply can only
// end with the end-of-generation token the grammar allows at the end.
var genSchemas = []string{
	`{"type": "object", "properties": {"name": {"type": "string", "maxLength": 6}, "age": {"type": "integer"}, "ok": {"type": "boolean"}}, "required": ["name", "age"], "additionalProperties": false}`,
	`{"type": "array", "items": {"enum": ["cat", "dog", 7, null]}, "minItems": 1, "maxItems": 3}`,
	`{"anyOf": [{"type": "number"}, {"type": "object", "properties": {"k": {"const": "v"}}, "required": ["k"], "additionalProperties": false}]}`,
}

// With a grammar, even a tiny story model's sampled output always parses
// and validates, whatever the seed and temperature.
func TestGenerateWithJSONSchemaValidates(t *testing.T) {
	m := loadStories(t, "stories260K-f32.gguf", 512)
	ids := m.Tokenize("Once upon a time")
	st, err := m.NewState()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for si, src := range genSchemas {
		gbnf, err := grammar.FromJSONSchema([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		g, err := grammar.Parse(gbnf)
		if err != nil {
			t.Fatal(err)
		}
		sch := compileTestSchema(t, src)
		gv, err := m.GrammarVocab()
		if err != nil {
			t.Fatal(err)
		}
		for _, temp := range []float32{0, 0.8, 1.5} {
			for seed := uint64(1); seed <= 3; seed++ {
				c, err := grammar.NewConstraint(g, gv)
				if err != nil {
					t.Fatal(err)
				}
				p := sample.DefaultParams()
				p.Temperature, p.Seed = temp, seed
				res, err := Generate(context.Background(), st, m, ids, GenOptions{Params: p, MaxTokens: 480, Constraint: c}, nil)
				if err != nil {
					t.Fatalf("schema %d temp %v seed %d: %v", si, temp, seed, err)
				}
				if res.StopReason != StopEOS {
					t.Fatalf("schema %d temp %v seed %d: stopped by %s after %q", si, temp, seed, res.StopReason, res.Text)
				}
				inst, err := jsonschema.UnmarshalJSON(strings.NewReader(res.Text))
				if err != nil || !json.Valid([]byte(res.Text)) {
					t.Fatalf("schema %d temp %v seed %d: %q is not JSON: %v", si, temp, seed, res.Text, err)
				}
				if err := sch.Validate(inst); err != nil {
					t.Fatalf("schema %d temp %v seed %d: %q does not validate: %v", si, temp, seed, res.Text, err)
				}
				if seed == 1 {
					t.Logf("schema %d temp %v: %s", si, temp, res.Text)
				}
				if temp == 0 {
					break // greedy: the seed does not matter
				}
			}
		}
	}
}

// A grammar rides on a worker request too, and a bad grammar never gets
// as far as the sampler.
func TestWorkerGenerateWithGrammar(t *testing.T) {
	w, _ := startWorker(t, storiesPath(t), LoadOptions{ContextLength: 256, Threads: 2})
	m := loadStories(t, "stories260K-f32.gguf", 256)
	g, err := grammar.Parse(`root ::= "yes" | "no"`)
	if err != nil {
		t.Fatal(err)
	}
	p := sample.DefaultParams()
	p.Seed = 11
	var text string
	for ev := range w.Generate(context.Background(), GenerateRequest{Prompt: "Once upon a time", Params: p, MaxTokens: 20, Grammar: g}) {
		switch ev.Kind {
		case EventPiece:
			text += ev.Piece
		case EventError:
			t.Fatal(ev.Err)
		case EventDone:
			if ev.StopReason != StopEOS {
				t.Fatalf("stop %s", ev.StopReason)
			}
		}
	}
	if text != "yes" && text != "no" {
		t.Fatalf("reply %q, want yes or no", text)
	}
	// The grammar's end ends the reply: no token after it.
	st, err := m.NewState()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	gv, _ := m.GrammarVocab()
	c, err := grammar.NewConstraint(g, gv)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Generate(context.Background(), st, m, m.Tokenize("Once upon a time"), GenOptions{Params: p, Constraint: c}, nil)
	if err != nil || res.StopReason != StopEOS || (res.Text != "yes" && res.Text != "no") || m.Tok.IsEOG(res.Tokens[len(res.Tokens)-1]) {
		t.Fatalf("Generate = %+v, %v; want yes or no, ended by the grammar", res, err)
	}
}

func compileTestSchema(t *testing.T, src string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}
