package grammar

import (
	"bytes"
	"fmt"
	"math"
	mbits "math/bits"
	"slices"
)

// Vocab is a tokenizer's vocabulary as a byte trie, built once per
// vocabulary and shared (read-only) by every Constraint on it.
//
// The trie is stored in preorder, so a mask walk is a loop over an array
// that jumps past the subtree of any prefix the grammar rejects: a token
// is tested only if every proper prefix of it was accepted, and shared
// prefixes are matched once.
type Vocab struct {
	nodes  []trieNode
	toks   []int32 // token ids by node: nodes[i].tokLo..tokHi
	eog    []int32 // end-of-generation tokens: allowed only at the end
	pieces [][]byte
	size   int
	maxLen int
}

type trieNode struct {
	b            byte
	depth        uint16
	end          int32 // index just past this node's subtree
	tokLo, tokHi int32
}

// maxPiece bounds a token's length in the trie; longer pieces (none in
// real vocabularies) are never allowed under a grammar.
const maxPiece = 1024

// NewVocab builds the trie. pieces[id] is token id's text (nil or empty
// for control tokens, which a grammar never allows); eog lists the
// end-of-generation ids, allowed exactly when the grammar can end.
func NewVocab(pieces [][]byte, eog []int) (*Vocab, error) {
	v := &Vocab{size: len(pieces), pieces: pieces}
	for _, id := range eog {
		if id < 0 || id >= len(pieces) {
			return nil, fmt.Errorf("grammar: end-of-generation token %d is outside the vocabulary of %d", id, len(pieces))
		}
		v.eog = append(v.eog, int32(id))
	}
	isEOG := make(map[int]bool, len(eog))
	for _, id := range eog {
		isEOG[id] = true
	}
	ids := make([]int32, 0, len(pieces))
	for id, p := range pieces {
		if len(p) > 0 && len(p) <= maxPiece && !isEOG[id] {
			ids = append(ids, int32(id))
		}
	}
	slices.SortFunc(ids, func(a, b int32) int {
		if c := bytes.Compare(pieces[a], pieces[b]); c != 0 {
			return c
		}
		return int(a - b)
	})
	v.nodes = append(v.nodes, trieNode{})
	path := []int32{0} // node index per depth of the previous piece
	var prev []byte
	for _, id := range ids {
		p := pieces[id]
		lcp := 0
		for lcp < len(p) && lcp < len(prev) && p[lcp] == prev[lcp] {
			lcp++
		}
		for len(path) > lcp+1 { // close the subtrees the new piece leaves
			v.nodes[path[len(path)-1]].end = int32(len(v.nodes))
			path = path[:len(path)-1]
		}
		for d := lcp; d < len(p); d++ {
			v.nodes = append(v.nodes, trieNode{b: p[d], depth: uint16(d + 1)})
			path = append(path, int32(len(v.nodes)-1))
		}
		n := &v.nodes[path[len(path)-1]]
		if n.tokHi == n.tokLo {
			n.tokLo = int32(len(v.toks))
		}
		v.toks = append(v.toks, id)
		n.tokHi = int32(len(v.toks))
		prev = p
		v.maxLen = max(v.maxLen, len(p))
	}
	for _, i := range path {
		v.nodes[i].end = int32(len(v.nodes))
	}
	return v, nil
}

// Size is the number of tokens.
func (v *Vocab) Size() int { return v.size }

// allowed fills bits (one per token) with the tokens that may follow the
// matcher's text, using levels (one state per trie depth) as scratch. It
// reports whether any token is allowed.
func (m *Matcher) allowed(v *Vocab, bits []uint64, levels []int32) (bool, error) {
	clear(bits)
	any := false
	e := &m.e
	e.startOp()
	levels[0] = m.cur
	if e.sets[m.cur].stacks {
		nodes := v.nodes
		for i := int32(1); i < int32(len(nodes)); {
			n := &nodes[i]
			d := int(n.depth)
			s := e.step(levels[d-1], n.b)
			if e.err != nil {
				err := e.err
				e.err = nil
				return false, err
			}
			if s == dead {
				i = n.end
				continue
			}
			for _, id := range v.toks[n.tokLo:n.tokHi] {
				bits[id>>6] |= 1 << (id & 63)
				any = true
			}
			if !e.sets[s].stacks { // complete: nothing longer fits
				i = n.end
				continue
			}
			levels[d] = s
			i++
		}
	}
	if m.CanEnd() {
		for _, id := range v.eog {
			bits[id>>6] |= 1 << (id & 63)
			any = true
		}
	}
	return any, nil
}

