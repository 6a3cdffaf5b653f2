package grammar

import (
	"strings"
	"testing"
)

// A long generation rebuilds the memo from the current state alone and
// goes on matching the same language.
func TestRebuildKeepsState(t *testing.T) {
	g := mustParse(t, `root ::= "[" root "]" | "x"`)
	m, err := g.NewMatcher()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AcceptBytes([]byte(strings.Repeat("[", 500))); err != nil {
		t.Fatal(err)
	}
	before := m.e.epoch
	m.cur = m.e.rebuild(m.cur)
	if m.e.epoch == before {
		t.Fatal("rebuild did not start a new epoch")
	}
	if err := m.AcceptBytes([]byte("x" + strings.Repeat("]", 499))); err != nil {
		t.Fatal(err)
	}
	if m.CanEnd() {
		t.Fatal("ended one bracket early")
	}
	if err := m.AcceptBytes([]byte("]")); err != nil || !m.CanEnd() {
		t.Fatalf("after the last bracket: %v, can end %v", err, m.CanEnd())
	}
	if m.AcceptBytes([]byte("]")) == nil {
		t.Fatal("an extra bracket was accepted")
	}
}
