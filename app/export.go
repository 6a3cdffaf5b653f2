package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"burrow/inference/llama"
)

// ExportFormat names Burrow's conversation export, so an import knows it.
const ExportFormat = "burrow.conversation"

// exportVersion is the export's layout; a newer one is refused, not misread.
const exportVersion = 1

// conversationExport is the JSON export: the whole conversation as it is
// saved, receipts (Stats.Receipt) and token choices included.
type conversationExport struct {
	Format       string        `json:"format"`
	Version      int           `json:"version"`
	Exported     time.Time     `json:"exported"`
	Conversation *Conversation `json:"conversation"`
}

// ExportJSON is the conversation as a file another Burrow can import.
func ExportJSON(cv Conversation) ([]byte, error) {
	data, err := json.MarshalIndent(conversationExport{Format: ExportFormat, Version: exportVersion, Exported: time.Now().UTC(), Conversation: &cv}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("export %q: %w", cv.Title, err)
	}
	return data, nil
}

// ExportMarkdown is the conversation for people: the title, the system
// prompt, then each turn under its speaker with the reply's stats.
func ExportMarkdown(cv Conversation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", oneLine(cv.Title))
	if !cv.Created.IsZero() {
		fmt.Fprintf(&b, "_%s_\n\n", cv.Created.Format("2 January 2006, 15:04"))
	}
	if s := strings.TrimSpace(cv.Settings.SystemPrompt); s != "" {
		fmt.Fprintf(&b, "**System prompt**\n\n%s\n\n", quote(s))
	}
	for _, m := range cv.Messages {
		b.WriteString(MessageMarkdown(m))
		b.WriteString("\n")
	}
	return b.String()
}

// MessageMarkdown is one message as Markdown ("Copy as Markdown"): its
// speaker, its text as written (it is Markdown already) and, for a reply,
// a line of stats.
func MessageMarkdown(m Message) string {
	var b strings.Builder
	who := "Assistant"
	if m.Role == "user" {
		who = "You"
	}
	if m.Role == "tool" { // a tool's result (tools.go)
		fmt.Fprintf(&b, "## Tool result: %s\n\n%s\n", m.ToolName, fence(m.Content, ""))
		return b.String()
	}
	fmt.Fprintf(&b, "## %s\n\n%s\n", who, strings.TrimRight(m.Content, "\n"))
	for _, tc := range m.ToolCalls {
		fmt.Fprintf(&b, "\n**Tool call: %s** (%s)\n\n%s\n", tc.Name, tc.Status, fence(PrettyArguments(tc.Arguments), "json"))
	}
	var notes []string
	if s := m.Stats; s != nil && m.Role == "assistant" {
		notes = append(notes, fmt.Sprintf("%d tokens, %.1f tok/s", s.GenTokens, s.TokensPerSecond()))
		if m.StopReason != "" {
			notes = append(notes, "stop: "+m.StopReason)
		}
	}
	if m.Err != "" {
		notes = append(notes, "error: "+m.Err)
	}
	if len(m.Alts) > 0 {
		notes = append(notes, fmt.Sprintf("version %d of %d", m.AltIndex+1, len(m.Alts)+1))
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, "\n_%s_\n", strings.Join(notes, " · "))
	}
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func quote(s string) string {
	return "> " + strings.ReplaceAll(s, "\n", "\n> ")
}

// Limits on an imported file: a real conversation is far inside them, a
// hostile one is refused before it is parsed.
const (
	MaxImportSize     = 32 << 20 // bytes
	maxImportDepth    = 256      // nested objects and arrays (branches nest)
	maxImportMessages = 100_000
)

// ErrNotConversation wraps every reason an import is refused.
var ErrNotConversation = errors.New("not a conversation Burrow can import")

