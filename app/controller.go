package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"burrow/app/remote"
	"burrow/inference"
	"burrow/inference/toolcall"
	"burrow/models"
)

// Engine is what the Controller needs from the inference goroutine:
// inference.Worker in the app, FakeEngine in tests.
type Engine interface {
	Load(ctx context.Context, path string, opts inference.LoadOptions) <-chan inference.Event
	Generate(ctx context.Context, req inference.GenerateRequest) <-chan inference.Event
	Unload()
	Close()
}

// Library is what the Controller needs from the model library
// (models.Library): list the models and register a file used in place.
type Library interface {
	Scan() ([]models.Entry, error)
	Register(path string) error
}

// ModelState is the model the engine has, or is loading.
type ModelState struct {
	Path     string               // "" when no model
	Remote   string               // the server's API root when the model is remote ("" for a local file)
	Info     *inference.ModelInfo // set once loaded
	Loading  bool
	Progress float64 // 0..1 while loading
	Err      error   // why the last load failed
}

// Loaded reports whether a model is ready to chat.
func (m ModelState) Loaded() bool { return m.Info != nil && !m.Loading }

// ChangeKind says what a Change is about.
type ChangeKind int

const (
	ChangeModel        ChangeKind = iota // ModelState changed (progress, loaded, ejected, failed)
	ChangeList                           // the conversation list changed
	ChangeConversation                   // ConvID's messages or settings changed wholesale
	ChangePiece                          // Piece was appended to message Index of ConvID
	ChangeReplyDone                      // the reply at Index of ConvID finished
	ChangeError                          // Err is for the user
	ChangeServer                         // the local API server started or stopped
	ChangeToolCall                       // a tool call of ConvID's message Index waits for the user (tools.go)
)

// Change tells listeners what changed. Listeners run on the Controller's
// goroutines: a UI must hand them to its own thread (fyne.Do).
type Change struct {
	Kind   ChangeKind
	ConvID string
	Index  int
	Piece  string
	// Reasoning says Piece belongs to the reply's reasoning, not its answer.
	Reasoning bool
	// Token and Top describe a ChangePiece's token when the conversation
	// asks for token choices (Top is empty otherwise; Token is
	// inference.NoToken for text released at the end of a reply).
	Token int
	Top   []inference.TokenProb
	// ContextUsed and ContextSize, on a ChangePiece, are how full the
	// context is with this piece (0: the engine does not say).
	ContextUsed, ContextSize int
	Err                      error
	// Notice, on ChangeReplyDone, is what the user should know about the
	// reply (template fallback, dropped turns); it is kept in Message.Notice.
	Notice string
	// Message, on ChangeReplyDone, is the finished reply (a copy; nil when
	// its conversation was deleted meanwhile).
	Message *Message
}

// Errors the UI may show as they are.
var (
	ErrBusy        = errors.New("a reply is being written; stop it first")
	ErrUnknownConv = errors.New("no such conversation")
	ErrNotGGUF     = errors.New("not a GGUF model file (Burrow loads .gguf files)")
)

// errNoModel is inference.ErrNoModel with what the window's user can do.
var errNoModel = fmt.Errorf("%w: load one from the model picker, open a .gguf or drop one on the window", inference.ErrNoModel)

// Controller is the app core the window (and tests) drive: the loaded
// model, the conversations, the reply being written. It holds no UI code.
type Controller struct {
	local        Engine // the inference goroutine: local models and the API server
	lib          Library
	store        ConversationStore
	settingsPath string
	presetsPath  string
	files        *fileWriter // saves off the caller's thread
	// modelDefaultsPath holds the per-model defaults (modeldefaults.go).
	modelDefaultsPath string

	mu          sync.Mutex
	engine      Engine         // what conversations use: local, or remote
	remote      *remote.Engine // the remote server in use, if any
	server      APIServer      // the local API server, when running
	startServer ServerStarter
	settings    Settings
	convs       []*Conversation // newest first
	active      string
	model       ModelState
	loadCancel  context.CancelFunc
	loadSeq     int
	gen         *generation
	listeners   []func(Change)
	problems    []error
	presets     []Preset // the user's (presets.go)
	// modelDefaults are the settings each model file loads with (modeldefaults.go).
	modelDefaults []ModelDefaults
	tools         ToolHost     // the tools replies may call (tools.go)
	pending       *pendingCall // the tool call waiting for the user
}

