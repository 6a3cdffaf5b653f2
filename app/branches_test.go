package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"burrow/app/apptest"
)

func contents(ms []Message) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Content)
	}
	return strings.Join(out, " | ")
}

func TestRegenerateKeepsVersionsAcrossRestart(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	c := loaded(t, eng)
	id, _ := c.NewConversation()
	eng.Pieces = []string{"first"}
	if err := c.Send(id, "hi"); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	for _, text := range []string{"second", "third"} {
		eng.Pieces = []string{text}
		if err := c.Regenerate(id); err != nil {
			t.Fatal(err)
		}
		c.WaitReply()
	}
	cv, _ := c.Conversation(id)
	if shown, total := cv.Versions(1); shown != 3 || total != 3 || contents(cv.Messages) != "hi | third" {
		t.Fatalf("versions %d/%d, path %q", shown, total, contents(cv.Messages))
	}
	// The engine saw the conversation without the old versions.
	reqs := eng.Requests()
	if last := reqs[len(reqs)-1]; len(last.Messages) != 1 || last.Messages[0].Content != "hi" {
		t.Fatalf("regenerate asked with %+v", last.Messages)
	}
	c.Flush()

	c2 := startController(t, apptest.NewFakeEngine(), nil)
	cv, _ = c2.Conversation(id)
	if shown, total := cv.Versions(1); shown != 3 || total != 3 {
		t.Fatalf("after restart %d/%d", shown, total)
	}
	for to, want := range []string{"first", "second", "third", "first"} {
		if err := c2.SwitchVersion(id, 1, to%3); err != nil {
			t.Fatal(err)
		}
		cv, _ = c2.Conversation(id)
		if shown, total := cv.Versions(1); cv.Messages[1].Content != want || shown != to%3+1 || total != 3 {
			t.Fatalf("switch to %d: %q (%d/%d)", to, cv.Messages[1].Content, shown, total)
		}
		if cv.Messages[1].Stats == nil {
			t.Fatalf("version %d lost its stats", to)
		}
	}
	if err := c2.SwitchVersion(id, 1, 3); err == nil {
		t.Error("switched to a version that does not exist")
	}
}

func TestEditKeepsTheOldBranch(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	c := loaded(t, eng)
	id, _ := c.NewConversation()
	for _, turn := range [][2]string{{"one", "A"}, {"two", "B"}, {"three", "C"}} {
		eng.Pieces = []string{turn[1]}
		if err := c.Send(id, turn[0]); err != nil {
			t.Fatal(err)
		}
		c.WaitReply()
	}
	eng.Pieces = []string{"B2"}
	if err := c.EditMessage(id, 2, "two, edited"); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	cv, _ := c.Conversation(id)
	if got := contents(cv.Messages); got != "one | A | two, edited | B2" {
		t.Fatalf("after edit %q", got)
	}
	if shown, total := cv.Versions(2); shown != 2 || total != 2 {
		t.Fatalf("edited message %d/%d", shown, total)
	}
	// Back to the first version: the turns after it come back too.
	if err := c.SwitchVersion(id, 2, 0); err != nil {
		t.Fatal(err)
	}
	cv, _ = c.Conversation(id)
	if got := contents(cv.Messages); got != "one | A | two | B | three | C" {
		t.Fatalf("old branch %q", got)
	}
	// A reply regenerated on the old branch branches there, inside it.
	eng.Pieces = []string{"C2"}
	if err := c.Regenerate(id); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	c.SwitchVersion(id, 2, 1)
	c.SwitchVersion(id, 2, 0)
	cv, _ = c.Conversation(id)
	if got := contents(cv.Messages); got != "one | A | two | B | three | C2" {
		t.Fatalf("nested branch %q", got)
	}
	if shown, total := cv.Versions(5); shown != 2 || total != 2 {
		t.Fatalf("nested versions %d/%d", shown, total)
	}
	// Continuing sends only the shown path.
	eng.Pieces = []string{"D"}
	c.Send(id, "four")
	c.WaitReply()
	reqs := eng.Requests()
	var sent []string
	for _, m := range reqs[len(reqs)-1].Messages {
		sent = append(sent, m.Content)
	}
	if strings.Join(sent, " | ") != "one | A | two | B | three | C2 | four" {
		t.Fatalf("sent %q", sent)
	}
}

