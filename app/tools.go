package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"burrow/inference"
	"burrow/inference/chat"
	"burrow/inference/toolcall"
)

// Tool use in the window (issue #18): the tools of the MCP servers
// (app/mcp) go to the model with each request; a reply that calls one waits
// for the user's click (allow once, always allow this tool, deny) before the
// tool runs, then its result goes back as a "tool" turn and the model goes
// on. Nothing runs without that click, or an earlier "always allow".

// ToolSpec is a tool the model may call.
type ToolSpec struct {
	Server      string          // which MCP server has it
	Name        string          // what the model calls it
	Description string          // what the model reads of it
	Parameters  json.RawMessage // a JSON Schema object ("" or null: no arguments)
}

// ToolHost runs tools: app/mcp's Host (wired by ui), fakes in tests.
type ToolHost interface {
	// Tools lists the tools that can be called now. It is called with the
	// Controller's lock held: it must not call the Controller.
	Tools() []ToolSpec
	// CallTool runs a tool with its arguments (a JSON object's text) and
	// returns its result as text; an error is the tool's failure or its
	// server's, for the model and the user to read.
	CallTool(ctx context.Context, name, arguments string) (string, error)
}

// ToolCall is a call a reply made and what became of it.
type ToolCall struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"` // a JSON object's text
	Status    string `json:"status"`    // one of the ToolCall* statuses
}

// ToolCall statuses.
const (
	ToolCallPending   = "pending"   // waits for the user's click
	ToolCallRunning   = "running"   // allowed, the tool is running
	ToolCallDone      = "done"      // ran; its result is the next "tool" turn
	ToolCallFailed    = "failed"    // ran (or could not) and failed
	ToolCallDenied    = "denied"    // the user said no: it never ran
	ToolCallCancelled = "cancelled" // the reply was stopped before it ran
)

// ToolDecision is the user's answer to a pending call.
type ToolDecision int

const (
	ToolDeny        ToolDecision = iota // do not run it; the model is told so
	ToolAllowOnce                       // run this call
	ToolAllowAlways                     // run it, and every later call of this tool
)

// PendingToolCall is a call waiting for the user.
type PendingToolCall struct {
	ConvID string
	Index  int // the message that made the call
	Call   ToolCall
	Server string // the MCP server that has the tool
}

// maxToolRounds bounds how many times one reply goes back to the model with
// tool results (a model that calls tools forever stops here).
const maxToolRounds = 8

// deniedResult is what the model reads of a call the user refused.
const deniedResult = "The user denied this tool call; it did not run."

// errNoPendingCall is DecideToolCall's error when nothing waits.
var errNoPendingCall = errors.New("no tool call is waiting for an answer")

// pendingCall is the call the reply in flight waits on.
type pendingCall struct {
	info   PendingToolCall
	decide chan ToolDecision // buffered, one answer
}

// SetToolHost gives the Controller the tools replies may call (nil: none).
func (c *Controller) SetToolHost(h ToolHost) {
	c.mu.Lock()
	c.tools = h
	c.mu.Unlock()
}

// ToolHost returns the tools' host (nil without one).
func (c *Controller) ToolHost() ToolHost {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tools
}

// PendingToolCall returns the call waiting for the user, if any.
func (c *Controller) PendingToolCall() (PendingToolCall, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		return PendingToolCall{}, false
	}
	return c.pending.info, true
}

// DecideToolCall answers the pending call callID of conversation convID.
func (c *Controller) DecideToolCall(convID, callID string, d ToolDecision) error {
	c.mu.Lock()
	p := c.pending
	if p == nil || p.info.ConvID != convID || p.info.Call.ID != callID {
		c.mu.Unlock()
		return errNoPendingCall
	}
	c.pending = nil
	var s Settings
	save := d == ToolAllowAlways && !slices.Contains(c.settings.ToolsAlwaysAllowed, p.info.Call.Name)
	if save {
		c.settings.ToolsAlwaysAllowed = append(c.settings.ToolsAlwaysAllowed, p.info.Call.Name)
		s = c.settings
	}
	c.mu.Unlock()
	p.decide <- d
	if save {
		return c.saveSettings(s)
	}
	return nil
}

// offerToolsLocked adds the host's tools to a request when the loaded model
// can call them, and returns the format its replies write calls in (None:
// no tools offered). c.mu must be held.
func (c *Controller) offerToolsLocked(req *inference.GenerateRequest) toolcall.Format {
	if c.tools == nil || c.settings.ToolsOff || c.model.Remote != "" || c.model.Info == nil {
		return toolcall.None
	}
	f := toolcall.Format(c.model.Info.ToolFormat)
	if f == toolcall.None {
		return toolcall.None
	}
	specs := c.tools.Tools()
	if len(specs) == 0 {
		return toolcall.None
	}
	tools, err := templateTools(specs)
	if err != nil {
		return toolcall.None
	}
	vars := map[string]any{"tools": tools}
	for k, v := range req.TemplateVars {
		vars[k] = v
	}
	req.TemplateVars = vars
	return f
}

