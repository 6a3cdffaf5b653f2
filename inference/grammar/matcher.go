package grammar

import (
	"errors"
	"fmt"
	"slices"
)

// Runtime limits: an ambiguous grammar multiplies the stacks a matcher
// follows; past these it fails with ErrTooComplex instead of slowing down
// without bound.
const (
	maxStacks     = 1 << 16 // stacks in one set
	maxExpandWork = 200000  // expansion steps for one character
	maxOpWork     = 2000000 // expansion steps for one mask or accept
	// Past these sizes the memo is rebuilt from the current state alone.
	resetNodes = 1 << 20
	resetSets  = 1 << 18
	resetTrans = 1 << 22
	// Sets with a dense transition row (1 KiB each), given to a set once
	// it was stepped from denseAfter times.
	maxDenseRows = 1024
	denseAfter   = 32
)

// ErrTooComplex is returned when a grammar needs more stacks or work per
// character than the limits allow.
var ErrTooComplex = errors.New("grammar: too ambiguous (too many parse stacks for one token)")

// ErrRejected is returned when text does not continue the grammar.
var ErrRejected = errors.New("grammar: the text does not match")

// accepted in a stack set stands for the empty stack: the text so far is
// a complete match of root.
const accepted int32 = -1

// dead is the set after a rejected byte.
const dead int32 = -1

// stackNode is one frame of a pushdown stack: the position it resumes at
// and the frame below it (-1: the bottom). Frames are interned, so equal
// stacks are the same index, and never change, so stacks share tails.
type stackNode struct {
	pos, parent int32
}

// utf8State is a code point being assembled from bytes: value so far and
// how many continuation bytes are still due (0: none pending).
type utf8State struct {
	val  int32
	need int8
	size int8 // total bytes of the sequence
}

// dset is an interned set of stacks with the UTF-8 state: one state of
// the matcher. Its members are sorted, so equal states are one id.
type dset struct {
	lo, hi int32 // members[lo:hi]
	u      utf8State
	hash   uint64
	row    int32 // dense transition row in engine.dense, or -1
	steps  int32 // steps taken from it while it had no row
	stacks bool  // some member is a real stack (more text may follow)
	canEnd bool  // the empty stack is a member (never with a character pending)
}

// engine runs the stack operations and memoizes them: stack frames and
// sets are interned and the transition of a set on a byte is remembered,
// so a state seen before (a string's character loop, say) costs a table
// lookup per byte instead of an expansion. Effectively a DFA built lazily
// from the pushdown automaton.
type engine struct {
	g       *Grammar
	nodes   []stackNode
	nodeTab table // key(pos, parent) -> frame
	sets    []dset
	members []int32
	setTab  table // hash -> set
	trans   table // set<<8 | byte -> set+1, or 0 for dead
	// The first sets stepped from get a dense row of 256 transitions
	// (next+2; 0 unknown): a hot state, such as a string's inside, then
	// costs an array index per trie node.
	dense []int32
	epoch int // bumped when the memo is rebuilt (set ids change)

	scratch []int32
	mark    []uint32 // mark[frame] == stamp: already in scratch
	stamp   uint32
	acc     bool // scratch holds the empty stack
	work    int  // expansion steps of the current character
	opWork  int  // and of the current operation
	err     error
}

func key(pos, parent int32) uint64 { return uint64(uint32(pos))<<32 | uint64(uint32(parent)) }

func (e *engine) frame(pos, parent int32) int32 {
	k := key(pos, parent)
	if v, ok := e.nodeTab.get(k); ok {
		return v
	}
	e.nodes = append(e.nodes, stackNode{pos, parent})
	e.mark = append(e.mark, 0)
	id := int32(len(e.nodes) - 1)
	e.nodeTab.put(k, id)
	return id
}

// begin starts building a set in scratch.
func (e *engine) begin() {
	e.scratch = e.scratch[:0]
	e.acc = false
	e.work = 0
	if e.stamp++; e.stamp == 0 {
		clear(e.mark)
		e.stamp = 1
	}
}

func (e *engine) emit(idx int32) {
	if idx == accepted {
		e.acc = true
		return
	}
	if e.mark[idx] == e.stamp {
		return
	}
	e.mark[idx] = e.stamp
	if len(e.scratch) >= maxStacks {
		e.err = ErrTooComplex
		return
	}
	e.scratch = append(e.scratch, idx)
}

