package grammar

import (
	"encoding/binary"
	"fmt"
	"slices"
	"unicode/utf8"
)

type runeRange struct{ lo, hi rune }

// charClass is a set of code points: sorted, merged ranges, maybe negated,
// with the ASCII part as a bitmap for the common case.
type charClass struct {
	ranges []runeRange
	neg    bool
	ascii  [2]uint64
}

func singleChar(r rune) *charClass {
	c := &charClass{ranges: []runeRange{{r, r}}}
	c.normalize()
	return c
}

func (c *charClass) normalize() {
	slices.SortFunc(c.ranges, func(a, b runeRange) int { return int(a.lo - b.lo) })
	out := c.ranges[:0]
	for _, r := range c.ranges {
		if n := len(out); n > 0 && r.lo <= out[n-1].hi+1 {
			out[n-1].hi = max(out[n-1].hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	c.ranges = out
	c.ascii = [2]uint64{}
	for _, g := range out {
		for r := g.lo; r <= min(g.hi, 127); r++ {
			c.ascii[r>>6] |= 1 << (r & 63)
		}
	}
	if c.neg {
		c.ascii[0], c.ascii[1] = ^c.ascii[0], ^c.ascii[1]
	}
}

func (c *charClass) slowMatch(r rune) bool {
	in := false
	for _, g := range c.ranges {
		if r >= g.lo && r <= g.hi {
			in = true
			break
		}
	}
	return in != c.neg
}

func (c *charClass) match(r rune) bool {
	if r < 128 {
		return c.ascii[r>>6]&(1<<(r&63)) != 0
	}
	return c.slowMatch(r)
}

// matchesSome reports whether some code point in [lo, hi] is in the class:
// a partial UTF-8 sequence can still complete into a match.
func (c *charClass) matchesSome(lo, hi rune) bool {
	if !c.neg {
		for _, g := range c.ranges {
			if g.lo <= hi && g.hi >= lo {
				return true
			}
		}
		return false
	}
	// Negated: some point of [lo, hi] lies outside every range.
	next := lo
	for _, g := range c.ranges {
		if g.hi < next {
			continue
		}
		if g.lo > next {
			return true
		}
		next = g.hi + 1
		if next > hi {
			return false
		}
	}
	return next <= hi
}

// empty reports whether no code point matches.
func (c *charClass) empty() bool {
	if !c.neg {
		return len(c.ranges) == 0
	}
	return !c.matchesSome(0, utf8.MaxRune)
}

func (c *charClass) key() string {
	b := make([]byte, 0, 1+8*len(c.ranges))
	if c.neg {
		b = append(b, '^')
	}
	for _, r := range c.ranges {
		b = binary.LittleEndian.AppendUint32(b, uint32(r.lo))
		b = binary.LittleEndian.AppendUint32(b, uint32(r.hi))
	}
	return string(b)
}

// Compiled form. Every rule is a list of alternatives; an alternative is a
// run of elements in code ending with an end element. Positions index code.
type elemKind uint8

const (
	eEnd  elemKind = iota // end of an alternative
	eChar                 // arg: class index
	eRef                  // arg: rule index
)

type elem struct {
	kind elemKind
	arg  int32
}

// Grammar is a compiled grammar: safe for concurrent use, shared by every
// Matcher made from it.
type Grammar struct {
	code    []elem
	classes []*charClass
	alts    [][]int32 // per rule: start positions of its alternatives
	names   []string  // rule names, synthetic ones included
	owners  []string  // the user rule each rule came from
	root    int32
	src     string
}

// Source is the GBNF text the grammar was compiled from (to forward it to
// another server, say).
func (g *Grammar) Source() string { return g.src }

// lowerer turns parsed rules into code, one synthetic rule per group and
// repetition.
type lowerer struct {
	g       *Grammar
	byName  map[string]int32
	classID map[string]int32
	bodies  [][][]elem // per rule, alternatives before they are laid out
	p       *parser
}

func lower(p *parser) (*Grammar, error) {
	if _, ok := p.rules["root"]; !ok {
		return nil, fmt.Errorf("%w: no root rule (the start rule must be called root)", ErrGrammar)
	}
	l := &lowerer{g: &Grammar{}, byName: map[string]int32{}, classID: map[string]int32{}, p: p}
	// User rules first, so their indices are stable and names known.
	for _, name := range p.order {
		l.newRule(name, name)
	}
	size := 0
	for _, name := range p.order {
		id := l.byName[name]
		alts, err := l.alternatives(p.rules[name], name, &size)
		if err != nil {
			return nil, err
		}
		l.bodies[id] = alts
	}
	g := l.g
	g.root = l.byName["root"]
	if err := l.layout(); err != nil {
		return nil, err
	}
	if err := g.check(); err != nil {
		return nil, err
	}
	return g, nil
}

func (l *lowerer) newRule(name, owner string) int32 {
	id := int32(len(l.g.names))
	l.g.names = append(l.g.names, name)
	l.g.owners = append(l.g.owners, owner)
	l.bodies = append(l.bodies, nil)
	if _, ok := l.byName[name]; !ok {
		l.byName[name] = id
	}
	return id
}

func (l *lowerer) class(c *charClass) int32 {
	k := c.key()
	if id, ok := l.classID[k]; ok {
		return id
	}
	id := int32(len(l.g.classes))
	l.g.classes = append(l.g.classes, c)
	l.classID[k] = id
	return id
}

func (l *lowerer) grow(size *int, n int) error {
	*size += n
	if *size > maxElems || len(l.g.names) > maxRules {
		return fmt.Errorf("%w: the grammar expands to more than %d elements (repetitions too large?)", ErrGrammar, maxElems)
	}
	return nil
}

func (l *lowerer) alternatives(n *node, owner string, size *int) ([][]elem, error) {
	var out [][]elem
	for _, k := range n.kids {
		var seq []elem
		if err := l.sequence(k, owner, &seq, size); err != nil {
			return nil, err
		}
		out = append(out, seq)
	}
	return out, nil
}

// sequence appends the elements of n to seq.
func (l *lowerer) sequence(n *node, owner string, seq *[]elem, size *int) error {
	switch n.kind {
	case nSeq:
		for _, k := range n.kids {
			if err := l.sequence(k, owner, seq, size); err != nil {
				return err
			}
		}
		return nil
	case nAlt:
		if len(n.kids) == 1 {
			return l.sequence(n.kids[0], owner, seq, size)
		}
	}
	e, err := l.item(n, owner, size)
	if err != nil {
		return err
	}
	*seq = append(*seq, e)
	return l.grow(size, 1)
}

// item lowers n to one element, making a rule for a group or repetition.
func (l *lowerer) item(n *node, owner string, size *int) (elem, error) {
	switch n.kind {
	case nChar:
		return elem{eChar, l.class(n.class)}, nil
	case nRef:
		id, ok := l.byName[n.name]
		if !ok {
			l.p.pos = n.pos
			return elem{}, l.p.errf("rule %q is used but never defined", n.name)
		}
		return elem{eRef, id}, nil
	case nSeq, nAlt:
		id := l.newRule(fmt.Sprintf("%s_%d", owner, len(l.g.names)), owner)
		var alts [][]elem
		if n.kind == nSeq {
			var seq []elem
			if err := l.sequence(n, owner, &seq, size); err != nil {
				return elem{}, err
			}
			alts = [][]elem{seq}
		} else {
			var err error
			if alts, err = l.alternatives(n, owner, size); err != nil {
				return elem{}, err
			}
		}
		l.bodies[id] = alts
		return elem{eRef, id}, l.grow(size, 1)
	case nRepeat:
		x, err := l.item(n.kids[0], owner, size)
		if err != nil {
			return elem{}, err
		}
		return l.repeat(x, n.min, n.max, owner, size)
	}
	return elem{}, fmt.Errorf("%w: internal: unknown node", ErrGrammar)
}

// repeat makes a rule matching x{lo,hi}: lo copies of x, then either a
// right-recursive star (hi < 0) or hi-lo nested optionals, which keep the
// matcher's stack sets small (x? x? x? ... would multiply them).
func (l *lowerer) repeat(x elem, lo, hi int, owner string, size *int) (elem, error) {
	var tail elem
	hasTail := true
	switch {
	case hi < 0:
		id := l.newRule(fmt.Sprintf("%s_star_%d", owner, len(l.g.names)), owner)
		l.bodies[id] = [][]elem{{x, {eRef, id}}, {}}
		tail = elem{eRef, id}
		if err := l.grow(size, 3); err != nil {
			return elem{}, err
		}
	case hi > lo:
		// opt_k ::= x opt_{k-1} | ε, built from the innermost out.
		var inner elem
		for k := 1; k <= hi-lo; k++ {
			id := l.newRule(fmt.Sprintf("%s_opt_%d", owner, len(l.g.names)), owner)
			if k == 1 {
				l.bodies[id] = [][]elem{{x}, {}}
			} else {
				l.bodies[id] = [][]elem{{x, inner}, {}}
			}
			inner = elem{eRef, id}
			if err := l.grow(size, 3); err != nil {
				return elem{}, err
			}
		}
		tail = inner
	default:
		hasTail = false
	}
	seq := make([]elem, 0, lo+1)
	for range lo {
		seq = append(seq, x)
	}
	if hasTail {
		seq = append(seq, tail)
	}
	if err := l.grow(size, len(seq)); err != nil {
		return elem{}, err
	}
	if len(seq) == 1 {
		return seq[0], nil
	}
	id := l.newRule(fmt.Sprintf("%s_rep_%d", owner, len(l.g.names)), owner)
	l.bodies[id] = [][]elem{seq}
	return elem{eRef, id}, nil
}

// layout writes the rule bodies into one code array.
func (l *lowerer) layout() error {
	g := l.g
	g.alts = make([][]int32, len(l.bodies))
	for id, alts := range l.bodies {
		for _, seq := range alts {
			g.alts[id] = append(g.alts[id], int32(len(g.code)))
			g.code = append(g.code, seq...)
			g.code = append(g.code, elem{eEnd, 0})
		}
	}
	return nil
}

// check analyses the rules: it drops alternatives that can never finish
// (so the matcher never walks into a dead end), and refuses left recursion
// (the matcher would expand it forever) and a root that matches nothing.
func (g *Grammar) check() error {
	nr := len(g.alts)
	// Productive rules: some alternative made only of productive parts.
	// A worklist, so a long chain of rules costs linear time.
	productive := g.fixpoint(func(e elem) (need bool, never bool) {
		if e.kind == eChar {
			return false, g.classes[e.arg].empty()
		}
		return true, false
	})
	if !productive[g.root] {
		return fmt.Errorf("%w: the root rule matches no finite text", ErrGrammar)
	}
	for r := range nr {
		kept := g.alts[r][:0]
		for _, a := range g.alts[r] {
			if g.altProductive(a, productive) {
				kept = append(kept, a)
			}
		}
		g.alts[r] = kept
	}

	// Nullable rules: some alternative of nullable references only.
	nullable := g.fixpoint(func(e elem) (bool, bool) { return e.kind == eRef, e.kind == eChar })

	// Left recursion: a cycle through references each preceded only by
	// nullable references in its alternative.
	const (
		unseen = iota
		active
		done
	)
	state := make([]uint8, nr)
	type frame struct {
		rule     int32
		alt, pos int
	}
	for start := range nr {
		if state[start] != unseen {
			continue
		}
		stack := []frame{{rule: int32(start)}}
		state[start] = active
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			alts := g.alts[f.rule]
			if f.alt >= len(alts) {
				state[f.rule] = done
				stack = stack[:len(stack)-1]
				continue
			}
			p := int(alts[f.alt]) + f.pos
			e := g.code[p]
			if e.kind != eRef {
				f.alt++
				f.pos = 0
				continue
			}
			// Look at this reference, then (if it is nullable) the next one.
			if nullable[e.arg] {
				f.pos++
			} else {
				f.alt++
				f.pos = 0
			}
			switch state[e.arg] {
			case active:
				return fmt.Errorf("%w: rule %q is left-recursive (it can reach itself before matching any character)", ErrGrammar, g.userName(e.arg))
			case unseen:
				state[e.arg] = active
				stack = append(stack, frame{rule: e.arg})
			}
		}
	}
	return nil
}

// fixpoint marks the rules with an alternative whose every element holds:
// classify says whether an element needs its rule marked (a reference) or
// can never hold. Each alternative counts the references it still waits
// for; marking a rule releases the alternatives that refer to it.
func (g *Grammar) fixpoint(classify func(elem) (need, never bool)) []bool {
	nr := len(g.alts)
	marked := make([]bool, nr)
	var waiting []int32          // per alternative (numbered in order): references left
	var owner []int32            // per alternative: its rule
	users := make([][]int32, nr) // per rule: alternatives waiting on it (once per reference)
	var queue []int32
	for r := range nr {
		for _, a := range g.alts[r] {
			id := int32(len(waiting))
			n, never := int32(0), false
			for p := a; g.code[p].kind != eEnd; p++ {
				e := g.code[p]
				need, nv := classify(e)
				if nv {
					never = true
					break
				}
				if need {
					n++
					users[e.arg] = append(users[e.arg], id)
				}
			}
			if never {
				n = -1 // never counts down to 0
			}
			waiting = append(waiting, n)
			owner = append(owner, int32(r))
			if n == 0 && !marked[r] {
				marked[r] = true
				queue = append(queue, int32(r))
			}
		}
	}
	for len(queue) > 0 {
		r := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, id := range users[r] {
			if waiting[id] <= 0 {
				continue
			}
			if waiting[id]--; waiting[id] == 0 && !marked[owner[id]] {
				marked[owner[id]] = true
				queue = append(queue, owner[id])
			}
		}
	}
	return marked
}

func (g *Grammar) altProductive(a int32, productive []bool) bool {
	for p := a; g.code[p].kind != eEnd; p++ {
		switch e := g.code[p]; e.kind {
		case eChar:
			if g.classes[e.arg].empty() {
				return false
			}
		case eRef:
			if !productive[e.arg] {
				return false
			}
		}
	}
	return true
}

// userName is the grammar author's name for a rule: synthetic rules are
// named after the rule they came from.
func (g *Grammar) userName(r int32) string { return g.owners[r] }
