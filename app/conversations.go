package app

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"burrow/inference"
	"burrow/inference/chat"
	"burrow/inference/llama"
	"burrow/inference/sample"
	"burrow/internal/atomicfile"
)

// Message is one turn of a conversation as the app keeps it: the chat
// message plus, for replies, how it was made.
type Message struct {
	Role    string `json:"role"` // "user", "assistant" or "tool" (a tool's result)
	Content string `json:"content"`
	// Reasoning is the thinking a reply did before its answer (Content
	// holds only the answer), and ThoughtMS how long it took.
	Reasoning  string           `json:"reasoning,omitempty"`
	ThoughtMS  int64            `json:"thought_ms,omitempty"`
	StopReason string           `json:"stop_reason,omitempty"`
	Stats      *inference.Stats `json:"stats,omitempty"`
	Err        string           `json:"error,omitempty"` // why the reply failed, if it did
	// Notice is what the user should know about a reply that still
	// succeeded (inference.Event.Notice: template fallback, dropped turns).
	Notice string `json:"notice,omitempty"`
	// Choices are the reply's tokens with the alternatives the sampler saw,
	// kept when the conversation's TopLogprobs asks for them.
	Choices []Choice `json:"choices,omitempty"`
	// Alts are the other versions of this turn (regenerated, edited), each
	// with the turns that followed it; AltIndex is this one's place among
	// them (branches.go). Files without them have no branches.
	Alts     [][]Message `json:"alts,omitempty"`
	AltIndex int         `json:"alt_index,omitempty"`
	// ToolCalls are the tools a reply called (tools.go); each result is a
	// later "tool" turn whose ToolCallID and ToolName say which call it answers.
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
	ToolName   string     `json:"tool_name,omitempty"`
}

// Choice is one generated token and its top alternatives.
type Choice = inference.Choice

// ChatSettings are the per-conversation settings, saved with it. Zero
// ContextLength and Threads mean the engine's defaults; Seed 0 is random.
type ChatSettings struct {
	SystemPrompt  string  `json:"system_prompt"`
	Temperature   float32 `json:"temperature"`
	TopK          int     `json:"top_k"`
	TopP          float32 `json:"top_p"`
	MinP          float32 `json:"min_p"`
	RepeatPenalty float32 `json:"repeat_penalty"`
	MaxTokens     int     `json:"max_tokens"`
	Seed          uint64  `json:"seed"`
	ContextLength int     `json:"context_length"`
	Threads       int     `json:"threads"`
	// KVType is the KV cache the next load makes: "f16" (or "": the
	// default, llama.cpp's), "f32" (twice the memory, the closest to exact
	// attention) or "q8_0" (about half of f16, llama.cpp's -ctk/-ctv q8_0).
	KVType string `json:"kv_type,omitempty"`
	// TopLogprobs > 0 keeps that many alternatives per generated token
	// (the "token choices" view); 0 is off and costs nothing.
	TopLogprobs int `json:"top_logprobs,omitempty"`
	// NoThinking turns a thinking model's reasoning off where its template
	// has the switch (enable_thinking); thinking is on by default.
	NoThinking bool `json:"no_thinking,omitempty"`
}

// TemplateVars are the chat template variables these settings ask for:
// enable_thinking always, since templates differ in what its absence means
// (Qwen3 thinks unless told not to, Gemma 4 only when told to). Templates
// without the switch ignore it.
func (s ChatSettings) TemplateVars() map[string]any {
	return map[string]any{"enable_thinking": !s.NoThinking}
}

// DefaultChatSettings are llama.cpp's sampler defaults (DESIGN.md) and no
// system prompt: small models have little context to spare, and base
// models (no chat training) are confused by one.
func DefaultChatSettings() ChatSettings {
	p := sample.DefaultParams()
	return ChatSettings{
		Temperature:   p.Temperature,
		TopK:          p.TopK,
		TopP:          p.TopP,
		MinP:          p.MinP,
		RepeatPenalty: p.RepeatPenalty,
	}
}

// Params are the sampler parameters these settings ask for.
func (s ChatSettings) Params() sample.Params {
	p := sample.DefaultParams()
	p.Temperature = s.Temperature
	p.TopK = s.TopK
	p.TopP = s.TopP
	p.MinP = s.MinP
	p.RepeatPenalty = s.RepeatPenalty
	p.Seed = s.Seed
	return p
}

// LoadOptions are the engine options these settings ask for.
func (s ChatSettings) LoadOptions() inference.LoadOptions {
	kv, err := llama.ParseKVType(s.KVType)
	if err != nil {
		kv = llama.DefaultKV // "" or a hand-edited file
	}
	return inference.LoadOptions{ContextLength: s.ContextLength, Threads: s.Threads, KV: kv}
}

