package app

import (
	"os"
	"strings"
	"testing"

	"burrow/app/apptest"
)

func TestBuiltinPresets(t *testing.T) {
	ps := BuiltinPresets()
	if len(ps) != 3 || ps[0].Name != PresetDefault || ps[1].Name != PresetPrecise || ps[2].Name != PresetCreative {
		t.Fatalf("built-ins %+v", ps)
	}
	if ps[0].Settings != DefaultChatSettings() {
		t.Error("Default is not the default settings")
	}
	if ps[1].Settings.Temperature != 0 {
		t.Error("Precise is not greedy")
	}
	if ps[2].Settings.Temperature <= ps[0].Settings.Temperature {
		t.Error("Creative is not hotter than Default")
	}
	if got := MatchPreset(ps, DefaultChatSettings()); got != PresetDefault {
		t.Errorf("default settings match %q", got)
	}
}

func TestPresetSaveApplyDeleteAcrossRestart(t *testing.T) {
	useTempXDG(t)
	c := startController(t, apptest.NewFakeEngine(), nil)
	id, _ := c.NewConversation()
	mine := DefaultChatSettings()
	mine.SystemPrompt = "You are a careful Go reviewer."
	mine.Temperature, mine.ContextLength, mine.KVType = 0.3, 2048, "f16"
	mine.TopLogprobs = 5 // a view setting: not part of the preset
	if err := c.SavePreset("Coding", mine); err != nil {
		t.Fatal(err)
	}
	if err := c.SavePreset("precise", mine); err == nil {
		t.Error("a built-in name was accepted")
	}
	if err := c.SavePreset("  ", mine); err == nil {
		t.Error("an empty name was accepted")
	}
	if err := c.ApplyPreset(id, "Coding"); err != nil {
		t.Fatal(err)
	}
	cv, _ := c.Conversation(id)
	want := mine
	want.TopLogprobs = 0
	if cv.Settings != want {
		t.Fatalf("applied %+v, want %+v", cv.Settings, want)
	}
	if MatchPreset(c.Presets(), cv.Settings) != "Coding" {
		t.Error("applied settings do not match their preset")
	}
	// Editing a preset is saving it again under its name.
	mine.Temperature = 0.4
	if err := c.SavePreset("Coding", mine); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Presets()); n != 4 {
		t.Fatalf("%d presets after overwrite", n)
	}
	c.Flush()

	c2 := startController(t, apptest.NewFakeEngine(), nil)
	ps := c2.Presets()
	if len(ps) != 4 || ps[3].Name != "Coding" || ps[3].Settings.Temperature != 0.4 || ps[3].Settings.KVType != "f16" {
		t.Fatalf("after restart %+v", ps)
	}
	if err := c2.DeletePreset(PresetDefault); err == nil {
		t.Error("a built-in was deleted")
	}
	if err := c2.DeletePreset("Coding"); err != nil {
		t.Fatal(err)
	}
	c2.Flush()
	c3 := startController(t, apptest.NewFakeEngine(), nil)
	if n := len(c3.Presets()); n != 3 {
		t.Errorf("%d presets after delete and restart", n)
	}
}

func TestDamagedPresetsFileIsAProblem(t *testing.T) {
	useTempXDG(t)
	if err := os.MkdirAll(strings.TrimSuffix(PresetsPath(), "presets.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(PresetsPath(), []byte(`{"presets": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := startController(t, apptest.NewFakeEngine(), nil)
	if len(c.Problems()) != 1 || !strings.Contains(c.Problems()[0].Error(), "presets") {
		t.Errorf("problems %v", c.Problems())
	}
	if len(c.Presets()) != 3 {
		t.Error("built-ins missing")
	}
}

func TestImportLMStudioPreset(t *testing.T) {
	current := `{
	  "identifier": "@local:coding",
	  "name": "Coding helper",
	  "changed": true,
	  "operation": {"fields": [
	    {"key": "llm.prediction.systemPrompt", "value": "Answer with code."},
	    {"key": "llm.prediction.temperature", "value": 0.2},
	    {"key": "llm.prediction.topKSampling", "value": 20},
	    {"key": "llm.prediction.topPSampling", "value": {"checked": true, "value": 0.9}},
	    {"key": "llm.prediction.minPSampling", "value": {"checked": false, "value": 0.05}},
	    {"key": "llm.prediction.repeatPenalty", "value": {"checked": true, "value": 1.1}},
	    {"key": "llm.prediction.maxPredictedTokens", "value": {"checked": true, "value": 512}},
	    {"key": "llm.prediction.stopStrings", "value": ["##"]}
	  ]},
	  "load": {"fields": [{"key": "llm.load.contextLength", "value": 8192}]}
	}`
	p, skipped, err := ImportLMStudioPreset([]byte(current), "coding.preset.json")
	if err != nil {
		t.Fatal(err)
	}
	s := p.Settings
	if p.Name != "Coding helper" || s.SystemPrompt != "Answer with code." || s.Temperature != 0.2 || s.TopK != 20 ||
		s.TopP != 0.9 || s.MinP != 0 || s.RepeatPenalty != 1.1 || s.MaxTokens != 512 || s.ContextLength != 8192 {
		t.Errorf("imported %+v", p)
	}
	if len(skipped) != 1 || skipped[0] != "llm.prediction.stopStrings" {
		t.Errorf("skipped %v", skipped)
	}

	legacy := `{"name": "Default", "load_params": {"n_ctx": 4000, "seed": -1},
	  "inference_params": {"temp": 0.9, "top_k": 40, "top_p": 0.6, "repeat_penalty": 1.1, "n_predict": -1,
	    "pre_prompt": "Translate this.", "input_prefix": "\nEnglish:"}}`
	p, skipped, err = ImportLMStudioPreset([]byte(legacy), "")
	if err != nil {
		t.Fatal(err)
	}
	s = p.Settings
	if p.Name != "Default (LM Studio)" || s.SystemPrompt != "Translate this." || s.Temperature != 0.9 || s.TopP != 0.6 ||
		s.ContextLength != 4000 || s.MaxTokens != 0 || s.Seed != 0 {
		t.Errorf("legacy %+v", p)
	}
	if strings.Join(skipped, ",") != "input_prefix" {
		t.Errorf("legacy skipped %v", skipped)
	}

	for name, bad := range map[string]string{
		"not json":    "hello",
		"nothing":     `{"name": "x", "operation": {"fields": []}}`,
		"wrong types": `{"name": 3}`,
		"bad values":  `{"operation": {"fields": [{"key": "llm.prediction.temperature", "value": "hot"}, {"key": "llm.prediction.topPSampling", "value": 7}]}}`,
		"too big":     `{"name": "` + strings.Repeat("x", maxPresetFile) + `"}`,
	} {
		if _, _, err := ImportLMStudioPreset([]byte(bad), "f"); err == nil {
			t.Errorf("%s: imported", name)
		}
	}
}
