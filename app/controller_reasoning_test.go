package app

import (
	"os"
	"strings"
	"sync"
	"testing"

	"burrow/app/apptest"
)

// TestThinkingReplyKeepsItsReasoning: a thinking reply's pieces come
// tagged, the message keeps the answer and the reasoning apart (and how
// long it thought), the saved file holds both, and the next request
// carries the reasoning for the template to place or drop.
func TestThinkingReplyKeepsItsReasoning(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	eng.Pieces, eng.Reasoning = apptest.ThinkingPieces, apptest.ThinkTags
	c := loaded(t, eng)
	var mu sync.Mutex
	var reasoning, answer string
	c.Subscribe(func(ch Change) {
		if ch.Kind == ChangePiece {
			mu.Lock()
			if ch.Reasoning {
				reasoning += ch.Piece
			} else {
				answer += ch.Piece
			}
			mu.Unlock()
		}
	})
	id, _ := c.NewConversation()
	if err := c.Send(id, "Hi!"); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	const wantR, wantA = "The user says hi. A short, warm greeting fits.", "Hello! How can I help?"
	mu.Lock()
	if reasoning != wantR || answer != wantA {
		t.Errorf("pieces: reasoning %q, answer %q", reasoning, answer)
	}
	mu.Unlock()
	cv, _ := c.Conversation(id)
	m := cv.Messages[1]
	if m.Reasoning != wantR || m.Content != wantA || m.ThoughtMS <= 0 {
		t.Errorf("message: reasoning %q, content %q, thought %d ms", m.Reasoning, m.Content, m.ThoughtMS)
	}
	c.Flush()
	data, err := os.ReadFile(c.store.path(id))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"reasoning": "`+wantR+`"`) || strings.Contains(string(data), "<think>") {
		t.Errorf("saved file:\n%s", data)
	}
	loadedConvs, errs := c.store.LoadAll()
	if len(errs) != 0 || len(loadedConvs) != 1 || loadedConvs[0].Messages[1].Reasoning != wantR {
		t.Fatalf("reloaded %+v, %v", loadedConvs, errs)
	}

	// The switch: thinking off reaches the template; the history carries
	// the first reply's reasoning.
	s := cv.Settings
	s.NoThinking = true
	if err := c.UpdateChatSettings(id, s); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(id, "Again"); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	reqs := eng.Requests()
	last := reqs[len(reqs)-1]
	if last.TemplateVars["enable_thinking"] != false || reqs[0].TemplateVars["enable_thinking"] != true {
		t.Errorf("template vars: first %v, second %v", reqs[0].TemplateVars, last.TemplateVars)
	}
	if len(last.Messages) != 3 || last.Messages[1].Reasoning != wantR || last.Messages[1].Content != wantA {
		t.Errorf("history %+v", last.Messages)
	}
	cv, _ = c.Conversation(id)
	if m := cv.Messages[3]; m.Reasoning != "" || m.ThoughtMS != 0 || !strings.Contains(m.Content, "<think>") {
		// The fake only splits when thinking is on; a real Qwen3 writes no think then.
		t.Errorf("reply with thinking off: %+v", m)
	}
}

// TestOldConversationFilesLoad: a file written before replies had
// reasoning loads unchanged.
func TestOldConversationFilesLoad(t *testing.T) {
	useTempXDG(t)
	store := ConversationStore{Dir: ConversationsDir()}
	if err := os.MkdirAll(store.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	old := `{"id":"20240101-000000-abcd","title":"Old","created":"2024-01-01T00:00:00Z","updated":"2024-01-01T00:00:00Z",
"settings":{"system_prompt":"","temperature":0.8,"top_k":40,"top_p":0.95,"min_p":0.05,"repeat_penalty":1,"max_tokens":0,"seed":0,"context_length":0,"threads":0},
"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello.","stop_reason":"eos"}]}`
	if err := os.WriteFile(store.path("20240101-000000-abcd"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	convs, errs := store.LoadAll()
	if len(errs) != 0 || len(convs) != 1 {
		t.Fatalf("%v %v", convs, errs)
	}
	cv := convs[0]
	if m := cv.Messages[1]; m.Content != "Hello." || m.Reasoning != "" || cv.Settings.NoThinking || cv.Settings.TemplateVars()["enable_thinking"] != true {
		t.Errorf("old file: %+v %+v", m, cv.Settings)
	}
	if msgs := cv.ChatMessages(); len(msgs) != 2 || msgs[1].Reasoning != "" {
		t.Errorf("chat messages %+v", msgs)
	}
}
