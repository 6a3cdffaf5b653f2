package grammar

import (
	"fmt"
	"strings"
	"testing"
)

// A large enum (thousands of values, as for country or product codes)
// works: its alternatives are many stacks at first, within the limits.
func TestLargeEnum(t *testing.T) {
	var vals []string
	for i := range 5000 {
		vals = append(vals, fmt.Sprintf(`"item-%04d"`, i))
	}
	gbnf, err := FromJSONSchema([]byte(`{"enum": [` + strings.Join(vals, ",") + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	g := mustParse(t, gbnf)
	if !matches(t, g, `"item-4321"`) || matches(t, g, `"item-5000"`) {
		t.Fatal("the enum grammar is wrong")
	}
	v, tok := llama3Vocab(t)
	c, err := NewConstraint(g, v)
	if err != nil {
		t.Fatal(err)
	}
	logits := make([]float32, v.Size())
	if err := c.Mask(logits); err != nil {
		t.Fatal(err)
	}
	// Token by token through a value: each next piece is allowed.
	for _, s := range []string{`"`, `item`, `-`, `43`, `21`, `"`} {
		ids := tok.Encode(s, false, false)
		if len(ids) != 1 {
			t.Fatalf("%q is %d tokens", s, len(ids))
		}
		if err := c.Mask(logits); err != nil {
			t.Fatal(err)
		}
		if logits[ids[0]] != 0 {
			t.Fatalf("%q is not allowed", s)
		}
		clear(logits)
		if err := c.Accept(ids[0]); err != nil {
			t.Fatal(err)
		}
	}
	if !c.CanEnd() {
		t.Fatal("the value is complete but the grammar cannot end")
	}
}
