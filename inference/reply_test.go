package inference

import (
	"errors"
	"testing"
)

func TestReplyAdds(t *testing.T) {
	var r Reply
	top := []TokenProb{{Token: 5, Piece: "a", Prob: 0.5}}
	events := []Event{
		{Kind: EventPiece, Piece: "Once", Token: 5, Top: top},
		{Kind: EventPiece, Piece: " upon", Token: 6, Top: top},
		{Kind: EventPiece, Piece: "!", Token: NoToken},
	}
	for _, ev := range events {
		if r.Add(ev) {
			t.Fatal("a piece ended the reply")
		}
	}
	if !r.Add(Event{Kind: EventDone, StopReason: StopEOS, Stats: &Stats{GenTokens: 2}, Notice: "n"}) {
		t.Fatal("EventDone did not end the reply")
	}
	if r.Text() != "Once upon!" || len(r.Choices) != 2 || r.Choices[1].Piece != " upon!" || r.StopReason != StopEOS || r.Stats.GenTokens != 2 || r.Notice != "n" || r.Err != nil {
		t.Errorf("reply %+v, text %q", r, r.Text())
	}
	var failed Reply
	boom := errors.New("boom")
	if !failed.Add(Event{Kind: EventError, Err: boom}) || failed.Err != boom {
		t.Errorf("failed reply %+v", failed)
	}
}

func TestReplyKeepsReasoningApart(t *testing.T) {
	var r Reply
	for _, ev := range []Event{
		{Kind: EventPiece, Piece: "", Token: 1, Reasoning: true}, // "<think>"
		{Kind: EventPiece, Piece: "Hmm.", Token: 2, Reasoning: true},
	} {
		r.Add(ev)
	}
	if !r.Thinking() || r.Thought != 0 {
		t.Errorf("while reasoning: Thinking %v, Thought %v", r.Thinking(), r.Thought)
	}
	r.Add(Event{Kind: EventPiece, Piece: "Hi", Token: 3})
	if r.Thinking() || r.Thought <= 0 {
		t.Errorf("after the answer began: Thinking %v, Thought %v", r.Thinking(), r.Thought)
	}
	r.Add(Event{Kind: EventDone, StopReason: StopEOS})
	if r.Reasoning() != "Hmm." || r.Text() != "Hi" {
		t.Errorf("reasoning %q, text %q", r.Reasoning(), r.Text())
	}
	var plain Reply
	plain.Add(Event{Kind: EventPiece, Piece: "Hi", Token: 3})
	plain.Add(Event{Kind: EventDone, StopReason: StopEOS})
	if plain.Thought != 0 || plain.Reasoning() != "" {
		t.Errorf("a reply without reasoning: Thought %v, reasoning %q", plain.Thought, plain.Reasoning())
	}
}
