package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"burrow/app/apptest"
	"burrow/inference/llama"
)

func TestModelDefaultsPersistAcrossRestartAndApplyOnLoad(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	c := startController(t, eng, nil)
	model, other := fakeGGUF(t), filepath.Join(t.TempDir(), "other-Q4_0.gguf")
	if err := os.WriteFile(other, []byte("GGUF"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SaveModelDefaults(DefaultChatSettings()); err == nil {
		t.Error("defaults were saved with no model loaded")
	}
	waitLoad(t, c, model)
	id, _ := c.NewConversation()
	c.SetActive(id)
	s := BuiltinPresets()[1].Settings // Precise
	s.ContextLength, s.KVType, s.Threads = 8192, "f16", 3
	d, err := c.SaveModelDefaults(s)
	if err != nil {
		t.Fatal(err)
	}
	if d.Preset != PresetPrecise || d.Fingerprint != "fake" || d.ContextLength != 8192 {
		t.Fatalf("saved %+v", d)
	}
	c.Close()

	// A new Controller on the same folders: the chat has changed settings
	// since, and loading the model brings its defaults back.
	eng2 := apptest.NewFakeEngine()
	c2 := startController(t, eng2, nil)
	if len(c2.Problems()) != 0 {
		t.Fatal(c2.Problems())
	}
	got, ok := c2.ModelDefaultsFor(model)
	if !ok || got.ContextLength != 8192 || got.KVType != "f16" || got.Threads != 3 || got.Preset != PresetPrecise {
		t.Fatalf("after restart: %+v, %v", got, ok)
	}
	c2.SetActive(id)
	cv, _ := c2.Conversation(id)
	mine := cv.Settings
	mine.Temperature, mine.ContextLength, mine.KVType, mine.Threads = 0.9, 1024, "", 0
	if err := c2.UpdateChatSettings(id, mine); err != nil {
		t.Fatal(err)
	}
	waitLoad(t, c2, other) // a model without defaults loads with the chat's settings
	waitLoad(t, c2, model)
	opts := eng2.LoadOptions()
	if len(opts) != 2 || opts[0].ContextLength != 1024 || opts[0].KV != llama.DefaultKV {
		t.Fatalf("the other model loaded with %+v", opts)
	}
	if o := opts[1]; o.ContextLength != 8192 || o.KV != llama.KVF16 || o.Threads != 3 {
		t.Fatalf("the model loaded with %+v, want its defaults", o)
	}
	if n := c2.Model().Info.ContextLength; n != 8192 {
		t.Errorf("loaded context %d", n)
	}
	cv, _ = c2.Conversation(id)
	if cv.Settings.Temperature != 0 || cv.Settings.ContextLength != 8192 || cv.Settings.KVType != "f16" {
		t.Errorf("the chat's settings after load %+v: want Precise with the model's engine settings", cv.Settings)
	}
	if c2.Settings().Defaults.ContextLength != 8192 {
		t.Error("new chats do not start from the loaded model's defaults")
	}

	// Forget: the next load uses the chat's settings again, and it lasts.
	if err := c2.ForgetModelDefaults(model); err != nil {
		t.Fatal(err)
	}
	if err := c2.ForgetModelDefaults(model); err == nil {
		t.Error("forgetting twice gave no error")
	}
	mine.ContextLength = 2048
	c2.UpdateChatSettings(id, mine)
	waitLoad(t, c2, model)
	if o := eng2.LoadOptions()[2]; o.ContextLength != 2048 {
		t.Errorf("after forget loaded with %+v", o)
	}
	c2.Close()
	c3 := startController(t, apptest.NewFakeEngine(), nil)
	if _, ok := c3.ModelDefaultsFor(model); ok {
		t.Error("forgotten defaults came back after a restart")
	}
}

func TestModelDefaultsOtherContentIsReported(t *testing.T) {
	useTempXDG(t)
	model := fakeGGUF(t)
	d := []ModelDefaults{{Path: model, Fingerprint: "sha256:before", ContextLength: 4096}}
	if err := SaveModelDefaultsFile(ModelDefaultsPath(), d); err != nil {
		t.Fatal(err)
	}
	c := startController(t, apptest.NewFakeEngine(), nil)
	errs := make(chan error, 4)
	c.Subscribe(func(ch Change) {
		if ch.Kind == ChangeError {
			errs <- ch.Err
		}
	})
	waitLoad(t, c, model)
	select {
	case err := <-errs:
		if !strings.Contains(err.Error(), "changed since its defaults were saved") {
			t.Fatalf("error %v", err)
		}
	default:
		t.Fatal("a file whose content changed was not reported")
	}
}

func TestModelDefaultsDamagedFileIsReportedNotFatal(t *testing.T) {
	useTempXDG(t)
	path := ModelDefaultsPath()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(`{"models": [{"path": 3`), 0o600); err != nil {
		t.Fatal(err)
	}
	// An old settings file (from before per-model defaults) loads as it was.
	old := `{"window_width": 900, "last_model": "/m/a.gguf", "defaults": {"temperature": 0.5, "context_length": 2048}}`
	if err := os.WriteFile(SettingsPath(), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	c := startController(t, apptest.NewFakeEngine(), nil)
	if ps := c.Problems(); len(ps) != 1 || !strings.Contains(ps[0].Error(), "model defaults") {
		t.Fatalf("problems %v", ps)
	}
	if s := c.Settings(); s.WindowWidth != 900 || s.Defaults.Temperature != 0.5 || s.Defaults.ContextLength != 2048 {
		t.Errorf("old settings read as %+v", s)
	}
	waitLoad(t, c, fakeGGUF(t)) // loads with the chat's settings
	if !c.Model().Loaded() {
		t.Fatal("no model after a damaged defaults file")
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), `{"models": [{"path": 3`) {
		t.Error("the damaged file was overwritten before any save")
	}
}
