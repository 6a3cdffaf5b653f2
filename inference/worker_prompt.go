package inference

import (
	"errors"
	"fmt"
	"strings"

	"burrow/inference/chat"
)

// ErrTurnsDropped's text starts the EventDone.Notice of a reply for which
// ContextDropOldest removed turns (the reply is complete: not a failure).
var ErrTurnsDropped = errors.New("oldest turns dropped to fit the context")

// prompt is a rendered, tokenized conversation.
type prompt struct {
	tokens   []int
	text     string
	template string // name of the template used
	fellBack error  // why the model's template was replaced by a built-in
	dropped  int    // messages dropped by ContextDropOldest
}

// buildPrompt renders the conversation for the model and tokenizes it,
// applying the context policy. reserve is the room the reply needs.
func (m *loadedModel) buildPrompt(req GenerateRequest, ctxLen, reserve int, policy ContextPolicy) (prompt, error) {
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
		pr, err := m.renderTokens(p, msgs)
		if err != nil {
			return prompt{}, err
		}
		pr.dropped = dropped
		if len(pr.tokens)+reserve <= ctxLen {
			return pr, nil
		}
		if policy == ContextDropOldest {
			if rest, n := dropOldestTurn(msgs); n > 0 {
				msgs, dropped = rest, dropped+n
				continue
			}
		}
		if len(pr.tokens) < ctxLen {
			// It fits without all the room asked for: the reply stops
			// with StopLength when the context fills.
			return pr, nil
		}
		return prompt{}, fmt.Errorf("%w: the prompt is %d tokens and the context holds %d; start a new conversation, shorten it, or load the model with a larger context",
			ErrContextFull, len(pr.tokens), ctxLen)
	}
}

// rawPrompt tokenizes a plain-text prompt as `burrow run` does (Model.Tokenize:
// BOS per the vocabulary, special tokens not parsed). Nothing can be dropped
// from it, so it only has to fit in the context; the reply stops with
// StopLength when the context fills.
func (m *loadedModel) rawPrompt(text string, ctxLen int) (prompt, error) {
	tokens := m.Tokenize(text)
	if len(tokens) == 0 {
		return prompt{}, errors.New("the prompt tokenizes to no tokens")
	}
	if len(tokens) >= ctxLen {
		return prompt{}, fmt.Errorf("%w: the prompt is %d tokens and the context holds %d; shorten it or load the model with a larger context",
			ErrContextFull, len(tokens), ctxLen)
	}
	return prompt{tokens: tokens, text: text, template: "raw"}, nil
}

// renderTokens renders msgs and tokenizes the text with special tokens
// parsed, adding the BOS token only when the template did not write it.
func (m *loadedModel) renderTokens(p *chat.Prompter, msgs []chat.Message) (prompt, error) {
	r, err := p.Render(msgs, chat.RenderOptions{AddGenerationPrompt: true})
	if err != nil {
		return prompt{}, fmt.Errorf("chat template: %w", err)
	}
	bosText := m.meta.BOS
	addSpecial := bosText == "" || !strings.HasPrefix(r.Text, bosText)
	tokens := m.Tok.Encode(r.Text, addSpecial, true)
	// Never two BOS tokens in a row, whatever the template and vocabulary did.
	if bos := m.Tok.BOS(); len(tokens) >= 2 && tokens[0] == bos && tokens[1] == bos {
		tokens = tokens[1:]
	}
	if len(tokens) == 0 {
		return prompt{}, errors.New("the conversation renders to no tokens")
	}
	return prompt{tokens: tokens, text: r.Text, template: r.Template, fellBack: r.FellBack}, nil
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