// Constraint limits generation to a grammar over a vocabulary: Mask sets
// the logits of the tokens the grammar does not allow next to -Inf, Accept
// advances past the chosen token. Once the states of a reply were seen
// neither allocates: memoized states and masks are reused.
type Constraint struct {
	m      *Matcher
	v      *Vocab
	bits   []uint64 // the allowed tokens of the current state (fresh)
	levels []int32
	fresh  bool
	ended  bool

	// Masks of states seen before, by state: a state that recurs (the
	// inside of a string, the same place in the next array item) costs a
	// lookup. Bounded; the oldest is reused.
	cache []maskEntry
	next  int
}

type maskEntry struct {
	epoch int
	state int32
	bits  []uint64
}

const maskCacheSize = 32

// NewConstraint starts a constraint at the beginning of g's root rule.
func NewConstraint(g *Grammar, v *Vocab) (*Constraint, error) {
	m, err := g.NewMatcher()
	if err != nil {
		return nil, err
	}
	return &Constraint{m: m, v: v, levels: make([]int32, v.maxLen+1)}, nil
}

// ErrNoToken is returned by Mask when no token of the vocabulary can
// continue the text (the vocabulary lacks a character the grammar needs).
var ErrNoToken = fmt.Errorf("grammar: no token of the vocabulary can continue the text")

func (c *Constraint) refresh() error {
	if c.fresh {
		return nil
	}
	e := &c.m.e
	for i := range c.cache {
		if en := &c.cache[i]; en.state == c.m.cur && en.epoch == e.epoch {
			c.bits = en.bits
			c.fresh = true
			return nil
		}
	}
	var en *maskEntry
	if len(c.cache) < maskCacheSize {
		c.cache = append(c.cache, maskEntry{bits: make([]uint64, (c.v.size+63)/64)})
		en = &c.cache[len(c.cache)-1]
	} else {
		en = &c.cache[c.next]
		c.next = (c.next + 1) % maskCacheSize
	}
	en.state = -2 // invalid until filled
	ok, err := c.m.allowed(c.v, en.bits, c.levels)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNoToken
	}
	en.state, en.epoch = c.m.cur, e.epoch
	c.bits = en.bits
	c.fresh = true
	return nil
}

// Mask sets every disallowed logit to -Inf. logits holds at least the
// vocabulary's tokens; ids past it (padding rows) are always disallowed.
func (c *Constraint) Mask(logits []float32) error {
	if c.ended {
		return fmt.Errorf("grammar: the text already ended")
	}
	if err := c.refresh(); err != nil {
		return err
	}
	ninf := float32(math.Inf(-1))
	bits := c.bits
	n := min(len(logits), c.v.size)
	for w := 0; w*64 < n; w++ {
		base := w * 64
		off := ^bits[w] // the disallowed tokens of this word
		if base+64 > n {
			off &= 1<<(n-base) - 1
		}
		if off == ^uint64(0) {
			row := logits[base : base+64]
			for i := range row {
				row[i] = ninf
			}
			continue
		}
		for off != 0 {
			logits[base+mbits.TrailingZeros64(off)] = ninf
			off &= off - 1
		}
	}
	for i := n; i < len(logits); i++ {
		logits[i] = ninf
	}
	return nil
}

// Allows reports whether token id may come next.
func (c *Constraint) Allows(id int) (bool, error) {
	if id < 0 || id >= c.v.size || c.ended {
		return false, nil
	}
	if err := c.refresh(); err != nil {
		return false, err
	}
	return c.bits[id>>6]&(1<<(id&63)) != 0, nil
}

// Accept advances past token id. An end-of-generation token is accepted
// only where the grammar can end, and ends the constraint.
func (c *Constraint) Accept(id int) error {
	if id < 0 || id >= c.v.size {
		return fmt.Errorf("grammar: token %d is outside the vocabulary", id)
	}
	if c.ended {
		return fmt.Errorf("grammar: token %d after the end", id)
	}
	if slices.Contains(c.v.eog, int32(id)) {
		if !c.m.CanEnd() {
			return fmt.Errorf("%w: the text ended before the grammar was complete", ErrRejected)
		}
		c.ended = true
		return nil
	}
	p := c.v.pieces[id]
	if len(p) == 0 || len(p) > maxPiece {
		return fmt.Errorf("%w: token %d has no text", ErrRejected, id)
	}
	if err := c.m.AcceptBytes(p); err != nil {
		return err
	}
	c.fresh = false
	return nil
}

// CanEnd reports whether the text so far is a complete match.
func (c *Constraint) CanEnd() bool { return c.m.CanEnd() }

// Done reports whether the grammar allows nothing but the end now.
func (c *Constraint) Done() bool { return c.m.Done() }
