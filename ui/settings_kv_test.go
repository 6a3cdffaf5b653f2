package ui

import (
	"testing"

	"burrow/app"
	"burrow/app/apptest"
	"burrow/inference/llama"
)

// The settings panel offers the Q8_0 KV cache: chosen, it is what the next
// load makes, it shows again on refill, and a model's defaults name it.
func TestSettingsOfferQ8_0KVCache(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	p := h.w.settings
	if got := p.kvType.Options; len(got) != 3 || got[2] != kvQ8_0 {
		t.Fatalf("KV cache choices %v", got)
	}
	p.kvType.SetSelected(kvQ8_0)
	s, err := p.read()
	if err != nil {
		t.Fatal(err)
	}
	if s.KVType != "q8_0" {
		t.Fatalf("KVType %q, want q8_0", s.KVType)
	}
	if kv := s.LoadOptions().KV; kv != llama.KVQ8_0 {
		t.Errorf("the next load's KV cache: %v, want q8_0", kv)
	}
	p.kvType.SetSelected(kvF32)
	p.fill(s)
	if p.kvType.Selected != kvQ8_0 {
		t.Errorf("refilled choice %q", p.kvType.Selected)
	}
	if got := defaultsLabel(app.ModelDefaults{KVType: "Q8_0"}, nil); got != "model's ctx · Q8_0 KV" {
		t.Errorf("defaults label %q", got)
	}
}
