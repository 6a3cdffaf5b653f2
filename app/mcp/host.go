package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"burrow/app"
)

// State is where a server is in its life.
type State string

const (
	Starting State = "starting"
	Running  State = "running"
	Failed   State = "failed" // could not start, or died: Status.Err says why
	Stopped  State = "stopped"
)

// Status is what the window shows of a server.
type Status struct {
	Name    string
	Command string // the command line, for the user to recognise
	State   State
	Tools   []string // the names the model calls them by
	Err     error
}

// Limits and waits.
var (
	// StartTimeout bounds the start and handshake of a server (npx may
	// download the server first).
	StartTimeout = 60 * time.Second
	// callTimeout bounds one tool call.
	callTimeout = 5 * time.Minute
	// stopWait is how long a server has to exit once its stdin closes
	// before it is signalled.
	stopWait = 2 * time.Second
)

const (
	maxToolsPerServer = 128
	maxToolsTotal     = 128      // what app/api accepts in one request too
	maxResultBytes    = 32 << 10 // a tool's result the model reads: small models have small contexts
	stderrTail        = 2 << 10
	maxDescription    = 2 << 10
)

// toolName is what a tool may be called (as app/api accepts in a request).
var toolName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Host runs the configured servers: app.ToolHost over all their tools.
type Host struct {
	onChange func()
	ctx      context.Context // ends at Close
	cancel   context.CancelFunc
	started  sync.WaitGroup

	mu      sync.Mutex
	servers []*server
	closed  bool
}

type server struct {
	cfg     ServerConfig
	state   State
	err     error
	session *sdk.ClientSession
	tools   []*sdk.Tool
	names   []string // what the model calls each of tools
	stderr  *tailBuffer
}

// Open reads the config at path and starts its servers. The error is the
// file's (the Host then runs nothing); a server's own trouble is in its
// Status. onChange (may be nil) is called, on the Host's goroutines,
// whenever a status changes, until Close.
func Open(path string, onChange func()) (*Host, error) {
	servers, err := LoadConfig(path)
	return Start(servers, onChange), err
}

// Start starts the servers in the background; their tools appear as each
// finishes its handshake.
func Start(servers []ServerConfig, onChange func()) *Host {
	ctx, cancel := context.WithCancel(context.Background())
	h := &Host{onChange: onChange, ctx: ctx, cancel: cancel}
	for _, cfg := range servers {
		s := &server{cfg: cfg, state: Starting, stderr: &tailBuffer{max: stderrTail}}
		if cfg.Err != nil {
			s.state, s.err = Failed, cfg.Err
		}
		h.servers = append(h.servers, s)
	}
	for _, s := range h.servers {
		if s.state == Starting {
			h.started.Add(1)
			go h.run(s)
		}
	}
	return h
}

// WaitStarted blocks until every server is running or has failed (tests,
// and a caller that wants the tools before the first message).
func (h *Host) WaitStarted() { h.started.Wait() }

func (h *Host) changed() {
	if h.onChange != nil {
		h.onChange()
	}
}

// run starts one server, lists its tools and watches it until it exits.
func (h *Host) run(s *server) {
	session, tools, err := h.connect(s)
	h.mu.Lock()
	if err != nil {
		s.state, s.err = Failed, h.withStderr(s, err)
	} else if h.closed {
		s.state = Stopped
	} else {
		s.state, s.session, s.tools = Running, session, tools
		h.nameToolsLocked()
	}
	closed := h.closed
	h.mu.Unlock()
	h.started.Done()
	if closed { // the app is closing: nobody is told any more
		if session != nil {
			session.Close()
		}
		return
	}
	h.changed()
	if err != nil {
		return
	}
	werr := session.Wait()
	h.mu.Lock()
	died := s.state == Running && !h.closed
	if died {
		if werr == nil {
			werr = errors.New("it exited")
		}
		s.state, s.err = Failed, h.withStderr(s, fmt.Errorf("server %q stopped: %w", s.cfg.Name, werr))
		h.nameToolsLocked()
	}
	h.mu.Unlock()
	if died {
		h.changed()
	}
}

// connect starts the command and does the MCP handshake and tools/list.
func (h *Host) connect(s *server) (*sdk.ClientSession, []*sdk.Tool, error) {
	cmd := exec.Command(s.cfg.Command, s.cfg.Args...)
	cmd.Env = os.Environ()
	for k, v := range s.cfg.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = s.stderr
	client := sdk.NewClient(&sdk.Implementation{Name: "burrow", Version: "1"}, nil)
	ctx, cancel := context.WithTimeout(h.ctx, StartTimeout)
	defer cancel()
	// The session outlives ctx: a stuck handshake is ended by killing the
	// process, which fails Connect.
	stop := context.AfterFunc(ctx, func() {
		if cmd.Process != nil {
			cmd.Process.Kill()
		}
	})
	session, err := client.Connect(h.ctx, &sdk.CommandTransport{Command: cmd, TerminateDuration: stopWait}, nil)
	if err == nil {
		var tools []*sdk.Tool
		for t, terr := range session.Tools(ctx, nil) {
			if terr != nil {
				err = terr
				break
			}
			if len(tools) == maxToolsPerServer {
				break
			}
			tools = append(tools, t)
		}
		if err == nil && stop() {
			return session, tools, nil
		}
		session.Close()
	}
	stop()
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("no answer within %v", StartTimeout)
	}
	return nil, nil, fmt.Errorf("server %q (%s): %w", s.cfg.Name, commandLine(s.cfg), err)
}