// expand adds to scratch every stack that starts at pos with parent below
// it, resolved until each top is a character element (or it is empty).
func (e *engine) expand(pos, parent int32) {
	code := e.g.code
	for e.err == nil {
		e.work++
		if e.work > maxExpandWork || e.opWork+e.work > maxOpWork {
			e.err = ErrTooComplex
			return
		}
		el := code[pos]
		switch el.kind {
		case eChar:
			e.emit(e.frame(pos, parent))
			return
		case eEnd:
			if parent < 0 {
				e.emit(accepted)
				return
			}
			// Pop: resume the frame below. If it waits on a character it
			// is itself a stack top.
			n := e.nodes[parent]
			if code[n.pos].kind == eChar {
				e.emit(parent)
				return
			}
			pos, parent = n.pos, n.parent
		case eRef:
			cont := parent
			if code[pos+1].kind != eEnd { // a tail reference needs no frame
				cont = e.frame(pos+1, parent)
			}
			for _, a := range e.g.alts[el.arg] {
				e.expand(a, cont)
			}
			return
		}
	}
}

// finish interns the set in scratch with UTF-8 state u (dead if empty).
func (e *engine) finish(u utf8State) int32 {
	e.opWork += e.work
	if e.err != nil || (len(e.scratch) == 0 && !e.acc) {
		return dead
	}
	slices.Sort(e.scratch)
	h := uint64(0xcbf29ce484222325) ^ uint64(uint32(u.val))<<16 ^ uint64(u.need)<<8 ^ uint64(u.size)
	if e.acc {
		h ^= 0x5bd1e995
	}
	for _, m := range e.scratch {
		h = (h ^ uint64(uint32(m))) * 0x100000001b3
	}
	h ^= h >> 29
	if id, ok := e.setTab.get(h); ok {
		s := &e.sets[id]
		if s.u == u && s.canEnd == e.acc && slices.Equal(e.members[s.lo:s.hi], e.scratch) {
			return id
		}
		// A 64-bit collision: keep the new set unshared, still correct.
		return e.newSet(h, u, false)
	}
	return e.newSet(h, u, true)
}

func (e *engine) newSet(h uint64, u utf8State, share bool) int32 {
	lo := int32(len(e.members))
	e.members = append(e.members, e.scratch...)
	s := dset{lo: lo, hi: int32(len(e.members)), u: u, hash: h, row: -1, stacks: len(e.scratch) > 0, canEnd: e.acc}
	e.sets = append(e.sets, s)
	id := int32(len(e.sets) - 1)
	if share {
		e.setTab.put(h, id)
	}
	return id
}

// advance gives the set that follows set s after code point c.
func (e *engine) advance(s int32, c rune) int32 {
	e.begin()
	code, classes := e.g.code, e.g.classes
	set := e.sets[s]
	for _, idx := range e.members[set.lo:set.hi] {
		if e.err != nil {
			break
		}
		n := e.nodes[idx]
		if classes[code[n.pos].arg].match(c) {
			e.expand(n.pos+1, n.parent)
		}
	}
	return e.finish(utf8State{})
}

// filter gives the subset of s whose tops can still match a code point in
// [lo, hi] (a partial UTF-8 sequence), with state u.
func (e *engine) filter(s int32, lo, hi rune, u utf8State) int32 {
	e.begin()
	code, classes := e.g.code, e.g.classes
	set := e.sets[s]
	for _, idx := range e.members[set.lo:set.hi] {
		if classes[code[e.nodes[idx].pos].arg].matchesSome(lo, hi) {
			e.scratch = append(e.scratch, idx)
		}
	}
	return e.finish(u)
}

var minRune = [5]rune{0, 0, 0x80, 0x800, 0x10000}

// step gives the set after byte b from set s, or dead.
func (e *engine) step(s int32, b byte) int32 {
	set := &e.sets[s]
	if set.row < 0 {
		if set.steps++; set.steps > denseAfter && len(e.dense) < maxDenseRows*256 {
			set.row = int32(len(e.dense) / 256)
			e.dense = append(e.dense, make([]int32, 256)...)
		}
	}
	if set.row >= 0 {
		slot := &e.dense[int(set.row)*256+int(b)]
		if *slot != 0 {
			return *slot - 2
		}
		next := e.stepSlow(s, b)
		if e.err == nil {
			*slot = next + 2
		}
		return next
	}
	k := uint64(uint32(s))<<8 | uint64(b)
	if v, ok := e.trans.get(k); ok {
		return v - 1
	}
	next := e.stepSlow(s, b)
	if e.err == nil {
		e.trans.put(k, next+1)
	}
	return next
}

func (e *engine) stepSlow(s int32, b byte) int32 {
	u := e.sets[s].u
	if u.need == 0 {
		switch {
		case b < 0x80:
			return e.advance(s, rune(b))
		case b >= 0xC2 && b <= 0xDF:
			u = utf8State{int32(b & 0x1F), 1, 2}
		case b >= 0xE0 && b <= 0xEF:
			u = utf8State{int32(b & 0x0F), 2, 3}
		case b >= 0xF0 && b <= 0xF4:
			u = utf8State{int32(b & 0x07), 3, 4}
		default:
			return dead
		}
	} else {
		if b&0xC0 != 0x80 {
			return dead
		}
		u.val = u.val<<6 | int32(b&0x3F)
		u.need--
		if u.need == 0 {
			c := rune(u.val)
			if c < minRune[u.size] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) {
				return dead
			}
			return e.advance(s, c)
		}
	}
	shift := 6 * uint(u.need)
	lo := rune(u.val) << shift
	hi := lo | (1<<shift - 1)
	lo, hi = max(lo, minRune[u.size]), min(hi, 0x10FFFF)
	if lo > hi || lo >= 0xD800 && hi <= 0xDFFF { // no valid completion
		return dead
	}
	return e.filter(s, lo, hi, u)
}