// Conversation is one chat, saved as one JSON file.
type Conversation struct {
	ID       string       `json:"id"`
	Title    string       `json:"title"`
	Created  time.Time    `json:"created"`
	Updated  time.Time    `json:"updated"`
	Settings ChatSettings `json:"settings"`
	Messages []Message    `json:"messages"`
}

// defaultTitle names a conversation until its first message names it.
const defaultTitle = "New chat"

// clone returns a deep enough copy for another goroutine to read.
func (c *Conversation) clone() Conversation {
	out := *c
	out.Messages = append([]Message(nil), c.Messages...)
	return out
}

// ChatMessages is the conversation as the engine takes it: the system
// prompt, then the turns (failed or empty replies left out).
func (c *Conversation) ChatMessages() []chat.Message {
	var msgs []chat.Message
	if s := strings.TrimSpace(c.Settings.SystemPrompt); s != "" {
		msgs = append(msgs, chat.Message{Role: "system", Content: s})
	}
	for _, m := range c.Messages {
		if m.Role == "assistant" && m.Content == "" && len(m.ToolCalls) == 0 {
			continue
		}
		// The reasoning goes along; each template decides whether the
		// model sees it again (Qwen3 and gpt-oss drop it from past turns).
		msgs = append(msgs, m.chatMessage())
	}
	return msgs
}

// generateRequest asks the engine for the conversation's next reply with
// its settings (the first reply and each round after tool results alike).
func (c *Conversation) generateRequest() inference.GenerateRequest {
	return inference.GenerateRequest{
		Messages:     c.ChatMessages(),
		Params:       c.Settings.Params(),
		MaxTokens:    c.Settings.MaxTokens,
		TopLogprobs:  c.Settings.TopLogprobs,
		TemplateVars: c.Settings.TemplateVars(),
	}
}

// matches reports whether the title or any message contains q (any case).
func (c *Conversation) matches(q string) bool {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" || strings.Contains(strings.ToLower(c.Title), q) {
		return true
	}
	for _, m := range c.Messages {
		if strings.Contains(strings.ToLower(m.Content), q) {
			return true
		}
	}
	return false
}

// titleFrom makes a short title from the first user message.
func titleFrom(text string) string {
	t := strings.Join(strings.Fields(text), " ")
	if r := []rune(t); len(r) > 40 {
		t = strings.TrimSpace(string(r[:40])) + "…"
	}
	if t == "" {
		return defaultTitle
	}
	return t
}

// newConversationID is sortable by creation time and unique.
func newConversationID() string {
	var b [4]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// validID keeps ids (which become file names) free of path tricks.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// ConversationStore keeps conversations in a folder, one <id>.json each.
type ConversationStore struct {
	Dir string
}

func (s ConversationStore) path(id string) string { return filepath.Join(s.Dir, id+".json") }

// Save writes the conversation atomically.
func (s ConversationStore) Save(c *Conversation) error {
	path, data, err := s.encode(c)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o600)
}

// encode returns a conversation's file and content.
func (s ConversationStore) encode(c *Conversation) (string, []byte, error) {
	if !validID(c.ID) {
		return "", nil, fmt.Errorf("save conversation: invalid id %q", c.ID)
	}
	data, err := encodeJSON("conversation "+c.ID, c)
	if err != nil {
		return "", nil, err
	}
	return s.path(c.ID), data, nil
}

// Delete removes the conversation's file.
func (s ConversationStore) Delete(id string) error {
	if !validID(id) {
		return fmt.Errorf("delete conversation: invalid id %q", id)
	}
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete conversation %s: %w", id, err)
	}
	return nil
}

// LoadAll reads every conversation, newest first. Unreadable files are
// skipped and reported in the error list rather than hiding the others;
// temp files left by a crash are ignored.
func (s ConversationStore) LoadAll() ([]*Conversation, []error) {
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, []error{fmt.Errorf("read conversations: %w", err)}
	}
	var out []*Conversation
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || filepath.Ext(name) != ".json" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(s.Dir, name))
		if err != nil {
			errs = append(errs, fmt.Errorf("read conversation %s: %w", name, err))
			continue
		}
		c := new(Conversation)
		if err := json.Unmarshal(data, c); err != nil {
			errs = append(errs, fmt.Errorf("read conversation %s: %w", name, err))
			continue
		}
		if c.ID != strings.TrimSuffix(name, ".json") || !validID(c.ID) {
			errs = append(errs, fmt.Errorf("read conversation %s: id %q does not match the file", name, c.ID))
			continue
		}
		normalizeBranches(c.Messages)
		out = append(out, c)
	}
	sortNewestFirst(out)
	return out, errs
}

func sortNewestFirst(cs []*Conversation) {
	sort.SliceStable(cs, func(i, j int) bool {
		if !cs[i].Updated.Equal(cs[j].Updated) {
			return cs[i].Updated.After(cs[j].Updated)
		}
		return cs[i].ID > cs[j].ID
	})
}
