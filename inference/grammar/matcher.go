package grammar

import (
	"errors"
	"fmt"
)

// Runtime limits: an ambiguous grammar multiplies the stacks a matcher
// follows; past these it fails with ErrTooComplex instead of slowing down
// without bound.
const (
	maxStacks     = 4096   // stacks in one set
	maxExpandWork = 200000 // expansion steps for one character
)

// ErrTooComplex is returned when a grammar needs more stacks or work per
// character than the limits allow.
var ErrTooComplex = errors.New("grammar: too ambiguous (too many parse stacks for one character)")

// ErrRejected is returned when text does not continue the grammar.
var ErrRejected = errors.New("grammar: the text does not match")

// accepted in a stack set stands for the empty stack: the text so far is
// a complete match of root.
const accepted int32 = -1

// stackNode is one frame of a persistent pushdown stack: the position it
// resumes at and the frame below it (-1: the bottom). Frames are never
// changed once made, so stacks share their tails and a walk can undo its
// pushes by truncating the arena.
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

// engine holds the arena and scratch of stack operations; a Matcher and a
// mask walk share one.
type engine struct {
	g     *Grammar
	nodes []stackNode
	sets  []int32 // stack sets, back to back

	// Dedup of the set being built: linear for small sets, then a hash.
	outStart int
	table    []uint64 // key+1, 0 empty
	tableOn  bool
	work     int
	err      error
}

func key(pos, parent int32) uint64 { return uint64(uint32(pos))<<32 | uint64(uint32(parent)) }

func (e *engine) keyOf(idx int32) uint64 {
	if idx == accepted {
		return ^uint64(0) - 1
	}
	n := e.nodes[idx]
	return key(n.pos, n.parent)
}

// begin starts a new set at the end of e.sets.
func (e *engine) begin() {
	e.outStart = len(e.sets)
	e.tableOn = false
	e.work = 0
}

// seen reports whether the set being built holds k, and records it if not.
func (e *engine) seen(k uint64) bool {
	out := e.sets[e.outStart:]
	if !e.tableOn {
		for _, idx := range out {
			if e.keyOf(idx) == k {
				return true
			}
		}
		if len(out) < 16 {
			return false
		}
		// Switch to hashing: index what is already there.
		if e.table == nil {
			e.table = make([]uint64, 2*maxStacks)
		}
		clear(e.table)
		e.tableOn = true
		for _, idx := range out {
			e.insert(e.keyOf(idx))
		}
	}
	return !e.insert(k)
}

// insert adds k to the hash, reporting whether it was new.
func (e *engine) insert(k uint64) bool {
	mask := uint64(len(e.table) - 1)
	h := (k * 0x9e3779b97f4a7c15) >> 40
	for i := h & mask; ; i = (i + 1) & mask {
		switch e.table[i] {
		case 0:
			e.table[i] = k + 1
			return true
		case k + 1:
			return false
		}
	}
}

func (e *engine) emit(idx int32) {
	if len(e.sets)-e.outStart >= maxStacks {
		e.err = ErrTooComplex
		return
	}
	e.sets = append(e.sets, idx)
}

// expand adds to the set being built every stack that starts at pos with
// parent below it, resolved until each top is a character element (or the
// stack is empty).
func (e *engine) expand(pos, parent int32) {
	code := e.g.code
	for e.err == nil {
		if e.work++; e.work > maxExpandWork {
			e.err = ErrTooComplex
			return
		}
		el := code[pos]
		switch el.kind {
		case eChar:
			if k := key(pos, parent); !e.seen(k) {
				e.nodes = append(e.nodes, stackNode{pos, parent})
				e.emit(int32(len(e.nodes) - 1))
			}
			return
		case eEnd:
			if parent < 0 {
				if !e.seen(e.keyOf(accepted)) {
					e.emit(accepted)
				}
				return
			}
			// Pop: resume the frame below. If it waits on a character
			// it is itself a stack top; reuse it rather than copy it.
			n := e.nodes[parent]
			if code[n.pos].kind == eChar {
				if !e.seen(key(n.pos, n.parent)) {
					e.emit(parent)
				}
				return
			}
			pos, parent = n.pos, n.parent
		case eRef:
			cont := parent
			if code[pos+1].kind != eEnd { // a tail reference needs no frame
				e.nodes = append(e.nodes, stackNode{pos + 1, parent})
				cont = int32(len(e.nodes) - 1)
			}
			for _, a := range e.g.alts[el.arg] {
				e.expand(a, cont)
			}
			return
		}
	}
}

// advance builds, at the end of e.sets, the set that follows set (a range
// of e.sets) after code point c.
func (e *engine) advance(from, to int, c rune) (int, int) {
	e.begin()
	code, classes := e.g.code, e.g.classes
	for i := from; i < to && e.err == nil; i++ {
		idx := e.sets[i]
		if idx == accepted {
			continue
		}
		n := e.nodes[idx]
		if classes[code[n.pos].arg].match(c) {
			e.expand(n.pos+1, n.parent)
		}
	}
	return e.outStart, len(e.sets)
}

