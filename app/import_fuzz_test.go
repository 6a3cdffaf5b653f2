package app

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzImports: whatever a file holds, the conversation and preset imports
// return a clear error or something Burrow can use, and never panic.
func FuzzImports(f *testing.F) {
	cv := Conversation{ID: "20260101-000000-00000000", Title: "t", Created: time.Unix(1, 0), Updated: time.Unix(2, 0),
		Settings: DefaultChatSettings(), Messages: []Message{{Role: "user", Content: "hi"}, {Role: "assistant", Content: "yo",
			Alts: [][]Message{{{Role: "assistant", Content: "old"}}}, AltIndex: 1}}}
	burrow, _ := ExportJSON(cv)
	for _, seed := range []string{
		string(burrow),
		`[{"title": "x", "chat": {"messages": [{"role": "user", "content": "a"}], "history": {"currentId": "a", "messages": {"a": {"id": "a", "parentId": "a"}}}}}]`,
		`{"name": "n", "messages": [{"versions": [{"role": "assistant", "steps": [{"type": "contentBlock", "content": [{"type": "text", "text": "x"}]}]}], "currentlySelected": 0}]}`,
		`{"operation": {"fields": [{"key": "llm.prediction.topPSampling", "value": {"checked": false, "value": 0.5}}]}}`,
		`{"inference_params": {"temp": 1e308, "n_ctx": -5}}`,
		`{"format": "burrow.conversation", "conversation": {"messages": [{"role": "user", "content": "a", "alt_index": -3,
		  "alts": [[], [{"role": "user", "alt_index": 9, "alts": [[{"role": "user"}]]}]]}]}}`,
		"[[[[[[", `{"format": 1}`, "",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if cv, err := ParseConversation(data); err != nil {
			if !errors.Is(err, ErrNotConversation) {
				t.Fatalf("error %v does not say the file was refused", err)
			}
		} else {
			for i, m := range cv.Messages {
				if m.Role != "user" && m.Role != "assistant" {
					t.Fatalf("message %d kept the role %q", i, m.Role)
				}
				cv.Versions(i)
			}
			if _, err := json.Marshal(cv); err != nil {
				t.Fatalf("an accepted import does not save: %v", err)
			}
			// Every version of every turn can be shown.
			for i := range cv.Messages {
				_, total := cv.Versions(i)
				for to := range min(total, 4) {
					if err := cv.switchVersion(i, to); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		if p, _, err := ImportLMStudioPreset(data, "f"); err == nil {
			s := p.Settings
			if s.Temperature < 0 || s.Temperature > 2 || s.TopP < 0 || s.TopP > 1 || s.TopK < 0 || s.ContextLength < 0 || validPresetName(p.Name) != nil {
				t.Fatalf("imported unusable settings %+v", p)
			}
		}
	})
}
