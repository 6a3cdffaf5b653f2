package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"burrow/app/apptest"
)

// chatted is a controller with one conversation of two finished turns.
func chatted(t *testing.T) (*Controller, string) {
	t.Helper()
	eng := apptest.NewFakeEngine()
	c := loaded(t, eng)
	id, _ := c.NewConversation()
	s := DefaultChatSettings()
	s.SystemPrompt, s.TopLogprobs = "Be brief.", 2
	if err := c.UpdateChatSettings(id, s); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"Tell me a story", "And another"} {
		if err := c.Send(id, text); err != nil {
			t.Fatal(err)
		}
		c.WaitReply()
	}
	// A regenerated reply: the export carries the tree, both versions.
	if err := c.Regenerate(id); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	if cv, _ := c.Conversation(id); len(cv.Messages[3].Alts) != 1 {
		t.Fatal("no branch to carry")
	}
	return c, id
}

func asJSON(t *testing.T, cv Conversation) string {
	t.Helper()
	data, err := json.Marshal(cv)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestExportImportRoundTrip(t *testing.T) {
	useTempXDG(t)
	c, id := chatted(t)
	orig, _ := c.Conversation(id)
	if orig.Messages[1].Stats == nil || orig.Messages[1].Stats.Receipt.ModelFingerprint == "" && orig.Messages[1].Stats.ContextSize == 0 {
		t.Fatal("the reply has no stats to carry")
	}
	data, err := ExportJSON(orig)
	if err != nil {
		t.Fatal(err)
	}

	// Into another library (another machine): the same conversation, same id.
	useTempXDG(t)
	c2 := startController(t, apptest.NewFakeEngine(), nil)
	newID, err := c2.ImportConversation(data)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := c2.Conversation(newID)
	if newID != id || asJSON(t, got) != asJSON(t, orig) {
		t.Fatalf("round trip differs:\n got %s\nwant %s", asJSON(t, got), asJSON(t, orig))
	}
	c2.Flush()
	c3 := startController(t, apptest.NewFakeEngine(), nil)
	if after, ok := c3.Conversation(id); !ok || asJSON(t, after) != asJSON(t, orig) {
		t.Fatal("the imported conversation was not saved as it is")
	}

	// Into the same library again: a copy under a new id.
	againID, err := c3.ImportConversation(data)
	if err != nil || againID == id {
		t.Fatalf("second import: %q, %v", againID, err)
	}
	if n := len(c3.Conversations()); n != 2 {
		t.Fatalf("%d conversations after importing a copy", n)
	}
}

func TestExportMarkdown(t *testing.T) {
	useTempXDG(t)
	c, id := chatted(t)
	cv, _ := c.Conversation(id)
	md := ExportMarkdown(cv)
	for _, want := range []string{"# Tell me a story\n", "> Be brief.", "## You\n\nTell me a story\n", "## Assistant\n\nOnce upon a time, there was a burrow.\n", "10 tokens", "stop: eos", "## You\n\nAnd another\n", "version 2 of 2"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if got := MessageMarkdown(cv.Messages[0]); got != "## You\n\nTell me a story\n" {
		t.Errorf("message markdown %q", got)
	}
}

func TestImportOtherApps(t *testing.T) {
	openWebUI := `[{"id": "c1", "title": "Rust help", "created_at": 1717000000, "updated_at": 1717000100,
	  "chat": {"title": "Rust help", "models": ["llama3"], "system": "You know Rust.",
	    "messages": [
	      {"id": "a", "role": "user", "content": "What is a borrow?", "timestamp": 1717000000},
	      {"id": "b", "parentId": "a", "role": "assistant", "content": "A reference.", "model": "llama3"}],
	    "history": {"currentId": "b", "messages": {}}}}]`
	cv, err := ParseConversation([]byte(openWebUI))
	if err != nil {
		t.Fatal(err)
	}
	if cv.Title != "Rust help" || cv.Settings.SystemPrompt != "You know Rust." || len(cv.Messages) != 2 ||
		cv.Messages[0].Content != "What is a borrow?" || cv.Messages[1].Role != "assistant" || cv.Created.Unix() != 1717000000 {
		t.Errorf("Open WebUI: %+v", cv)
	}

	// Open WebUI with only the tree: the shown branch is taken.
	tree := `{"title": "T", "chat": {"history": {"currentId": "c", "messages": {
	  "a": {"id": "a", "role": "user", "content": "one"},
	  "b": {"id": "b", "parentId": "a", "role": "assistant", "content": "old answer"},
	  "c": {"id": "c", "parentId": "a", "role": "assistant", "content": "new answer"},
	  "d": {"id": "d", "parentId": "b", "role": "user", "content": "really?"},
	  "e": {"id": "e", "parentId": "d", "role": "assistant", "content": "yes"},
	  "s": {"id": "s", "parentId": "s", "role": "user", "content": "a loop on itself"}}}}}`
	cv, err = ParseConversation([]byte(tree))
	if err != nil {
		t.Fatal(err)
	}
	if len(cv.Messages) != 2 || cv.Messages[1].Content != "new answer" {
		t.Errorf("Open WebUI tree: %+v", cv.Messages)
	}
	// The other reply is kept as a version, with its own follow-up.
	if shown, total := cv.Versions(1); shown != 2 || total != 2 || cv.Messages[1].Alts[0][0].Content != "old answer" ||
		len(cv.Messages[1].Alts[0]) != 3 || cv.Messages[1].Alts[0][2].Content != "yes" {
		t.Errorf("Open WebUI versions %d/%d: %+v", shown, total, cv.Messages[1].Alts)
	}

	lmStudio := `{"name": "Haiku", "pinned": false, "createdAt": 1717000000000, "tokenCount": 20,
	  "systemPrompt": "", "messages": [
	    {"versions": [{"type": "singleStep", "role": "user", "content": [{"type": "text", "text": "A haiku, please"}]}], "currentlySelected": 0},
	    {"versions": [
	      {"type": "multiStep", "role": "assistant", "steps": [{"type": "contentBlock", "content": [{"type": "text", "text": "first try"}]}]},
	      {"type": "multiStep", "role": "assistant", "steps": [
	        {"type": "contentBlock", "style": {"type": "thinking"}, "content": [{"type": "text", "text": "hmm"}]},
	        {"type": "contentBlock", "content": [{"type": "text", "text": "Burrow deep below"}]}]}],
	     "currentlySelected": 1}],
	  "usePerChatPredictionConfig": true,
	  "perChatPredictionConfig": {"fields": [{"key": "llm.prediction.systemPrompt", "value": "Write poems."}, {"key": "llm.prediction.temperature", "value": 0.5}]}}`
	cv, err = ParseConversation([]byte(lmStudio))
	if err != nil {
		t.Fatal(err)
	}
	if cv.Title != "Haiku" || cv.Settings.SystemPrompt != "Write poems." || cv.Settings.Temperature != 0.5 ||
		len(cv.Messages) != 2 || cv.Messages[1].Content != "Burrow deep below" || cv.Created.Year() != 2024 {
		t.Errorf("LM Studio: %+v", cv)
	}
	if shown, total := cv.Versions(1); shown != 2 || total != 2 || cv.Messages[1].Alts[0][0].Content != "first try" {
		t.Errorf("LM Studio versions %d/%d: %+v", shown, total, cv.Messages[1].Alts)
	}
}

func TestHostileImportLeavesLibraryAlone(t *testing.T) {
	useTempXDG(t)
	c, id := chatted(t)
	c.Flush()
	before := asJSON(t, mustConv(t, c, id))
	files := func() []string {
		es, _ := os.ReadDir(ConversationsDir())
		var out []string
		for _, e := range es {
			data, _ := os.ReadFile(ConversationsDir() + "/" + e.Name())
			out = append(out, e.Name()+":"+string(data))
		}
		return out
	}
	onDisk := strings.Join(files(), "\n")

	good, _ := ExportJSON(mustConv(t, c, id))
	huge := append([]byte(`{"format": "burrow.conversation", "version": 1, "conversation": {"title": "`), bytes.Repeat([]byte("x"), 100<<20)...)
	huge = append(huge, `"}}`...)
	cases := map[string]struct {
		data []byte
		want string
	}{
		"deep nesting": {[]byte(strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)), "nests more than"},
		"100 MB":       {huge, "at most 32 MB"},
		"wrong types":  {[]byte(`{"format": "burrow.conversation", "version": 1, "conversation": {"title": 7, "messages": "hi"}}`), "cannot unmarshal"},
		"message type": {[]byte(`{"format": "burrow.conversation", "conversation": {"messages": [{"role": "user", "content": ["a"]}]}}`), "cannot unmarshal"},
		"bad role":     {[]byte(`{"format": "burrow.conversation", "conversation": {"messages": [{"role": "robot", "content": "x"}]}}`), "role \"robot\""},
		"stray tool":   {[]byte(`{"format": "burrow.conversation", "conversation": {"messages": [{"role": "tool", "content": "x"}]}}`), "names no call"},
		"newer":        {bytes.Replace(good, []byte(`"version": 1`), []byte(`"version": 9`), 1), "newer Burrow"},
		"other format": {[]byte(`{"format": "something.else", "messages": []}`), "something.else"},
		"not json":     {[]byte("hello, world"), "invalid character"},
		"binary":       {[]byte{0xff, 0xfe, 0, 1, 2}, "not UTF-8"},
		"empty list":   {[]byte(`[]`), "empty"},
		"nothing":      {[]byte(`{"title": "x"}`), "no messages"},
		"lm version":   {[]byte(`{"messages": [{"versions": [{"role": "user"}], "currentlySelected": 5}]}`), "version 5"},
		"bad kv":       {[]byte(`{"format": "burrow.conversation", "conversation": {"settings": {"kv_type": "q1"}}}`), "KV cache"},
		"bad sampler":  {[]byte(`{"format": "burrow.conversation", "conversation": {"settings": {"top_p": 5}}}`), "out of range"},
	}
	for name, tc := range cases {
		_, err := c.ImportConversation(tc.data)
		if !errors.Is(err, ErrNotConversation) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", name, err, tc.want)
		}
	}
	c.Flush()
	if n := len(c.Conversations()); n != 1 || asJSON(t, mustConv(t, c, id)) != before {
		t.Fatalf("library changed: %d conversations", n)
	}
	if strings.Join(files(), "\n") != onDisk {
		t.Fatal("files on disk changed")
	}
}

func mustConv(t *testing.T, c *Controller, id string) Conversation {
	t.Helper()
	cv, ok := c.Conversation(id)
	if !ok {
		t.Fatal("no conversation", id)
	}
	return cv
}
