package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/adrg/xdg"

	"burrow/app/apptest"
	"burrow/inference"
	"burrow/inference/llama"
	"burrow/models"
)

// useTempXDG points the XDG folders at a fresh temp dir for one test.
func useTempXDG(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	xdg.Reload()
	t.Cleanup(xdg.Reload)
}

// startController starts a controller and makes sure its background
// saves are done before the test's temp folders are removed.
func startController(t *testing.T, eng Engine, lib Library) *Controller {
	t.Helper()
	c := NewController(eng, lib)
	t.Cleanup(c.Flush)
	return c
}

// fakeGGUF makes a file with a .gguf name (the fake engine never reads it).
func fakeGGUF(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tiny-model-Q8_0.gguf")
	if err := os.WriteFile(p, []byte("GGUF"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// loaded starts a controller on a fake engine with a model loaded.
func loaded(t *testing.T, eng *apptest.FakeEngine) *Controller {
	t.Helper()
	c := startController(t, eng, nil)
	waitLoad(t, c, fakeGGUF(t))
	return c
}

func waitLoad(t *testing.T, c *Controller, path string) {
	t.Helper()
	done := make(chan struct{}, 1)
	c.Subscribe(func(ch Change) {
		if ch.Kind == ChangeModel && !c.Model().Loading {
			select {
			case done <- struct{}{}:
			default:
			}
		}
	})
	if err := c.LoadModel(path); err != nil {
		t.Fatal(err)
	}
	<-done
}

func TestReplyStreamsPiecesInOrder(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	c := loaded(t, eng)
	var got []string
	c.Subscribe(func(ch Change) {
		if ch.Kind == ChangePiece {
			got = append(got, ch.Piece)
		}
	})
	id, _ := c.NewConversation()
	if err := c.Send(id, "Tell me a story"); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	if strings.Join(got, "|") != strings.Join(eng.Pieces, "|") {
		t.Fatalf("pieces %q, want %q", got, eng.Pieces)
	}
	cv, _ := c.Conversation(id)
	if len(cv.Messages) != 2 || cv.Messages[1].Content != strings.Join(eng.Pieces, "") || cv.Messages[1].StopReason != inference.StopEOS {
		t.Fatalf("messages %+v", cv.Messages)
	}
	if cv.Title != "Tell me a story" {
		t.Errorf("title %q", cv.Title)
	}
	req := eng.Requests()[0]
	if len(req.Messages) != 1 || req.Messages[0].Role != "user" || req.Messages[0].Content != "Tell me a story" {
		t.Errorf("request messages %+v", req.Messages)
	}
}

func TestStopKeepsWhatWasWritten(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	eng.Gate = make(chan struct{})
	c := loaded(t, eng)
	id, _ := c.NewConversation()
	if err := c.Send(id, "hi"); err != nil {
		t.Fatal(err)
	}
	eng.Gate <- struct{}{}
	eng.Gate <- struct{}{}
	if err := c.Send(id, "again"); !errors.Is(err, ErrBusy) {
		t.Fatalf("second send while busy: %v", err)
	}
	c.Stop()
	c.WaitReply()
	cv, _ := c.Conversation(id)
	m := cv.Messages[1]
	if m.StopReason != inference.StopCancelled || !strings.HasPrefix("Once upon", m.Content) || m.Content == "" {
		t.Fatalf("after stop: %+v", m)
	}
}

func TestEditAndRegenerate(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	c := loaded(t, eng)
	id, _ := c.NewConversation()
	for _, s := range []string{"first", "second"} {
		if err := c.Send(id, s); err != nil {
			t.Fatal(err)
		}
		c.WaitReply()
	}
	eng.Pieces = []string{"new", " reply"}
	if err := c.Regenerate(id); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	cv, _ := c.Conversation(id)
	if len(cv.Messages) != 4 || cv.Messages[3].Content != "new reply" {
		t.Fatalf("after regenerate: %+v", cv.Messages)
	}
	if err := c.EditMessage(id, 1, "not a user message"); err == nil {
		t.Fatal("editing a reply should fail")
	}
	eng.Pieces = []string{"edited"}
	if err := c.EditMessage(id, 0, "changed first"); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	cv, _ = c.Conversation(id)
	if len(cv.Messages) != 2 || cv.Messages[0].Content != "changed first" || cv.Messages[1].Content != "edited" {
		t.Fatalf("after edit: %+v", cv.Messages)
	}
	last := eng.Requests()[len(eng.Requests())-1]
	if n := len(last.Messages); last.Messages[n-1].Content != "changed first" {
		t.Errorf("edit request ends with %+v", last.Messages[n-1])
	}
}

func TestSendNeedsAModel(t *testing.T) {
	useTempXDG(t)
	c := startController(t, apptest.NewFakeEngine(), nil)
	id, _ := c.NewConversation()
	if err := c.Send(id, "hi"); !errors.Is(err, inference.ErrNoModel) {
		t.Fatalf("send without a model: %v", err)
	}
}

func TestLoadFailureCarriesEngineMessage(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	eng.LoadErr = apptest.ErrFakeLoad
	lib := &recordingLibrary{}
	c := startController(t, eng, lib)
	waitLoad(t, c, fakeGGUF(t))
	if m := c.Model(); !errors.Is(m.Err, apptest.ErrFakeLoad) || m.Loaded() {
		t.Fatalf("model state %+v", m)
	}
	if len(lib.paths) != 0 {
		t.Errorf("a file that failed to load was registered: %v", lib.paths)
	}
	if err := c.LoadModel(filepath.Join(t.TempDir(), "notes.txt")); !errors.Is(err, ErrNotGGUF) {
		t.Fatalf("loading a .txt: %v", err)
	}
}

func TestPersistAcrossRestart(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	c := loaded(t, eng)
	model := c.Model().Path
	id, _ := c.NewConversation()
	if err := c.Send(id, "remember me"); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	s := DefaultChatSettings()
	s.SystemPrompt, s.Temperature, s.Seed, s.ContextLength = "Be brief.", 0.2, 42, 1024
	if err := c.UpdateChatSettings(id, s); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename(id, "Kept"); err != nil {
		t.Fatal(err)
	}
	other, _ := c.NewConversation()
	if err := c.Delete(other); err != nil {
		t.Fatal(err)
	}
	c.UpdateSettings(func(st *Settings) { st.WindowWidth, st.WindowHeight = 900, 600 })
	c.Close()

	c2 := startController(t, apptest.NewFakeEngine(), nil)
	if p := c2.Problems(); len(p) > 0 {
		t.Fatalf("problems: %v", p)
	}
	convs := c2.Conversations()
	if len(convs) != 1 {
		t.Fatalf("%d conversations after restart", len(convs))
	}
	cv := convs[0]
	if cv.ID != id || cv.Title != "Kept" || cv.Settings != s || len(cv.Messages) != 2 || cv.Messages[1].Stats == nil {
		t.Fatalf("after restart: %+v", cv)
	}
	st := c2.Settings()
	if st.WindowWidth != 900 || st.WindowHeight != 600 || st.LastModel != model || st.Defaults != s {
		t.Fatalf("settings after restart: %+v", st)
	}
	if got := c2.Search("REMEMBER"); len(got) != 1 {
		t.Errorf("search found %d", len(got))
	}
	if got := c2.Search("absent"); len(got) != 0 {
		t.Errorf("search for absent found %d", len(got))
	}
}

// recordingLibrary records registrations (read after the load settled).
type recordingLibrary struct{ paths []string }

func (l *recordingLibrary) Scan() ([]models.Entry, error) { return nil, nil }
func (l *recordingLibrary) Register(p string) error       { l.paths = append(l.paths, p); return nil }

func TestDamagedFilesDoNotHideTheRest(t *testing.T) {
	useTempXDG(t)
	c := startController(t, apptest.NewFakeEngine(), nil)
	id, _ := c.NewConversation()
	c.Rename(id, "survivor")
	c.Close()
	os.WriteFile(filepath.Join(ConversationsDir(), "garbage.json"), []byte(`{"id": "garb`), 0o600)
	os.MkdirAll(filepath.Dir(SettingsPath()), 0o755)
	os.WriteFile(SettingsPath(), []byte(`{not json`), 0o600)

	c2 := startController(t, apptest.NewFakeEngine(), nil)
	if n := len(c2.Problems()); n != 2 {
		t.Errorf("%d problems reported, want 2 (settings, garbage.json): %v", n, c2.Problems())
	}
	if convs := c2.Conversations(); len(convs) != 1 || convs[0].Title != "survivor" {
		t.Errorf("conversations %+v", convs)
	}
	if s := c2.Settings(); s.Defaults != DefaultChatSettings() || s.WindowWidth == 0 {
		t.Errorf("damaged settings should give the defaults: %+v", s)
	}
}

func TestTokenChoicesAreKeptWhenAsked(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	c := loaded(t, eng)
	id, _ := c.NewConversation()
	if err := c.Send(id, "plain"); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	cv, _ := c.Conversation(id)
	if len(cv.Messages[1].Choices) != 0 || eng.Requests()[0].TopLogprobs != 0 {
		t.Fatal("choices recorded without being asked for")
	}
	s := cv.Settings
	s.TopLogprobs = 3
	c.UpdateChatSettings(id, s)
	var tops int
	c.Subscribe(func(ch Change) {
		if ch.Kind == ChangePiece && len(ch.Top) == 3 {
			tops++
		}
	})
	if err := c.Send(id, "with choices"); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	cv, _ = c.Conversation(id)
	ch := cv.Messages[3].Choices
	if len(ch) != len(eng.Pieces) || tops != len(eng.Pieces) || ch[1].Piece != " upon" || len(ch[1].Top) != 3 || ch[1].Top[0].Token != ch[1].Token {
		t.Fatalf("choices %+v (%d piece changes with Top)", ch, tops)
	}
	if got := eng.Requests()[1].TopLogprobs; got != 3 {
		t.Errorf("request TopLogprobs %d", got)
	}
}

func TestDeleteWhileReplyingDoesNotWaitOrResurrect(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	eng.Gate = make(chan struct{}) // the engine never gets to reply
	c := loaded(t, eng)
	id, _ := c.NewConversation()
	if err := c.Send(id, "hi"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(id); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	c.Flush()
	if _, ok := c.Conversation(id); ok {
		t.Fatal("deleted conversation still listed")
	}
	if _, err := os.Stat(filepath.Join(ConversationsDir(), id+".json")); !os.IsNotExist(err) {
		t.Fatalf("deleted conversation's file: %v", err)
	}
}

func TestLoadingAnotherModelStopsTheReply(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	eng.Gate = make(chan struct{})
	c := loaded(t, eng)
	id, _ := c.NewConversation()
	c.Send(id, "hi")
	if err := c.LoadModel(fakeGGUF(t)); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	cv, _ := c.Conversation(id)
	if r := cv.Messages[1].StopReason; r != inference.StopCancelled {
		t.Fatalf("stop reason %q", r)
	}
}

// TestKVTypeSetting: the window's KV cache choice reaches the load options.
func TestKVTypeSetting(t *testing.T) {
	for in, want := range map[string]llama.KVType{"": llama.DefaultKV, "f32": llama.KVF32, "f16": llama.KVF16, "q8_0": llama.KVQ8_0, "bogus": llama.DefaultKV} {
		if got := (ChatSettings{KVType: in}).LoadOptions().KV; got != want {
			t.Errorf("KVType %q: %v, want %v", in, got, want)
		}
	}
}
