package inference

import (
	"errors"
	"fmt"

	"burrow/inference/chat"
)

// ErrTurnsDropped's text starts the EventDone.Notice of a reply for which
// ContextDropOldest removed turns (the reply is complete: not a failure).
var ErrTurnsDropped = errors.New("oldest turns dropped to fit the context")

// prompt is a rendered, tokenized conversation, after the context policy.
type prompt struct {
	Prompt
	dropped int // messages dropped by ContextDropOldest
}

// buildPrompt renders the conversation for the model and tokenizes it,
// applying the context policy. reserve is the room the reply needs.
func (m *Model) buildPrompt(req GenerateRequest, ctxLen, reserve int, policy ContextPolicy) (prompt, error) {
	if req.Prompt != "" {
		return m.rawPrompt(req.Prompt, ctxLen)
	}
	p := m.prompter
	if req.Template != "" {
		var err error
		if p, err = chat.NewPrompter(m.meta, req.Template); err != nil {
			return prompt{}, err
		}
	}
	msgs := req.Messages
	dropped := 0
	for {
		rendered, err := m.render(p, msgs, req.TemplateVars)
		if err != nil {
			return prompt{}, err
		}
		pr := prompt{Prompt: rendered, dropped: dropped}
		if len(pr.Tokens)+reserve <= ctxLen {
			return pr, nil
		}
		if policy == ContextDropOldest {
			if rest, n := dropOldestTurn(msgs); n > 0 {
				msgs, dropped = rest, dropped+n
				continue
			}
		}
		if len(pr.Tokens) < ctxLen {
			// It fits without all the room asked for: the reply stops
			// with StopLength when the context fills.
			return pr, nil
		}
		return prompt{}, fmt.Errorf("the conversation does not fit in the context: the prompt is %d tokens and the context holds %d; start a new conversation, shorten it, or load the model with a larger context (%w)",
			len(pr.Tokens), ctxLen, ErrContextFull)
	}
}

// rawPrompt tokenizes a plain-text prompt as `burrow run` does (Model.Tokenize:
// BOS per the vocabulary, special tokens not parsed). Nothing can be dropped
// from it, so it only has to fit in the context; the reply stops with
// StopLength when the context fills.
func (m *Model) rawPrompt(text string, ctxLen int) (prompt, error) {
	tokens := m.Tokenize(text)
	if len(tokens) == 0 {
		return prompt{}, errors.New("the prompt tokenizes to no tokens")
	}
	if len(tokens) >= ctxLen {
		return prompt{}, fmt.Errorf("the conversation does not fit in the context: the prompt is %d tokens and the context holds %d; shorten it or load the model with a larger context (%w)",
			len(tokens), ctxLen, ErrContextFull)
	}
	return prompt{Prompt: Prompt{Tokens: tokens, Text: text, Template: "raw"}}, nil
}

// dropOldestTurn removes the oldest turn after the system prompt: the first
// non-system message and the replies up to the next user message, so the
// conversation still alternates. It never removes the last message; it
// reports how many it removed.
func dropOldestTurn(msgs []chat.Message) ([]chat.Message, int) {
	first := 0
	for first < len(msgs) && msgs[first].Role == "system" {
		first++
	}
	end := first + 1
	for end < len(msgs) && msgs[end].Role != "user" {
		end++
	}
	if end >= len(msgs) {
		return msgs, 0
	}
	out := make([]chat.Message, 0, len(msgs)-(end-first))
	out = append(out, msgs[:first]...)
	out = append(out, msgs[end:]...)
	return out, end - first
}

// commonPrefix is the number of leading tokens a and b share.
func commonPrefix(a, b []int) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