// generation is the reply in flight.
type generation struct {
	convID string
	index  int
	cancel context.CancelFunc
	done   chan struct{}
	ctx    context.Context
	stream *toolcall.Stream // reads the reply's tool calls, when tools were offered
	rounds int              // times the reply went back to the model with tool results
}

// NewController starts the app core on engine, with the settings and the
// conversations found under the XDG folders. lib may be nil (no library).
// Files that could not be read are listed by Problems.
func NewController(engine Engine, lib Library) *Controller {
	c := &Controller{
		local:        engine,
		engine:       engine,
		lib:          lib,
		store:        ConversationStore{Dir: ConversationsDir()},
		settingsPath: SettingsPath(),
		presetsPath:  PresetsPath(),

		modelDefaultsPath: ModelDefaultsPath(),
	}
	c.files = newFileWriter(func(err error) { c.emit(Change{Kind: ChangeError, Err: err}) })
	var err error
	if c.settings, err = LoadSettings(c.settingsPath); err != nil {
		c.problems = append(c.problems, err)
	}
	if c.presets, err = LoadPresets(c.presetsPath); err != nil {
		c.problems = append(c.problems, err)
	}
	if c.modelDefaults, err = LoadModelDefaults(c.modelDefaultsPath); err != nil {
		c.problems = append(c.problems, err)
	}
	var errs []error
	c.convs, errs = c.store.LoadAll()
	c.problems = append(c.problems, errs...)
	return c
}

// Problems lists files that could not be read at start.
func (c *Controller) Problems() []error { return c.problems }

// Subscribe adds a listener for changes.
func (c *Controller) Subscribe(f func(Change)) {
	c.mu.Lock()
	c.listeners = append(c.listeners, f)
	c.mu.Unlock()
}

func (c *Controller) emit(ch Change) {
	c.mu.Lock()
	ls := append([]func(Change){}, c.listeners...)
	c.mu.Unlock()
	for _, f := range ls {
		f(ch)
	}
}

// Close stops the API server, any reply or load, saves the settings and
// ends the engines.
func (c *Controller) Close() {
	c.StopServer()
	c.Stop()
	defer c.closeTools()
	c.mu.Lock()
	if c.loadCancel != nil {
		c.loadCancel()
	}
	g, remote := c.gen, c.remote
	c.remote, c.engine = nil, c.local
	c.mu.Unlock()
	if g != nil {
		<-g.done
	}
	c.files.flush()
	if remote != nil {
		remote.Close()
	}
	c.local.Close()
}

// Flush waits until every change is saved (the Controller saves in the
// background; Close flushes too).
func (c *Controller) Flush() { c.files.flush() }

// saveConv queues a conversation's file.
func (c *Controller) saveConv(cv *Conversation) error {
	path, data, err := c.store.encode(cv)
	if err != nil {
		return err
	}
	c.files.put(path, data)
	return nil
}

// saveSettings queues the settings file.
func (c *Controller) saveSettings(s Settings) error {
	data, err := encodeJSON("settings", s)
	if err != nil {
		return err
	}
	c.files.put(c.settingsPath, data)
	return nil
}

// ---- settings ----

// Settings returns the app settings.
func (c *Controller) Settings() Settings {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.settings
}

// UpdateSettings changes the settings and saves them.
func (c *Controller) UpdateSettings(edit func(*Settings)) error {
	c.mu.Lock()
	edit(&c.settings)
	s := c.settings
	c.mu.Unlock()
	return c.saveSettings(s)
}

// ---- model ----

// Model returns the model state.
func (c *Controller) Model() ModelState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.model
}