// withStderr adds the end of what the server wrote to stderr: where a
// crashing server says why.
func (h *Host) withStderr(s *server, err error) error {
	if tail := strings.TrimSpace(s.stderr.String()); tail != "" {
		return fmt.Errorf("%w; it wrote: %s", err, tail)
	}
	return err
}

// nameToolsLocked gives the running servers' tools the names the model
// sees: their own, or "server_tool" when an earlier server has that name.
func (h *Host) nameToolsLocked() {
	seen := map[string]bool{}
	total := 0
	for _, s := range h.servers {
		s.names = nil
		if s.state != Running {
			continue
		}
		for _, t := range s.tools {
			name := t.Name
			if seen[name] {
				name = s.cfg.Name + "_" + t.Name
			}
			// A name a template or the call parser would trip on is left out,
			// as app/api refuses it in a request.
			if seen[name] || total == maxToolsTotal || !toolName.MatchString(name) {
				name = "" // left out
			} else {
				seen[name] = true
				total++
			}
			s.names = append(s.names, name)
		}
	}
}

// Servers reports each configured server.
func (h *Host) Servers() []Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Status, 0, len(h.servers))
	for _, s := range h.servers {
		st := Status{Name: s.cfg.Name, Command: commandLine(s.cfg), State: s.state, Err: s.err}
		for _, n := range s.names {
			if n != "" {
				st.Tools = append(st.Tools, n)
			}
		}
		out = append(out, st)
	}
	return out
}

// Tools lists the running servers' tools (app.ToolHost).
func (h *Host) Tools() []app.ToolSpec {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []app.ToolSpec
	for _, s := range h.servers {
		for i, t := range s.tools {
			if s.state != Running || i >= len(s.names) || s.names[i] == "" {
				continue
			}
			schema, err := json.Marshal(t.InputSchema)
			if err != nil || string(schema) == "null" {
				schema = nil
			}
			desc := t.Description
			if len(desc) > maxDescription { // every request carries it
				desc = strings.ToValidUTF8(desc[:maxDescription], "") + "…"
			}
			out = append(out, app.ToolSpec{Server: s.cfg.Name, Name: s.names[i], Description: desc, Parameters: schema})
		}
	}
	return out
}

// CallTool runs a tool (app.ToolHost): its text content is the result; a
// result the tool marks as an error, or a dead server, is the error.
func (h *Host) CallTool(ctx context.Context, name, arguments string) (string, error) {
	h.mu.Lock()
	var s *server
	var tool string
	for _, x := range h.servers {
		for i, n := range x.names {
			if n == name && x.state == Running {
				s, tool = x, x.tools[i].Name
			}
		}
	}
	var session *sdk.ClientSession
	if s != nil {
		session = s.session
	}
	h.mu.Unlock()
	if s == nil {
		return "", fmt.Errorf("no running server has a tool named %q", name)
	}
	var args map[string]json.RawMessage
	if err := json.Unmarshal([]byte(arguments), &args); err != nil {
		return "", fmt.Errorf("the arguments are not a JSON object: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	res, err := session.CallTool(ctx, &sdk.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		h.mu.Lock()
		dead := s.state == Failed
		serr := s.err
		h.mu.Unlock()
		if dead && serr != nil {
			return "", serr
		}
		return "", fmt.Errorf("server %q: %w", s.cfg.Name, err)
	}
	text := resultText(res)
	if res.IsError {
		if text == "" {
			text = "the tool failed without saying why"
		}
		return "", errors.New(text)
	}
	return text, nil
}

// resultText is a result's content as text for the model.
func resultText(res *sdk.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		switch c := c.(type) {
		case *sdk.TextContent:
			b.WriteString(c.Text)
		case *sdk.ImageContent:
			fmt.Fprintf(&b, "[an image, %s, that Burrow cannot show the model]", c.MIMEType)
		case *sdk.AudioContent:
			fmt.Fprintf(&b, "[audio, %s, that Burrow cannot give the model]", c.MIMEType)
		case *sdk.ResourceLink:
			fmt.Fprintf(&b, "[resource %s]", c.URI)
		case *sdk.EmbeddedResource:
			if c.Resource != nil && c.Resource.Text != "" {
				b.WriteString(c.Resource.Text)
			} else if c.Resource != nil {
				fmt.Fprintf(&b, "[resource %s]", c.Resource.URI)
			}
		}
	}
	if b.Len() == 0 && res.StructuredContent != nil {
		if raw, err := json.Marshal(res.StructuredContent); err == nil {
			b.Write(raw)
		}
	}
	s := b.String()
	if len(s) > maxResultBytes {
		cut := maxResultBytes
		for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
			cut--
		}
		s = s[:cut] + fmt.Sprintf("\n[… %d more bytes cut]", len(s)-cut)
	}
	return s
}

// Close stops every server (the app is closing): stdin closed, then a
// signal if a server does not exit. onChange is not called from here on
// (the window may be gone).
func (h *Host) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	var sessions []*sdk.ClientSession
	for _, s := range h.servers {
		if s.state == Running {
			s.state = Stopped
			sessions = append(sessions, s.session)
		}
		s.names = nil
	}
	h.mu.Unlock()
	h.cancel() // servers still starting give up
	var wg sync.WaitGroup
	for _, cs := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cs.Close()
		}()
	}
	wg.Wait()
	h.started.Wait()
}

func commandLine(c ServerConfig) string {
	return strings.TrimSpace(c.Command + " " + strings.Join(c.Args, " "))
}

// tailBuffer keeps the last max bytes written (a server's stderr).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
