package inference

import "strings"

// Reply is what a front end keeps of a reply as its events arrive (Add
// each one in order): the text, the token choices when they were asked for,
// and how it ended. The Controller, `burrow chat` and the API server read
// events through it.
type Reply struct {
	text strings.Builder
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
		r.text.WriteString(ev.Piece)
		if len(ev.Top) > 0 {
			r.Choices = append(r.Choices, Choice{Piece: ev.Piece, Token: ev.Token, Top: ev.Top})
		} else if n := len(r.Choices); n > 0 && ev.Token == NoToken {
			r.Choices[n-1].Piece += ev.Piece
		}
	case EventDone:
		r.StopReason, r.Stats, r.Notice, r.Done = ev.StopReason, ev.Stats, ev.Notice, true
	case EventError:
		r.Err, r.Done = ev.Err, true
	}
	return r.Done
}

// Text is the reply's text so far.
func (r *Reply) Text() string { return r.text.String() }
