package apptest

import (
	"strings"

	"burrow/inference"
)

// Collect reads a reply's events: the text, the pieces, and the last event.
func Collect(ch <-chan inference.Event) (pieces []inference.Event, last inference.Event) {
	for ev := range ch {
		if ev.Kind == inference.EventPiece {
			pieces = append(pieces, ev)
		}
		last = ev
	}
	return pieces, last
}

// TextOf joins the pieces' text.
func TextOf(pieces []inference.Event) string {
	var b strings.Builder
	for _, p := range pieces {
		b.WriteString(p.Piece)
	}
	return b.String()
}

// WireChat decodes a chat completion as a client sees it.
type WireChat struct {
	ID, Object, Model string
	Created           int64
	Choices           []struct {
		Index   int
		Message *struct {
			Role, Content    string
			ReasoningContent *string `json:"reasoning_content"`
		}
		Delta *struct {
			Role             string
			Content          *string
			ReasoningContent *string `json:"reasoning_content"`
		}
		Logprobs *struct {
			Content []struct {
				Token       string
				Logprob     float64
				Bytes       []int
				TopLogprobs []struct {
					Token   string
					Logprob float64
				} `json:"top_logprobs"`
			}
		}
		FinishReason *string `json:"finish_reason"`
	}
	Usage *struct {
		PromptTokens        int `json:"prompt_tokens"`
		CompletionTokens    int `json:"completion_tokens"`
		TotalTokens         int `json:"total_tokens"`
		PromptTokensDetails struct {
			CachedTokens int `json:"cached_tokens"`
		} `json:"prompt_tokens_details"`
	}
}
