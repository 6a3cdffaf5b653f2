package api

import (
	"iter"
	"net/http"

	"burrow/inference"
)

// replyShape is how one endpoint writes a reply: chat and text completions
// differ only here; relay reads the events and streams them the same way.
type replyShape interface {
	// start is the chunk a stream opens with, if any.
	start() (any, bool)
	// piece is the stream chunk of one piece, if there is one to send.
	piece(ev inference.Event) (any, bool)
	// finish is the stream's last chunks: any text held back, then the
	// finish reason.
	finish(stop string) []any
	// usage is the stream chunk with only the token accounting.
	usage(st *inference.Stats) any
	// add notes a piece for the whole response (its logprobs).
	add(ev inference.Event)
	// whole is the complete (non-streamed) response.
	whole(rep *inference.Reply) any
}

// relay reads the reply's events once, first (already read) then the rest,
// and writes them as one response or as server-sent events.
func relay(w http.ResponseWriter, first inference.Event, rest <-chan inference.Event, shape replyShape, stream, withUsage bool) {
	if stream {
		streamReply(w, eventsFrom(first, rest), shape, withUsage)
		return
	}
	rep, _, e := wholeReply(first, rest, shape.add)
	if e != nil {
		writeError(w, e)
		return
	}
	writeOK(w, shape.whole(rep))
}

// wholeReply reads a non-streamed reply's events into rep, handing each
// piece to add (if set), up to the done event, which it returns. A failure,
// or events that end without one, is the error to write.
func wholeReply(first inference.Event, rest <-chan inference.Event, add func(inference.Event)) (rep *inference.Reply, done inference.Event, e *apiError) {
	rep = &inference.Reply{}
	for ev := range eventsFrom(first, rest) {
		rep.Add(ev)
		switch ev.Kind {
		case inference.EventPiece:
			if add != nil {
				add(ev)
			}
		case inference.EventError:
			return rep, ev, errGeneration(orUnknown(ev.Err))
		case inference.EventDone:
			return rep, ev, nil
		}
	}
	return rep, inference.Event{}, errGeneration(orUnknown(nil))
}

// streamReply sends the start chunk, each piece, the finish reason, the
// usage if asked, then [DONE]. A client that hangs up ends it: returning
// cancels the generation through the request's context.
func streamReply(w http.ResponseWriter, events iter.Seq[inference.Event], shape replyShape, withUsage bool) {
	out := startSSE(w)
	if c, ok := shape.start(); ok && out.send(c) != nil {
		return
	}
	for ev := range events {
		switch ev.Kind {
		case inference.EventPiece:
			c, ok := shape.piece(ev)
			if !ok {
				continue
			}
			if out.send(c) != nil {
				return
			}
		case inference.EventError:
			_ = out.sendError(errGeneration(orUnknown(ev.Err)))
			return
		case inference.EventDone:
			for _, c := range shape.finish(ev.StopReason) {
				if out.send(c) != nil {
					return
				}
			}
			if withUsage && out.send(shape.usage(ev.Stats)) != nil {
				return
			}
			_ = out.done()
			return
		}
	}
	_ = out.sendError(errGeneration(orUnknown(nil)))
}

// eventsFrom replays the first event, already read, before the rest.
func eventsFrom(first inference.Event, rest <-chan inference.Event) iter.Seq[inference.Event] {
	return func(yield func(inference.Event) bool) {
		if !yield(first) {
			return
		}
		for ev := range rest {
			if !yield(ev) {
				return
			}
		}
	}
}