// filter builds the subset of set whose tops can still match a code point
// in [lo, hi] (a partial UTF-8 sequence).
func (e *engine) filter(from, to int, lo, hi rune) (int, int) {
	e.begin()
	code, classes := e.g.code, e.g.classes
	for i := from; i < to; i++ {
		idx := e.sets[i]
		if idx == accepted {
			continue
		}
		if classes[code[e.nodes[idx].pos].arg].matchesSome(lo, hi) {
			e.sets = append(e.sets, idx)
		}
	}
	return e.outStart, len(e.sets)
}

var minRune = [5]rune{0, 0, 0x80, 0x800, 0x10000}

// step feeds one byte to the set [from, to) with UTF-8 state u. It returns
// the new set (maybe empty: the byte is rejected) and state.
func (e *engine) step(from, to int, u utf8State, b byte) (int, int, utf8State) {
	if u.need == 0 {
		switch {
		case b < 0x80:
			s, t := e.advance(from, to, rune(b))
			return s, t, u
		case b >= 0xC2 && b <= 0xDF:
			u = utf8State{int32(b & 0x1F), 1, 2}
		case b >= 0xE0 && b <= 0xEF:
			u = utf8State{int32(b & 0x0F), 2, 3}
		case b >= 0xF0 && b <= 0xF4:
			u = utf8State{int32(b & 0x07), 3, 4}
		default:
			return len(e.sets), len(e.sets), u
		}
	} else {
		if b&0xC0 != 0x80 {
			return len(e.sets), len(e.sets), u
		}
		u.val = u.val<<6 | int32(b&0x3F)
		u.need--
		if u.need == 0 {
			c := rune(u.val)
			if c < minRune[u.size] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) {
				return len(e.sets), len(e.sets), utf8State{}
			}
			s, t := e.advance(from, to, c)
			return s, t, utf8State{}
		}
	}
	shift := 6 * uint(u.need)
	lo := rune(u.val) << shift
	hi := lo | (1<<shift - 1)
	lo, hi = max(lo, minRune[u.size]), min(hi, 0x10FFFF)
	if lo > hi || lo >= 0xD800 && hi <= 0xDFFF { // no valid completion
		return len(e.sets), len(e.sets), u
	}
	s, t := e.filter(from, to, lo, hi)
	return s, t, u
}

// Matcher follows text through a grammar. It is not safe for concurrent
// use; make one per generation (NewMatcher is cheap).
type Matcher struct {
	e    engine
	cur  []int32 // the current stack set
	u    utf8State
	live []int32 // scratch for compaction
}

// NewMatcher starts matching at the beginning of root.
func (g *Grammar) NewMatcher() (*Matcher, error) {
	m := &Matcher{e: engine{g: g}}
	m.e.begin()
	for _, a := range g.alts[g.root] {
		m.e.expand(a, -1)
	}
	if m.e.err != nil {
		return nil, m.e.err
	}
	m.cur = append(m.cur, m.e.sets...)
	m.e.sets = m.e.sets[:0]
	return m, nil
}

// CanEnd reports whether the text so far is a complete match.
func (m *Matcher) CanEnd() bool {
	if m.u.need != 0 {
		return false
	}
	for _, idx := range m.cur {
		if idx == accepted {
			return true
		}
	}
	return false
}

// Done reports whether nothing more can follow (only the end).
func (m *Matcher) Done() bool {
	for _, idx := range m.cur {
		if idx != accepted {
			return false
		}
	}
	return true
}

// AcceptBytes advances over b. On error the matcher is unchanged.
func (m *Matcher) AcceptBytes(b []byte) error {
	e := &m.e
	e.sets = append(e.sets[:0], m.cur...)
	from, to, u := 0, len(m.cur), m.u
	mark := len(e.nodes)
	for i, c := range b {
		from, to, u = e.step(from, to, u, c)
		if e.err != nil {
			err := e.err
			e.err = nil
			e.nodes = e.nodes[:mark]
			return err
		}
		if from == to {
			e.nodes = e.nodes[:mark]
			return fmt.Errorf("%w at byte %d of %q", ErrRejected, i, b)
		}
		// Keep only the newest set at the front of the buffer.
		n := copy(e.sets, e.sets[from:to])
		e.sets = e.sets[:n]
		from, to = 0, n
	}
	m.cur = append(m.cur[:0], e.sets[from:to]...)
	m.u = u
	m.compact()
	return nil
}

// compact drops arena frames no current stack uses, once the arena is
// large compared to what is live, so a long generation stays small.
func (m *Matcher) compact() {
	e := &m.e
	if len(e.nodes) < 1<<14 {
		return
	}
	// Mark live frames: remap[i] = new index + 1.
	remap := m.live[:0]
	for range e.nodes {
		remap = append(remap, 0)
	}
	live := 0
	for _, idx := range m.cur {
		for i := idx; i >= 0 && remap[i] == 0; i = e.nodes[i].parent {
			remap[i] = 1
			live++
		}
	}
	if live*4 > len(e.nodes) {
		m.live = remap
		return
	}
	// Parents have lower indices than children, so one forward pass
	// can renumber and copy.
	next := int32(0)
	for i := range e.nodes {
		if remap[i] == 0 {
			continue
		}
		n := e.nodes[i]
		if n.parent >= 0 {
			n.parent = remap[n.parent] - 1
		}
		e.nodes[next] = n
		next++
		remap[i] = next
	}
	e.nodes = e.nodes[:next]
	for i, idx := range m.cur {
		if idx >= 0 {
			m.cur[i] = remap[idx] - 1
		}
	}
	m.live = remap
}