func TestSwitchVersionWhileWritingIsRefused(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	eng.Gate = make(chan struct{})
	c := loaded(t, eng)
	id, _ := c.NewConversation()
	c.Send(id, "hi")
	for range eng.Pieces {
		eng.Gate <- struct{}{}
	}
	c.WaitReply()
	c.Regenerate(id)
	if err := c.SwitchVersion(id, 1, 0); !errors.Is(err, ErrBusy) {
		t.Fatalf("switch while writing: %v", err)
	}
	c.Stop()
	c.WaitReply()
}

// A file in today's format (before branches) loads as it is, and a
// regeneration then branches it.
func TestConversationFileWithoutBranchesMigrates(t *testing.T) {
	useTempXDG(t)
	old := `{"id": "20260101-120000-abcd0123", "title": "Old chat", "created": "2026-01-01T12:00:00Z",
	  "updated": "2026-01-01T12:00:05Z", "settings": {"system_prompt": "", "temperature": 0.8, "top_k": 40,
	  "top_p": 0.95, "min_p": 0.05, "repeat_penalty": 1, "max_tokens": 0, "seed": 0, "context_length": 0, "threads": 0},
	  "messages": [{"role": "user", "content": "hello"},
	    {"role": "assistant", "content": "old reply", "stop_reason": "eos",
	     "stats": {"prompt_tokens": 5, "gen_tokens": 2, "context_used": 7, "context_size": 512, "receipt": {"model_fingerprint": "x"}}}]}`
	os.MkdirAll(ConversationsDir(), 0o755)
	os.WriteFile(filepath.Join(ConversationsDir(), "20260101-120000-abcd0123.json"), []byte(old), 0o600)
	eng := apptest.NewFakeEngine()
	c := loaded(t, eng)
	if len(c.Problems()) != 0 {
		t.Fatal(c.Problems())
	}
	id := "20260101-120000-abcd0123"
	cv, _ := c.Conversation(id)
	if shown, total := cv.Versions(1); shown != 1 || total != 1 || contents(cv.Messages) != "hello | old reply" {
		t.Fatalf("old file reads as %d/%d %q", shown, total, contents(cv.Messages))
	}
	eng.Pieces = []string{"new reply"}
	if err := c.Regenerate(id); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	c.SwitchVersion(id, 1, 0)
	cv, _ = c.Conversation(id)
	if cv.Messages[1].Content != "old reply" || cv.Messages[1].Stats.Receipt.ModelFingerprint != "x" {
		t.Fatalf("old reply as version 1: %+v", cv.Messages[1])
	}
}

// A save killed before its rename leaves a temp file beside the last good
// one: the next start reads the last good tree and ignores the rest.
func TestKilledSaveKeepsLastGoodTree(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	c := loaded(t, eng)
	id, _ := c.NewConversation()
	c.Send(id, "hi")
	c.WaitReply()
	c.Regenerate(id)
	c.WaitReply()
	c.Flush()
	good, _ := c.Conversation(id)
	torn := `{"id": "` + id + `", "messages": [{"role": "user", "content": "hi"}, {"role": "assis`
	os.WriteFile(filepath.Join(ConversationsDir(), "."+id+".json.tmp-123"), []byte(torn), 0o600)

	c2 := startController(t, apptest.NewFakeEngine(), nil)
	got, ok := c2.Conversation(id)
	if !ok || len(c2.Problems()) != 0 {
		t.Fatalf("problems %v", c2.Problems())
	}
	if shown, total := got.Versions(1); shown != 2 || total != 2 || contents(got.Messages) != contents(good.Messages) {
		t.Fatalf("after the kill: %d/%d %q", shown, total, contents(got.Messages))
	}
}