// templateTools is the tools as a chat template's tools variable: the
// OpenAI shape Hugging Face's apply_chat_template passes.
func templateTools(specs []ToolSpec) (any, error) {
	type fn struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters"`
	}
	type def struct {
		Type     string `json:"type"`
		Function fn     `json:"function"`
	}
	defs := make([]def, 0, len(specs))
	for _, s := range specs {
		p := s.Parameters
		if !validSchemaObject(p) {
			p = json.RawMessage(`{"type": "object", "properties": {}}`)
		}
		defs = append(defs, def{Type: "function", Function: fn{Name: s.Name, Description: s.Description, Parameters: p}})
	}
	raw, err := json.Marshal(defs)
	if err != nil {
		return nil, err
	}
	return chat.JSONValue(raw)
}

// validSchemaObject reports whether raw is a JSON object.
func validSchemaObject(raw json.RawMessage) bool {
	var obj map[string]json.RawMessage
	return len(raw) > 0 && json.Unmarshal(raw, &obj) == nil && obj != nil
}

// toolPiece passes an answer piece through the tool-call stream: what is
// surely answer is shown, a call being written is held back.
func (g *generation) toolPiece(piece string) string {
	if g.stream == nil {
		return piece
	}
	return g.stream.Feed(piece)
}

// afterReply runs the calls a finished reply made, each once the user
// allows it, and continues the reply with their results: it returns the
// next round's events, or nil when the reply is over.
func (c *Controller) afterReply(g *generation, rep *inference.Reply) <-chan inference.Event {
	if g.stream == nil {
		return nil
	}
	rest, calls, perr := g.stream.Finish()
	g.stream = nil
	c.mu.Lock()
	m := c.replyLocked(g)
	if m == nil {
		c.mu.Unlock()
		return nil
	}
	m.Content += rest
	if perr != nil && rep.StopReason != inference.StopCancelled { // a call cut short by Stop is no news
		m.Notice = joinNotice(m.Notice, "the reply's tool call could not be read: "+perr.Error())
	}
	if len(calls) == 0 || rep.Err != nil || rep.StopReason == inference.StopCancelled {
		c.mu.Unlock()
		return nil
	}
	tcs := make([]ToolCall, len(calls))
	for i, call := range calls {
		tcs[i] = ToolCall{ID: fmt.Sprintf("call_%d_%d", g.index, i), Name: call.Name, Arguments: call.Arguments, Status: ToolCallPending}
	}
	m.ToolCalls = tcs
	host := c.tools
	c.mu.Unlock()
	c.changed(g)

	specs := map[string]ToolSpec{}
	if host != nil {
		for _, s := range host.Tools() {
			specs[s.Name] = s
		}
	}
	ctx := g.ctx
	for i, call := range tcs {
		spec, known := specs[call.Name]
		var result string
		switch {
		case !known:
			c.setCallStatus(g, i, ToolCallFailed)
			result = fmt.Sprintf("Error: there is no tool named %q.", call.Name)
		case !c.alwaysAllowed(call.Name) && !c.askUser(g, i, call, spec.Server):
			if ctx.Err() != nil {
				c.cancelCalls(g, i)
				return nil
			}
			c.setCallStatus(g, i, ToolCallDenied)
			result = deniedResult
		default:
			c.setCallStatus(g, i, ToolCallRunning)
			out, err := host.CallTool(ctx, call.Name, call.Arguments)
			if ctx.Err() != nil {
				c.cancelCalls(g, i)
				return nil
			}
			if err != nil {
				c.setCallStatus(g, i, ToolCallFailed)
				result = "Error: " + err.Error()
			} else {
				c.setCallStatus(g, i, ToolCallDone)
				result = out
			}
		}
		c.mu.Lock()
		if cv := c.findLocked(g.convID); cv != nil {
			cv.Messages = append(cv.Messages, Message{Role: "tool", Content: result, ToolCallID: call.ID, ToolName: call.Name})
		}
		c.mu.Unlock()
		c.changed(g)
	}
	return c.nextRound(g)
}

// alwaysAllowed reports whether the user chose "always allow" for a tool
// (read at each call: a click on one call of a reply covers its next ones).
func (c *Controller) alwaysAllowed(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Contains(c.settings.ToolsAlwaysAllowed, name)
}

