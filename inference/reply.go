package inference

import (
	"strings"
	"time"
)

// Reply is what a front end keeps of a reply as its events arrive (Add
// each one in order): the text, the token choices when they were asked for,
// and how it ended. The Controller, `burrow chat` and the API server read
// events through it.
type Reply struct {
	text      strings.Builder
	reasoning strings.Builder
	// Thought is how long the model reasoned: from its first reasoning
	// piece to its answer's first (or the end), as the events arrived.
	Thought      time.Duration
	thinkStarted time.Time
	answered     bool
	// Choices are the tokens that came with alternatives (Event.Top); text
	// released at the end (NoToken) belongs to the last of them.
	Choices    []Choice
	StopReason string
	Stats      *Stats
	Notice     string
	Err        error // why the reply failed (EventError)
	Done       bool  // an EventDone or EventError arrived
}

// Choice is one generated token and the alternatives the sampler saw.
type Choice struct {
	Piece string      `json:"piece"` // the text it completed ("" inside a UTF-8 sequence)
	Token int         `json:"token"`
	Top   []TokenProb `json:"top,omitempty"`
}

// Add folds ev into the reply and reports whether it ended it.
func (r *Reply) Add(ev Event) bool {
	switch ev.Kind {
	case EventPiece:
		if ev.Reasoning {
			if r.thinkStarted.IsZero() {
				r.thinkStarted = time.Now()
			}
			r.reasoning.WriteString(ev.Piece)
		} else {
			if !r.answered && ev.Piece != "" {
				r.answered = true
				r.endThinking()
			}
			r.text.WriteString(ev.Piece)
		}
		if len(ev.Top) > 0 {
			r.Choices = append(r.Choices, Choice{Piece: ev.Piece, Token: ev.Token, Top: ev.Top})
		} else if n := len(r.Choices); n > 0 && ev.Token == NoToken {
			r.Choices[n-1].Piece += ev.Piece
		}
	case EventDone:
		r.StopReason, r.Stats, r.Notice, r.Done = ev.StopReason, ev.Stats, ev.Notice, true
		r.endThinking()
	case EventError:
		r.Err, r.Done = ev.Err, true
		r.endThinking()
	}
	return r.Done
}

// endThinking fixes Thought once the reasoning is over.
func (r *Reply) endThinking() {
	if !r.thinkStarted.IsZero() && r.Thought == 0 {
		r.Thought = max(time.Since(r.thinkStarted), time.Nanosecond)
	}
}

// Text is the reply's answer so far (its reasoning left out).
func (r *Reply) Text() string { return r.text.String() }

// Reasoning is the reply's reasoning so far, its markers removed.
func (r *Reply) Reasoning() string { return r.reasoning.String() }

// Thinking reports whether the model is reasoning now: it began and no
// answer has come yet.
func (r *Reply) Thinking() bool { return !r.thinkStarted.IsZero() && !r.answered && !r.Done }
