// Package chat turns a conversation into the prompt text a model was trained
// on: the GGUF's Jinja chat template, or a built-in one for its family.
package chat

// Message is one turn of a conversation.
type Message struct {
	Role    string `json:"role"` // "system", "user", "assistant" or "tool"
	Content string `json:"content"`
	// Reasoning is a reply's thinking before its answer. Templates get it
	// as reasoning_content (Qwen3, DeepSeek) and thinking (gpt-oss), and
	// each decides whether later turns see it.
	Reasoning string `json:"reasoning,omitempty"`
	// ToolCalls are the calls an assistant turn made (OpenAI's tool_calls).
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID and Name say which call a "tool" turn answers.
	ToolCallID string `json:"tool_call_id,omitempty"`
	Name       string `json:"name,omitempty"`
}

// ToolCall is a function call an assistant turn made; the template shows
// it to the model in later turns.
type ToolCall struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"` // a JSON object's text
}
