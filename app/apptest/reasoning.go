package apptest

import "burrow/inference"

// reasoningEvents turns a scripted piece into the events the worker sends
// for it: with a reasoning format, the markers are removed and the text is
// tagged reasoning or answer, a piece cut in two giving a second event
// with NoToken (as inference.Generate does).
type reasoningEvents struct {
	split *inference.ReasoningSplitter
	parts []inference.Part
}

func newReasoningEvents(f inference.ReasoningFormat) *reasoningEvents {
	if f.Syntax == inference.ReasoningNone {
		return &reasoningEvents{}
	}
	return &reasoningEvents{split: inference.NewReasoningSplitter(f)}
}

// piece returns the events for one scripted piece carrying token id.
func (r *reasoningEvents) piece(ev inference.Event) []inference.Event {
	if r.split == nil {
		return []inference.Event{ev}
	}
	r.parts = r.split.Push(r.parts[:0], ev.Piece)
	return r.events(ev)
}

// flush returns the events for the text held back at the end.
func (r *reasoningEvents) flush() []inference.Event {
	if r.split == nil {
		return nil
	}
	r.parts = r.split.Flush(r.parts[:0])
	return r.events(inference.Event{Kind: inference.EventPiece, Token: inference.NoToken})
}

func (r *reasoningEvents) events(ev inference.Event) []inference.Event {
	if len(r.parts) == 0 {
		if ev.Token == inference.NoToken {
			return nil
		}
		ev.Piece, ev.Reasoning = "", r.split.InReasoning()
		return []inference.Event{ev}
	}
	out := make([]inference.Event, 0, len(r.parts))
	for i, p := range r.parts {
		e := ev
		if i > 0 {
			e = inference.Event{Kind: inference.EventPiece, Token: inference.NoToken}
		}
		e.Piece, e.Reasoning = p.Text, p.Reasoning
		out = append(out, e)
	}
	return out
}

// ThinkingPieces is a Qwen3-style reply that thinks first, in pieces that
// split the markers the way tokens may.
var ThinkingPieces = []string{"<think>", "\nThe user", " says hi.", " A short,", " warm greeting", " fits.\n", "</", "think>\n\n", "Hello", "! How", " can I", " help?"}

// ThinkTags is the reasoning format of ThinkingPieces.
var ThinkTags = inference.ReasoningFormat{Syntax: inference.ReasoningThinkTags}
