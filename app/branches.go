package app

import (
	"fmt"
)

// Branches: regenerating a reply or editing a message keeps the old
// version. Conversation.Messages stays the path shown (what the engine
// reads, what older code and files know); the message where versions part
// holds the others in Alts, each with the turns that followed it, so the
// file is the whole tree and a file without Alts (today's and older ones)
// is a conversation with no branches: nothing to migrate.

// Versions reports which version of its turn message i shows (1-based) and
// how many there are (1: no branches).
func (c *Conversation) Versions(i int) (shown, total int) {
	if i < 0 || i >= len(c.Messages) {
		return 0, 0
	}
	m := c.Messages[i]
	return m.AltIndex + 1, len(m.Alts) + 1
}

// branchAt replaces the turns from i on with head, keeping them as the
// newest alternative version: head is shown as the last version.
func (c *Conversation) branchAt(i int, head Message) {
	old := c.Messages[i:]
	alts := old[0].Alts
	tail := append([]Message(nil), old...)
	tail[0].Alts, tail[0].AltIndex = nil, 0
	// Versions are kept in the order they were made; the shown one sits at
	// AltIndex among them.
	versions := make([][]Message, 0, len(alts)+1)
	versions = append(versions, alts[:min(old[0].AltIndex, len(alts))]...)
	versions = append(versions, tail)
	versions = append(versions, alts[min(old[0].AltIndex, len(alts)):]...)
	head.Alts, head.AltIndex = versions, len(versions)
	c.Messages = append(c.Messages[:i:i], head)
}

// switchVersion shows version to (0-based) of the turn at i, and the turns
// that followed it.
func (c *Conversation) switchVersion(i, to int) error {
	if i < 0 || i >= len(c.Messages) {
		return fmt.Errorf("no message %d", i)
	}
	cur := c.Messages[i]
	n := len(cur.Alts) + 1
	if to < 0 || to >= n {
		return fmt.Errorf("message %d has %d versions, not %d", i, n, to+1)
	}
	if to == cur.AltIndex {
		return nil
	}
	at := min(cur.AltIndex, len(cur.Alts))
	tail := append([]Message(nil), c.Messages[i:]...)
	tail[0].Alts, tail[0].AltIndex = nil, 0
	all := make([][]Message, 0, n)
	all = append(all, cur.Alts[:at]...)
	all = append(all, tail)
	all = append(all, cur.Alts[at:]...)
	chosen := append([]Message(nil), all[to]...)
	rest := append(append([][]Message(nil), all[:to]...), all[to+1:]...)
	chosen[0].Alts, chosen[0].AltIndex = rest, to
	c.Messages = append(c.Messages[:i:i], chosen...)
	return nil
}

// SwitchVersion shows another version of message index of conversation
// id (to is 0-based) with the turns that followed it; the next reply
// continues from there. Not while that conversation's reply is written.
func (c *Controller) SwitchVersion(id string, index, to int) error {
	c.mu.Lock()
	busy := c.gen != nil && c.gen.convID == id
	c.mu.Unlock()
	if busy {
		return ErrBusy
	}
	return c.edit(id, ChangeConversation, func(cv *Conversation) error {
		return cv.switchVersion(index, to)
	})
}

// regenerateAfter puts a new, empty reply after the user message at last,
// keeping the reply there (and what followed it) as another version. An
// empty or failed reply is not worth keeping: the new one takes its place
// among the versions.
func (c *Conversation) regenerateAfter(last int) {
	i := last + 1
	if i >= len(c.Messages) {
		return // no reply yet: startReply appends one
	}
	old := c.Messages[i]
	if old.Content == "" && len(c.Messages) == i+1 {
		c.Messages = append(c.Messages[:i:i], Message{Role: "assistant", Alts: old.Alts, AltIndex: old.AltIndex})
		if len(old.Alts) == 0 {
			c.Messages = c.Messages[:i]
		}
		return
	}
	c.branchAt(i, Message{Role: "assistant"})
}

// endsWithNewVersion reports whether the last message is the empty reply
// regenerateAfter placed (startReply fills it rather than adding one).
func endsWithNewVersion(ms []Message) bool {
	if len(ms) == 0 {
		return false
	}
	m := ms[len(ms)-1]
	return m.Role == "assistant" && m.Content == "" && m.Stats == nil && m.Err == "" && len(m.Alts) > 0
}

// normalizeBranches makes a tree read from a file safe to show and switch:
// empty versions are dropped and each AltIndex is put in range (a
// hand-edited or foreign file may have anything there).
func normalizeBranches(ms []Message) {
	for i := range ms {
		m := &ms[i]
		alts := m.Alts[:0:0]
		for _, tail := range m.Alts {
			if len(tail) > 0 {
				normalizeBranches(tail)
				tail[0].Alts, tail[0].AltIndex = nil, 0
				alts = append(alts, tail)
			}
		}
		if len(alts) == 0 {
			alts = nil
		}
		m.Alts = alts
		m.AltIndex = min(max(m.AltIndex, 0), len(m.Alts))
	}
}

// eachMessage calls f on every message of the tree, versions included.
func eachMessage(ms []Message, f func(Message) error) error {
	for _, m := range ms {
		if err := f(m); err != nil {
			return err
		}
		for _, tail := range m.Alts {
			if err := eachMessage(tail, f); err != nil {
				return err
			}
		}
	}
	return nil
}