// vocabEngine is an engine that can show what its model reads: the local
// worker (and the fake).
type vocabEngine interface {
	Vocab() *inference.Vocab
}

// Vocab is the loaded local model's tokenizer and chat template: what the
// Tokens tab shows, rendered exactly as replies are (nil when no local model
// is loaded).
func (c *Controller) Vocab() *inference.Vocab {
	c.mu.Lock()
	local := c.model.Remote == "" && c.model.Loaded()
	c.mu.Unlock()
	if ve, ok := c.local.(vocabEngine); ok && local {
		return ve.Vocab()
	}
	return nil
}

// Models lists the library (nil without one).
func (c *Controller) Models() ([]models.Entry, error) {
	if c.lib == nil {
		return nil, nil
	}
	return c.lib.Scan()
}

// LoadModel loads the .gguf at path in place (no copy), replacing the
// current model, and once it has loaded registers it in the library. It returns at once;
// progress and the outcome arrive as ChangeModel. The context length and
// threads come from the active conversation's settings.
func (c *Controller) LoadModel(path string) error {
	if !strings.EqualFold(filepath.Ext(path), ".gguf") {
		return fmt.Errorf("%s: %w", filepath.Base(path), ErrNotGGUF)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("load %s: %w", path, err)
	}
	if st, err := os.Stat(abs); err != nil {
		return fmt.Errorf("load %s: %w", path, err)
	} else if st.IsDir() {
		return fmt.Errorf("load %s: is a folder", path)
	}
	c.Stop() // a new model replaces the conversation's engine: end the reply now
	presets := c.Presets()
	c.mu.Lock()
	ctx, seq := c.beginLoadLocked()
	ls, applied, changed := c.applyModelDefaultsLocked(abs, presets) // the model's own defaults, if remembered
	opts := ls.LoadOptions()
	c.model = ModelState{Path: abs, Loading: true}
	c.dropRemoteLocked() // a local model: conversations go back to the worker
	st := c.settings
	c.mu.Unlock()
	if applied {
		c.saveSettings(st)
	}
	if changed != nil {
		c.saveConv(changed)
		c.emit(Change{Kind: ChangeConversation, ConvID: changed.ID})
	}
	c.emit(Change{Kind: ChangeModel})

	events := c.local.Load(ctx, abs, opts)
	go c.followLoad(seq, abs, events)
	return nil
}

func (c *Controller) followLoad(seq int, path string, events <-chan inference.Event) {
	for ev := range events {
		c.mu.Lock()
		current := seq == c.loadSeq
		if current {
			switch ev.Kind {
			case inference.EventProgress:
				c.model.Progress = ev.Progress
			case inference.EventLoaded:
				c.model = ModelState{Path: path, Info: ev.Model, Progress: 1}
				c.settings.LastModel = path
			case inference.EventError:
				c.model = ModelState{Err: ev.Err}
			}
		}
		s := c.settings
		c.mu.Unlock()
		if !current {
			continue
		}
		if ev.Kind == inference.EventLoaded {
			c.checkModelDefaults(path, ev.Model.Fingerprint)
			// Only a file that loads joins the library, so a bad drop
			// leaves no broken entry behind.
			if c.lib != nil {
				if err := c.lib.Register(path); err != nil {
					c.emit(Change{Kind: ChangeError, Err: err})
				}
			}
			if err := c.saveSettings(s); err != nil {
				c.emit(Change{Kind: ChangeError, Err: err})
			}
		}
		c.emit(Change{Kind: ChangeModel})
	}
}

// Eject stops any reply, frees the model and forgets it as the last model.
func (c *Controller) Eject() {
	c.Stop()
	c.mu.Lock()
	if c.loadCancel != nil {
		c.loadCancel()
		c.loadCancel = nil
	}
	c.loadSeq++
	wasRemote := c.model.Remote != ""
	c.model = ModelState{}
	c.dropRemoteLocked()
	if !wasRemote { // a remote model never replaced the last local one
		c.settings.LastModel = ""
	}
	s := c.settings
	c.mu.Unlock()
	c.emit(Change{Kind: ChangeModel})
	go c.local.Unload() // it waits for the worker; never block the caller
	c.saveSettings(s)
}

