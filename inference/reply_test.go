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
