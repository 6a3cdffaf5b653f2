// Package chat turns a conversation into the prompt text a model was trained
// on: the GGUF's Jinja chat template, or a built-in one for its family.
package chat

// Message is one turn of a conversation.
type Message struct {
	Role    string `json:"role"` // "system", "user" or "assistant"
	Content string `json:"content"`
	// Reasoning is a reply's thinking before its answer. Templates get it
	// as reasoning_content (Qwen3, DeepSeek) and thinking (gpt-oss), and
	// each decides whether later turns see it.
	Reasoning string `json:"reasoning,omitempty"`
}