// ---- conversations ----

// Conversations returns the conversations, newest first.
func (c *Controller) Conversations() []Conversation {
	return c.Search("")
}

// Search returns the conversations whose title or messages contain q.
func (c *Controller) Search(q string) []Conversation {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Conversation
	for _, cv := range c.convs {
		if cv.matches(q) {
			out = append(out, cv.clone())
		}
	}
	return out
}

// Conversation returns a copy of one conversation.
func (c *Controller) Conversation(id string) (Conversation, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cv := c.findLocked(id); cv != nil {
		return cv.clone(), true
	}
	return Conversation{}, false
}

// SetActive tells the controller which conversation the user is looking
// at: its settings choose the context length and threads of the next load.
func (c *Controller) SetActive(id string) {
	c.mu.Lock()
	c.active = id
	c.mu.Unlock()
}

func (c *Controller) activeSettingsLocked() ChatSettings {
	if cv := c.findLocked(c.active); cv != nil {
		return cv.Settings
	}
	return c.settings.Defaults
}

func (c *Controller) findLocked(id string) *Conversation {
	for _, cv := range c.convs {
		if cv.ID == id {
			return cv
		}
	}
	return nil
}

// NewConversation starts an empty conversation with the default settings.
func (c *Controller) NewConversation() (string, error) {
	now := time.Now()
	c.mu.Lock()
	cv := &Conversation{ID: newConversationID(), Title: defaultTitle, Created: now, Updated: now, Settings: c.settings.Defaults}
	c.convs = append([]*Conversation{cv}, c.convs...)
	snap := cv.clone()
	c.mu.Unlock()
	err := c.saveConv(&snap)
	c.emit(Change{Kind: ChangeList, ConvID: cv.ID})
	return cv.ID, err
}

// Rename sets a conversation's title.
func (c *Controller) Rename(id, title string) error {
	title = strings.TrimSpace(title)
	if title == "" {
		return errors.New("a conversation needs a title")
	}
	return c.edit(id, ChangeList, func(cv *Conversation) error {
		cv.Title = title
		return nil
	})
}

// Delete removes a conversation and its file, stopping its reply. It does
// not wait for the engine to notice: the reply's goroutine finds the
// conversation gone and saves nothing.
func (c *Controller) Delete(id string) error {
	c.mu.Lock()
	if c.gen != nil && c.gen.convID == id {
		c.gen.cancel()
	}
	idx := -1
	for i, cv := range c.convs {
		if cv.ID == id {
			idx = i
		}
	}
	if idx < 0 {
		c.mu.Unlock()
		return ErrUnknownConv
	}
	c.convs = append(c.convs[:idx], c.convs[idx+1:]...)
	c.mu.Unlock()
	var err error
	if validID(id) {
		c.files.put(c.store.path(id), nil)
	} else {
		err = fmt.Errorf("delete conversation: invalid id %q", id)
	}
	c.emit(Change{Kind: ChangeList, ConvID: id})
	return err
}

// UpdateChatSettings replaces a conversation's settings; new conversations
// start from the last settings chosen.
func (c *Controller) UpdateChatSettings(id string, s ChatSettings) error {
	err := c.edit(id, ChangeConversation, func(cv *Conversation) error {
		cv.Settings = s
		return nil
	})
	if err != nil {
		return err
	}
	return c.UpdateSettings(func(st *Settings) { st.Defaults = s })
}

// edit changes a conversation under the lock, saves it and tells listeners.
func (c *Controller) edit(id string, kind ChangeKind, f func(*Conversation) error) error {
	c.mu.Lock()
	cv, err := c.changeLocked(id, f)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	cv.Updated = time.Now()
	snap := cv.clone()
	c.mu.Unlock()
	err = c.saveConv(&snap)
	c.emit(Change{Kind: kind, ConvID: id})
	return err
}