// askUser publishes a pending call and waits for the click (or Stop). It
// reports whether the call may run.
func (c *Controller) askUser(g *generation, i int, call ToolCall, server string) bool {
	p := &pendingCall{info: PendingToolCall{ConvID: g.convID, Index: g.index, Call: call, Server: server}, decide: make(chan ToolDecision, 1)}
	c.mu.Lock()
	c.pending = p
	c.mu.Unlock()
	c.emit(Change{Kind: ChangeToolCall, ConvID: g.convID, Index: g.index})
	select {
	case d := <-p.decide:
		return d == ToolAllowOnce || d == ToolAllowAlways
	case <-g.ctx.Done():
		c.mu.Lock()
		if c.pending == p {
			c.pending = nil
		}
		c.mu.Unlock()
		return false
	}
}

// setCallStatus sets call i of the reply's calls (a fresh slice: copies
// handed out keep theirs) and tells listeners.
func (c *Controller) setCallStatus(g *generation, i int, status string) {
	c.mu.Lock()
	if m := c.replyLocked(g); m != nil && i < len(m.ToolCalls) {
		tcs := append([]ToolCall(nil), m.ToolCalls...)
		tcs[i].Status = status
		m.ToolCalls = tcs
	}
	c.mu.Unlock()
	c.changed(g)
}

// cancelCalls marks calls from i on cancelled: the reply was stopped.
func (c *Controller) cancelCalls(g *generation, from int) {
	c.mu.Lock()
	if m := c.replyLocked(g); m != nil {
		tcs := append([]ToolCall(nil), m.ToolCalls...)
		for i := from; i < len(tcs); i++ {
			if tcs[i].Status == ToolCallPending || tcs[i].Status == ToolCallRunning {
				tcs[i].Status = ToolCallCancelled
			}
		}
		m.ToolCalls = tcs
	}
	c.mu.Unlock()
	c.changed(g)
}

// changed saves the conversation of g and tells listeners it changed.
func (c *Controller) changed(g *generation) {
	c.mu.Lock()
	cv := c.findLocked(g.convID)
	if cv == nil {
		c.mu.Unlock()
		return
	}
	cv.Updated = time.Now()
	snap := cv.clone()
	c.mu.Unlock()
	if err := c.saveConv(&snap); err != nil {
		c.emit(Change{Kind: ChangeError, Err: err})
	}
	c.emit(Change{Kind: ChangeConversation, ConvID: g.convID})
}

// nextRound appends a new reply after the tool results and starts it.
func (c *Controller) nextRound(g *generation) <-chan inference.Event {
	c.mu.Lock()
	cv := c.findLocked(g.convID)
	if cv == nil || g.ctx.Err() != nil {
		c.mu.Unlock()
		return nil
	}
	g.rounds++
	if g.rounds > maxToolRounds {
		if m := c.replyLocked(g); m != nil {
			m.Notice = joinNotice(m.Notice, fmt.Sprintf("stopped after %d rounds of tool calls", maxToolRounds))
		}
		c.mu.Unlock()
		return nil
	}
	cv.Messages = append(cv.Messages, Message{Role: "assistant"})
	g.index = len(cv.Messages) - 1
	req := cv.generateRequest()
	g.startTools(c.offerToolsLocked(&req))
	engine := c.engine
	c.mu.Unlock()
	c.changed(g)
	return engine.Generate(g.ctx, req)
}

// startTools sets the generation up to read tool calls in format f.
func (g *generation) startTools(f toolcall.Format) {
	g.stream = nil
	if f != toolcall.None {
		g.stream = toolcall.NewStream(f)
	}
}

func joinNotice(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// closeTools stops the tools' host when it can be stopped (app/mcp's servers).
func (c *Controller) closeTools() {
	c.mu.Lock()
	h := c.tools
	c.tools = nil
	c.mu.Unlock()
	if cl, ok := h.(interface{ Close() }); ok {
		cl.Close()
	}
}

// chatMessage is a message's tool fields for the engine.
func (m Message) chatMessage() chat.Message {
	cm := chat.Message{Role: m.Role, Content: m.Content, Reasoning: m.Reasoning}
	for _, tc := range m.ToolCalls {
		cm.ToolCalls = append(cm.ToolCalls, chat.ToolCall{ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments})
	}
	if m.Role == "tool" {
		cm.ToolCallID, cm.Name = m.ToolCallID, m.ToolName
	}
	return cm
}

// PrettyArguments is a call's arguments indented for people.
func PrettyArguments(args string) string {
	var b bytes.Buffer // json.Indent keeps the model's key order
	if json.Indent(&b, []byte(args), "", "  ") != nil {
		return args
	}
	return strings.TrimSpace(b.String())
}

// fence puts text in a Markdown code block whose fence the text cannot close.
func fence(text, lang string) string {
	f := "```"
	for strings.Contains(text, f) {
		f += "`"
	}
	return f + lang + "\n" + strings.TrimRight(text, "\n") + "\n" + f
}