// ParseConversation reads an export: Burrow's JSON, Open WebUI's chat
// export (one chat or a list: the first is taken) or an LM Studio
// conversation file. It checks size, nesting, types and roles before
// anything is kept; the result has not been given an id.
func ParseConversation(data []byte) (*Conversation, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrNotConversation, fmt.Sprintf(format, args...))
	}
	if len(data) > MaxImportSize {
		return nil, bad("the file is %d MB; at most %d MB is read", len(data)>>20, MaxImportSize>>20)
	}
	if !utf8.Valid(data) {
		return nil, bad("the file is not UTF-8 text")
	}
	if d := jsonDepth(data); d > maxImportDepth {
		return nil, bad("it nests more than %d levels deep", maxImportDepth)
	}
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' { // Open WebUI exports a list of chats
		var list []json.RawMessage
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, bad("%v", err)
		}
		if len(list) == 0 {
			return nil, bad("the list of chats is empty")
		}
		data = list[0]
	}
	var probe struct {
		Format   string          `json:"format"`
		Chat     json.RawMessage `json:"chat"`
		Messages json.RawMessage `json:"messages"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, bad("%v", err)
	}
	var cv *Conversation
	var err error
	switch {
	case probe.Format == ExportFormat:
		cv, err = parseBurrow(data)
	case probe.Format != "":
		err = fmt.Errorf("its format is %q", probe.Format)
	case len(probe.Chat) > 0:
		cv, err = parseOpenWebUI(data)
	case len(probe.Messages) > 0:
		cv, err = parseLMStudio(data)
	default:
		err = errors.New("it has no messages (Burrow reads its own export, Open WebUI's and LM Studio's)")
	}
	if err != nil {
		return nil, bad("%v", err)
	}
	if err := checkImported(cv); err != nil {
		return nil, bad("%v", err)
	}
	return cv, nil
}

// jsonDepth is the deepest nesting of objects and arrays in data (strings
// skipped), found without parsing so a hostile file costs one pass.
func jsonDepth(data []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

func parseBurrow(data []byte) (*Conversation, error) {
	var x conversationExport
	if err := json.Unmarshal(data, &x); err != nil {
		return nil, err
	}
	if x.Version > exportVersion {
		return nil, fmt.Errorf("it was exported by a newer Burrow (version %d; this one reads %d)", x.Version, exportVersion)
	}
	if x.Conversation == nil {
		return nil, errors.New("it holds no conversation")
	}
	return x.Conversation, nil
}

// parseOpenWebUI reads one chat of Open WebUI's export: {"title",
// "chat": {"messages": [...]} or the message tree "chat.history"}.
func parseOpenWebUI(data []byte) (*Conversation, error) {
	var x struct {
		Title     string `json:"title"`
		CreatedAt int64  `json:"created_at"`
		UpdatedAt int64  `json:"updated_at"`
		Chat      struct {
			Title    string      `json:"title"`
			System   string      `json:"system"`
			Messages []owMessage `json:"messages"`
			History  struct {
				Messages  map[string]owMessage `json:"messages"`
				CurrentID string               `json:"currentId"`
			} `json:"history"`
			Timestamp int64 `json:"timestamp"`
		} `json:"chat"`
	}
	if err := json.Unmarshal(data, &x); err != nil {
		return nil, err
	}
	cv := &Conversation{Title: firstNonEmpty(x.Title, x.Chat.Title), Settings: DefaultChatSettings()}
	cv.Settings.SystemPrompt = x.Chat.System
	h := x.Chat.History
	if _, ok := h.Messages[h.CurrentID]; ok { // the whole tree, every version kept
		cv.Messages = owTree(h.Messages, h.CurrentID, &cv.Settings.SystemPrompt)
	} else {
		for _, m := range x.Chat.Messages {
			if m.Role == "system" {
				cv.Settings.SystemPrompt = m.Content
				continue
			}
			cv.Messages = append(cv.Messages, Message{Role: m.Role, Content: m.Content})
		}
	}
	cv.Created = unixTime(x.CreatedAt, x.Chat.Timestamp)
	cv.Updated = unixTime(x.UpdatedAt, x.CreatedAt, x.Chat.Timestamp)
	return cv, nil
}

// owMessage is a message of Open WebUI's export, in its list or its tree.
type owMessage struct {
	ID        string   `json:"id"`
	ParentID  string   `json:"parentId"`
	Children  []string `json:"childrenIds"`
	Role      string   `json:"role"`
	Content   string   `json:"content"`
	Timestamp int64    `json:"timestamp"`
}

// owTree turns Open WebUI's message tree into Burrow's: the path to
// current is shown, and at each message its siblings are the other
// versions, each continuing along its newest child. A system message at
// the root becomes the system prompt.
func owTree(nodes map[string]owMessage, current string, system *string) []Message {
	children := map[string][]string{}
	var roots []string
	ids := make([]string, 0, len(nodes))
	for id := range nodes {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { // creation order: Open WebUI's own, then the id
		a, b := nodes[ids[i]], nodes[ids[j]]
		if a.Timestamp != b.Timestamp {
			return a.Timestamp < b.Timestamp
		}
		return ids[i] < ids[j]
	})
	for _, id := range ids {
		m := nodes[id]
		if _, ok := nodes[m.ParentID]; ok && m.ParentID != id {
			children[m.ParentID] = append(children[m.ParentID], id)
		} else {
			roots = append(roots, id)
		}
	}
	shown := map[string]bool{}
	for id, n := current, 0; id != "" && n <= len(nodes) && !shown[id]; n++ {
		shown[id] = true
		id = nodes[id].ParentID
	}
	visited := map[string]bool{}
	var build func(sibs []string) []Message
	build = func(sibs []string) []Message {
		var versions [][]Message
		pick := -1
		for _, id := range sibs {
			if visited[id] {
				continue // a loop in a damaged tree
			}
			visited[id] = true
			m := nodes[id]
			if m.Role == "system" && len(versions) == 0 && !shownAbove(nodes, id) {
				*system = m.Content
				return build(children[id])
			}
			if shown[id] {
				pick = len(versions)
			}
			versions = append(versions, append([]Message{{Role: m.Role, Content: m.Content}}, build(children[id])...))
		}
		if len(versions) == 0 {
			return nil
		}
		if pick < 0 {
			pick = len(versions) - 1 // off the shown path: the newest
		}
		chosen := versions[pick]
		chosen[0].Alts = append(append([][]Message(nil), versions[:pick]...), versions[pick+1:]...)
		chosen[0].AltIndex = pick
		return chosen
	}
	return build(roots)
}

// shownAbove reports whether id has a parent in the tree (a system message
// only becomes the system prompt at the root).
func shownAbove(nodes map[string]owMessage, id string) bool {
	_, ok := nodes[nodes[id].ParentID]
	return ok && nodes[id].ParentID != id
}

// parseLMStudio reads an LM Studio conversation file: {"name",
// "systemPrompt", "messages": [{"versions": [...], "currentlySelected"}]};
// a user version holds "content" parts, a reply "steps" of content blocks
// (thinking blocks are left out).
func parseLMStudio(data []byte) (*Conversation, error) {
	type part struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	type version struct {
		Role    string `json:"role"`
		Content []part `json:"content"`
		Steps   []struct {
			Type    string `json:"type"`
			Content []part `json:"content"`
			Style   *struct {
				Type string `json:"type"`
			} `json:"style"`
		} `json:"steps"`
	}
	var x struct {
		Name         string `json:"name"`
		CreatedAt    int64  `json:"createdAt"`
		SystemPrompt string `json:"systemPrompt"`
		Messages     []struct {
			Versions []version `json:"versions"`
			Selected int       `json:"currentlySelected"`
		} `json:"messages"`
		PerChat struct {
			Fields []kvField `json:"fields"`
		} `json:"perChatPredictionConfig"`
	}
	if err := json.Unmarshal(data, &x); err != nil {
		return nil, err
	}
	cv := &Conversation{Title: x.Name, Settings: DefaultChatSettings()}
	cv.Settings.SystemPrompt = x.SystemPrompt
	for _, f := range x.PerChat.Fields {
		cv.Settings.setLMStudio(f.Key, f.Value)
	}
	texts := func(ps []part) string {
		var b strings.Builder
		for _, p := range ps {
			if p.Type == "text" || p.Type == "" {
				b.WriteString(p.Text)
			}
		}
		return b.String()
	}
	for i, m := range x.Messages {
		if len(m.Versions) == 0 {
			continue
		}
		if m.Selected < 0 || m.Selected >= len(m.Versions) {
			return nil, fmt.Errorf("message %d selects version %d of %d", i+1, m.Selected, len(m.Versions))
		}
		textOf := func(v version) string {
			text := texts(v.Content)
			for _, s := range v.Steps {
				if s.Type == "contentBlock" && (s.Style == nil || s.Style.Type != "thinking") {
					text += texts(s.Content)
				}
			}
			return text
		}
		v := m.Versions[m.Selected]
		if v.Role == "system" {
			cv.Settings.SystemPrompt = textOf(v)
			continue
		}
		// The other versions (regenerated replies) are kept as Burrow's
		// versions of this turn; LM Studio keeps no turns after them.
		head := Message{Role: v.Role, Content: textOf(v), AltIndex: m.Selected}
		for k, o := range m.Versions {
			if k != m.Selected {
				head.Alts = append(head.Alts, []Message{{Role: o.Role, Content: textOf(o)}})
			}
		}
		cv.Messages = append(cv.Messages, head)
	}
	cv.Created = unixTime(x.CreatedAt)
	cv.Updated = cv.Created
	return cv, nil
}

// unixTime is the first plausible time of ts, which may be seconds or
// milliseconds since 1970 (exports differ); zero if none is.
func unixTime(ts ...int64) time.Time {
	for _, t := range ts {
		switch {
		case t > 1e14: // microseconds or more: not a time we know
		case t > 1e11:
			return time.UnixMilli(t)
		case t > 0:
			return time.Unix(t, 0)
		}
	}
	return time.Time{}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// checkImported refuses what Burrow would misread and fills what an
// export may lack (title, times).
func checkImported(cv *Conversation) error {
	n := 0
	err := eachMessage(cv.Messages, func(m Message) error {
		if n++; n > maxImportMessages {
			return fmt.Errorf("it has more than %d messages", maxImportMessages)
		}
		if m.Role != "user" && m.Role != "assistant" && m.Role != "tool" {
			return fmt.Errorf("message %d has the role %q (Burrow keeps user, assistant and tool turns)", n, m.Role)
		}
		if m.Role == "tool" && (m.ToolCallID == "" || m.ToolName == "") {
			return fmt.Errorf("message %d is a tool result that names no call", n)
		}
		return nil
	})
	if err != nil {
		return err
	}
	normalizeBranches(cv.Messages)
	if kv := cv.Settings.KVType; kv != "" {
		if _, err := llama.ParseKVType(kv); err != nil {
			return err
		}
	}
	if cv.Settings.ContextLength < 0 || cv.Settings.Threads < 0 || cv.Settings.MaxTokens < 0 || cv.Settings.TopK < 0 || cv.Settings.TopLogprobs < 0 {
		return errors.New("its settings hold a negative count")
	}
	if st := cv.Settings; !in(float64(st.Temperature), 0, 100) || !in(float64(st.TopP), 0, 1) || !in(float64(st.MinP), 0, 1) || !in(float64(st.RepeatPenalty), 0, 10) {
		return errors.New("its sampler settings are out of range")
	}
	cv.Title = oneLine(cv.Title)
	if cv.Title == "" {
		cv.Title = defaultTitle
		for _, m := range cv.Messages {
			if m.Role == "user" {
				cv.Title = titleFrom(m.Content)
				break
			}
		}
	}
	now := time.Now()
	if cv.Created.IsZero() {
		cv.Created = now
	}
	if cv.Updated.IsZero() {
		cv.Updated = cv.Created
	}
	return nil
}

// ImportConversation adds the conversation in data (see ParseConversation)
// to the library and saves it. It keeps the export's id when no
// conversation has it, so an export imported elsewhere is the same file;
// otherwise it gets a new one. A refused file leaves the library as it was.
func (c *Controller) ImportConversation(data []byte) (string, error) {
	cv, err := ParseConversation(data)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if !validID(cv.ID) || c.findLocked(cv.ID) != nil {
		cv.ID = newConversationID()
	}
	c.convs = append(c.convs, cv)
	sortNewestFirst(c.convs)
	snap := cv.clone()
	c.mu.Unlock()
	err = c.saveConv(&snap)
	c.emit(Change{Kind: ChangeList, ConvID: cv.ID})
	return cv.ID, err
}