// changeLocked applies f to conversation id; c.mu must be held.
func (c *Controller) changeLocked(id string, f func(*Conversation) error) (*Conversation, error) {
	cv := c.findLocked(id)
	if cv == nil {
		return nil, ErrUnknownConv
	}
	if err := f(cv); err != nil {
		return nil, err
	}
	return cv, nil
}

// ---- chatting ----

// Generating returns the conversation whose reply is being written.
func (c *Controller) Generating() (convID string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == nil {
		return "", false
	}
	return c.gen.convID, true
}

// Send adds a user message and starts the reply.
func (c *Controller) Send(id, text string) error {
	if strings.TrimSpace(text) == "" {
		return errors.New("the message is empty")
	}
	return c.startReply(id, func(cv *Conversation) error {
		if len(cv.Messages) == 0 && cv.Title == defaultTitle {
			cv.Title = titleFrom(text)
		}
		cv.Messages = append(cv.Messages, Message{Role: "user", Content: text})
		return nil
	})
}

// Regenerate writes a new last reply; the old one stays as another
// version (branches.go).
func (c *Controller) Regenerate(id string) error {
	return c.startReply(id, func(cv *Conversation) error {
		last := lastUser(cv.Messages)
		if last < 0 {
			return errors.New("nothing to regenerate: the conversation has no message yet")
		}
		cv.regenerateAfter(last)
		return nil
	})
}

// EditMessage changes the user message at index and continues the
// conversation from there with a new reply; the old message and the turns
// after it stay as another version (branches.go).
func (c *Controller) EditMessage(id string, index int, text string) error {
	if strings.TrimSpace(text) == "" {
		return errors.New("the message is empty")
	}
	return c.startReply(id, func(cv *Conversation) error {
		if index < 0 || index >= len(cv.Messages) || cv.Messages[index].Role != "user" {
			return fmt.Errorf("message %d is not a user message", index)
		}
		cv.branchAt(index, Message{Role: "user", Content: text})
		return nil
	})
}

func lastUser(ms []Message) int {
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].Role == "user" {
			return i
		}
	}
	return -1
}

// Stop cancels the reply being written; what was written stays.
func (c *Controller) Stop() {
	c.mu.Lock()
	if c.gen != nil {
		c.gen.cancel()
	}
	c.mu.Unlock()
}

// startReply applies change to the conversation, appends an empty reply and
// streams the engine's pieces into it.
func (c *Controller) startReply(id string, change func(*Conversation) error) error {
	c.mu.Lock()
	if c.gen != nil {
		c.mu.Unlock()
		return ErrBusy
	}
	if c.model.Path == "" || (!c.model.Loading && c.model.Info == nil) {
		c.mu.Unlock()
		return errNoModel
	}
	if c.model.Loading && c.model.Remote != "" {
		c.mu.Unlock()
		return fmt.Errorf("still connecting to %s: send again once it answers", c.model.Remote)
	}
	cv, err := c.changeLocked(id, change)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	if !endsWithNewVersion(cv.Messages) { // a regenerated reply is in place already
		cv.Messages = append(cv.Messages, Message{Role: "assistant"})
	}
	cv.Updated = time.Now()
	c.moveToFrontLocked(cv)
	req := cv.generateRequest()
	ctx, cancel := context.WithCancel(context.Background())
	g := &generation{convID: id, index: len(cv.Messages) - 1, cancel: cancel, done: make(chan struct{}), ctx: ctx}
	g.startTools(c.offerToolsLocked(&req))
	c.gen = g
	engine := c.engine
	snap := cv.clone()
	c.mu.Unlock()

	if err := c.saveConv(&snap); err != nil {
		c.emit(Change{Kind: ChangeError, Err: err})
	}
	c.emit(Change{Kind: ChangeList, ConvID: id})
	c.emit(Change{Kind: ChangeConversation, ConvID: id})
	events := engine.Generate(ctx, req)
	go c.followReply(g, events)
	return nil
}