// startOp begins a mask walk or an accept: the work budget restarts.
func (e *engine) startOp() { e.opWork = 0; e.err = nil }

// rebuild drops the memo, keeping only set s (re-interned), and returns
// its new id.
func (e *engine) rebuild(s int32) int32 {
	old := *e
	set := old.sets[s]
	e.nodes, e.mark, e.sets, e.members = nil, nil, nil, nil
	e.nodeTab, e.setTab, e.trans = table{}, table{}, table{}
	e.dense = nil
	e.epoch++
	// Copy each stack bottom-up (iteratively: a stack may be deep).
	var chain []int32
	copyFrame := func(i int32) int32 {
		chain = chain[:0]
		for ; i >= 0; i = old.nodes[i].parent {
			chain = append(chain, i)
		}
		parent := int32(-1)
		for k := len(chain) - 1; k >= 0; k-- {
			parent = e.frame(old.nodes[chain[k]].pos, parent)
		}
		return parent
	}
	var fresh []int32
	for _, m := range old.members[set.lo:set.hi] {
		fresh = append(fresh, copyFrame(m))
	}
	e.begin()
	e.scratch = append(e.scratch, fresh...)
	e.acc = set.canEnd
	return e.finish(set.u)
}

// Matcher follows text through a grammar. It is not safe for concurrent
// use; make one per generation (NewMatcher is cheap).
type Matcher struct {
	e   engine
	cur int32 // the current state
}

// NewMatcher starts matching at the beginning of root.
func (g *Grammar) NewMatcher() (*Matcher, error) {
	m := &Matcher{e: engine{g: g}}
	m.e.startOp()
	m.e.begin()
	for _, a := range g.alts[g.root] {
		m.e.expand(a, -1)
	}
	if m.e.err != nil {
		return nil, m.e.err
	}
	m.cur = m.e.finish(utf8State{})
	if m.cur == dead {
		return nil, fmt.Errorf("%w: the root rule matches nothing", ErrGrammar)
	}
	return m, nil
}

// CanEnd reports whether the text so far is a complete match.
func (m *Matcher) CanEnd() bool { return m.e.sets[m.cur].canEnd }

// Done reports whether nothing more can follow (only the end).
func (m *Matcher) Done() bool { return !m.e.sets[m.cur].stacks }

// AcceptBytes advances over b. On error the matcher is unchanged.
func (m *Matcher) AcceptBytes(b []byte) error {
	e := &m.e
	e.startOp()
	s := m.cur
	for i, c := range b {
		s = e.step(s, c)
		if e.err != nil {
			err := e.err
			e.err = nil
			return err
		}
		if s == dead {
			return fmt.Errorf("%w at byte %d of %q", ErrRejected, i, b)
		}
	}
	m.cur = s
	m.maybeRebuild()
	return nil
}

// maybeRebuild keeps the memo bounded over a long generation.
func (m *Matcher) maybeRebuild() {
	e := &m.e
	if len(e.nodes) > resetNodes || len(e.sets) > resetSets || e.trans.n > resetTrans {
		m.cur = e.rebuild(m.cur)
	}
}

// table is an open-addressing hash map from uint64 keys to int32 values.
type table struct {
	keys []uint64 // key+1; 0 is empty
	vals []int32
	n    int
}

func (t *table) get(k uint64) (int32, bool) {
	if t.n == 0 {
		return 0, false
	}
	mask := uint64(len(t.keys) - 1)
	for i := (k * 0x9e3779b97f4a7c15 >> 32) & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case 0:
			return 0, false
		case k + 1:
			return t.vals[i], true
		}
	}
}

func (t *table) put(k uint64, v int32) {
	if 2*(t.n+1) > len(t.keys) {
		t.grow()
	}
	mask := uint64(len(t.keys) - 1)
	for i := (k * 0x9e3779b97f4a7c15 >> 32) & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case 0:
			t.keys[i], t.vals[i] = k+1, v
			t.n++
			return
		case k + 1:
			t.vals[i] = v
			return
		}
	}
}

func (t *table) grow() {
	old := *t
	size := max(64, 2*len(old.keys))
	*t = table{keys: make([]uint64, size), vals: make([]int32, size)}
	for i, k := range old.keys {
		if k != 0 {
			t.put(k-1, old.vals[i])
		}
	}
}
