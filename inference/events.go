// Package inference is Burrow's pure-Go engine. This file is the contract
// between the inference goroutine (Worker) and its front ends (the UI via
// app.Controller, the CLI, the API server): requests in, events out.
package inference

import (
	"time"

	"burrow/inference/chat"
	"burrow/inference/grammar"
	"burrow/inference/llama"
	"burrow/inference/sample"
)

// Stop reasons, as in the command-line contract.
const (
	StopEOS       = "eos"        // an end-of-generation token
	StopString    = "stop"       // a stop string
	StopMaxTokens = "max_tokens" // the requested number of tokens
	StopLength    = "length"     // the context is full
	StopCancelled = "cancelled"  // the caller cancelled
)

// LoadOptions say how to load a model.
type LoadOptions struct {
	ContextLength int          // 0: the model's, capped at 4096
	Threads       int          // 0: physical cores
	KV            llama.KVType // the KV cache; the zero value is llama.KVF32, the app and CLI pass llama.DefaultKV unless told
}

// GenerateRequest asks for one assistant reply to a conversation.
type GenerateRequest struct {
	Messages []chat.Message
	// Prompt, when set, is raw text to continue instead of a conversation:
	// Messages and Template are ignored and the text is tokenized like
	// `burrow run` (BOS when the vocabulary adds it, special tokens NOT
	// parsed, so "<|im_start|>" in the text stays plain text). The context
	// policy cannot drop anything from it: a prompt that does not fit is an
	// error wrapping ErrContextFull.
	Prompt string
	// Template overrides the model's chat template (Jinja source), if set.
	Template  string
	Params    sample.Params
	MaxTokens int // 0: until the end or the context is full
	Stop      []string
	// TopLogprobs > 0 asks for that many alternatives per generated token.
	TopLogprobs int
	// ContextPolicy says what to do when the conversation outgrows the
	// context; ContextDefault uses the worker's (Worker.SetContextPolicy).
	ContextPolicy ContextPolicy
	// TemplateVars are variables the chat template reads besides the
	// messages, as apply_chat_template's keyword arguments: Qwen3's
	// {"enable_thinking": false} turns its reasoning off.
	TemplateVars map[string]any
	// Grammar, when set, constrains the reply to the grammar (compiled by
	// grammar.Parse or from grammar.FromJSONSchema): every token sampled is
	// one the grammar allows, and the end only where it can end.
	Grammar *grammar.Grammar
	// Concurrent requests (the API's) run beside each other, up to
	// llama.MaxBatchRows at once, each in its own KV cache, their tokens
	// decoded together in one pass over the weights; the text is the same
	// as alone. Others (the window's) run on the main cache and go first.
	Concurrent bool
}

// ContextPolicy says what a generation does when the conversation does not
// fit in the context. Whatever the policy, a reply that fills the context
// stops with StopLength: nothing is cut silently.
type ContextPolicy int

const (
	// ContextDefault is the worker's policy (ContextStop unless set).
	ContextDefault ContextPolicy = iota
	// ContextStop refuses a prompt that does not fit (EventError wrapping
	// ErrContextFull).
	ContextStop
	// ContextDropOldest drops the oldest turns after the system prompt
	// until the prompt fits with room for the reply, and says so in
	// EventDone.Notice.
	ContextDropOldest
)

// EventKind tells what an Event carries.
type EventKind int

const (
	EventProgress EventKind = iota // Progress of a load, 0..1
	EventLoaded                    // Model is set
	EventPiece                     // Piece (complete UTF-8) and Token
	EventDone                      // Stats and StopReason
	EventError                     // Err
)

// Event is one message from the worker. The channel a request returns is
// closed after its EventDone or EventError.
type Event struct {
	Kind     EventKind
	Progress float64
	Model    *ModelInfo
	Piece    string
	// Reasoning says Piece is the model's reasoning (the thinking before
	// its answer, ReasoningFormat), not the answer.
	Reasoning  bool
	Token      int
	Top        []TokenProb // alternatives for this token, when asked for
	StopReason string
	Stats      *Stats
	// Err is why the request failed (EventError only).
	Err error
	// Notice, on EventDone, is something the user should know about a
	// reply that still succeeded: the model's chat template failed and a
	// built-in was used, or the oldest turns were dropped to fit the
	// context. Empty when there is nothing to say.
	Notice string
	// ContextUsed and ContextSize, on an EventPiece, are the tokens the
	// context holds so far (as Stats.ContextUsed will count them) and its
	// size, so a front end can show the context filling while the reply
	// streams. 0 when the engine cannot tell (a remote server).
	ContextUsed, ContextSize int
}

// TokenProb is a candidate token and its probability after the sampler's temperature.
type TokenProb struct {
	Token int     `json:"token"`
	Piece string  `json:"piece"`
	Prob  float32 `json:"prob"`
}

// ModelInfo describes the loaded model to front ends.
type ModelInfo struct {
	Path          string `json:"path"`
	Name          string `json:"name"`
	Architecture  string `json:"architecture"`
	ContextLength int    `json:"context_length"`
	Fingerprint   string `json:"fingerprint"`       // identifies the file's content
	Pooling       string `json:"pooling,omitempty"` // an embedding model's pooling ("last", "mean", "cls")
	// Reasoning is how the model's chat template marks reasoning in a
	// reply: "think" (<think> tags), "harmony" (gpt-oss channels), "channel"
	// (Gemma 4's <|channel>thought…<channel|>) or "".
	Reasoning string `json:"reasoning,omitempty"`
	// ThinkSwitch: the template can turn reasoning off (Qwen3's
	// enable_thinking; GenerateRequest.TemplateVars).
	ThinkSwitch bool `json:"think_switch,omitempty"`
	// ToolFormat is how the template's model writes tool calls (a
	// toolcall.Format: 0 none, then hermes, llama3, mistral, harmony, gemma4).
	ToolFormat int `json:"tool_format,omitempty"`
}

// Stats describe one reply.
type Stats struct {
	PromptTokens    int           `json:"prompt_tokens"`    // tokens of the rendered prompt
	EvaluatedTokens int           `json:"evaluated_tokens"` // prompt tokens not found in the cache
	GenTokens       int           `json:"gen_tokens"`
	PromptTime      time.Duration `json:"prompt_ms"`
	GenTime         time.Duration `json:"gen_ms"`
	TimeToFirst     time.Duration `json:"ttft_ms"`
	ContextUsed     int           `json:"context_used"`
	ContextSize     int           `json:"context_size"`
	Receipt         Receipt       `json:"receipt"`
}

// TokensPerSecond is the generation speed.
func (s *Stats) TokensPerSecond() float64 {
	if s.GenTime <= 0 {
		return 0
	}
	return float64(s.GenTokens) / s.GenTime.Seconds()
}

// Receipt holds what is needed to replay a reply exactly.
type Receipt struct {
	ModelFingerprint string        `json:"model_fingerprint"`
	Params           sample.Params `json:"params"`
	MaxTokens        int           `json:"max_tokens"`
	Stop             []string      `json:"stop,omitempty"`
	ContextLength    int           `json:"context_length"`
	// PromptHash identifies the prompt's tokens (PromptHash), so a replay
	// can tell whether it rendered the same prompt.
	PromptHash string `json:"prompt_hash,omitempty"`
}