func (c *Controller) moveToFrontLocked(cv *Conversation) {
	for i, x := range c.convs {
		if x == cv {
			copy(c.convs[1:i+1], c.convs[:i])
			c.convs[0] = cv
			return
		}
	}
}

// reply returns the message being written, or nil if its conversation is gone.
func (c *Controller) replyLocked(g *generation) *Message {
	cv := c.findLocked(g.convID)
	if cv == nil || g.index >= len(cv.Messages) {
		return nil
	}
	return &cv.Messages[g.index]
}

func (c *Controller) followReply(g *generation, events <-chan inference.Event) {
	defer g.cancel()
	var rep inference.Reply
	for events != nil { // one round, then another after tool results (tools.go)
		rep = c.streamReply(g, events)
		events = c.afterReply(g, &rep)
	}
	c.finishReply(g, &rep)
}

// streamReply follows one round of a reply's events into its message.
func (c *Controller) streamReply(g *generation, events <-chan inference.Event) inference.Reply {
	var rep inference.Reply
	var shown strings.Builder // the answer as shown: tool calls held back
	for ev := range events {
		if ev.Kind == inference.EventPiece && !ev.Reasoning {
			ev.Piece = g.toolPiece(ev.Piece)
			shown.WriteString(ev.Piece)
		}
		c.mu.Lock()
		rep.Add(ev)
		m := c.replyLocked(g)
		if m != nil {
			switch ev.Kind {
			case inference.EventPiece:
				m.Content, m.Reasoning, m.Choices = shown.String(), rep.Reasoning(), rep.Choices
			case inference.EventDone:
				m.StopReason, m.Stats, m.Notice = rep.StopReason, rep.Stats, rep.Notice
			case inference.EventError:
				m.Err = rep.Err.Error()
			}
			if rep.Thought > 0 { // fixed when the answer began, or at the end
				m.ThoughtMS = max(rep.Thought.Milliseconds(), 1)
			}
		}
		c.mu.Unlock()
		switch {
		case ev.Kind == inference.EventPiece && (ev.Piece != "" || len(ev.Top) > 0):
			c.emit(Change{Kind: ChangePiece, ConvID: g.convID, Index: g.index, Piece: ev.Piece, Reasoning: ev.Reasoning, Token: ev.Token, Top: ev.Top,
				ContextUsed: ev.ContextUsed, ContextSize: ev.ContextSize})
		case ev.Kind == inference.EventError:
			c.emit(Change{Kind: ChangeError, ConvID: g.convID, Err: ev.Err})
		}
	}
	return rep
}

// finishReply saves the finished reply and tells listeners.
func (c *Controller) finishReply(g *generation, rep *inference.Reply) {
	c.mu.Lock()
	var snap *Conversation
	var done *Message
	if cv := c.findLocked(g.convID); cv != nil {
		cv.Updated = time.Now()
		s := cv.clone()
		snap = &s
		if g.index < len(s.Messages) {
			done = &s.Messages[g.index]
		}
	}
	c.gen = nil
	c.mu.Unlock()
	if snap != nil {
		if err := c.saveConv(snap); err != nil {
			c.emit(Change{Kind: ChangeError, Err: err})
		}
	}
	close(g.done)
	c.emit(Change{Kind: ChangeReplyDone, ConvID: g.convID, Index: g.index, Notice: rep.Notice, Message: done})
}

// WaitReply blocks until no reply is being written (tests, screenshot mode).
func (c *Controller) WaitReply() {
	c.mu.Lock()
	g := c.gen
	c.mu.Unlock()
	if g != nil {
		<-g.done
	}
}

// beginLoadLocked cancels a load or connection in flight and starts the next
// one: its context, and its number, so that a late result of an older load
// is recognised and dropped. c.mu must be held.
func (c *Controller) beginLoadLocked() (context.Context, int) {
	if c.loadCancel != nil {
		c.loadCancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.loadCancel = cancel
	c.loadSeq++
	return ctx, c.loadSeq
}
