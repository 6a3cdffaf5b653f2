package app

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/adrg/xdg"
)

// ModelDefaults are the settings a model file loads with: the engine's
// (context, KV cache, threads) and, optionally, a preset for the sampler
// and system prompt. They are remembered per file, by its path and the
// fingerprint of its content when they were saved.
type ModelDefaults struct {
	Path          string    `json:"path"`
	Fingerprint   string    `json:"fingerprint,omitempty"`
	ContextLength int       `json:"context_length"`
	KVType        string    `json:"kv_type,omitempty"`
	Threads       int       `json:"threads"`
	Preset        string    `json:"preset,omitempty"` // "": the chat's own sampler settings stay
	Saved         time.Time `json:"saved"`
}

// ModelDefaultsPath is where the per-model defaults live, beside the
// settings and presets.
func ModelDefaultsPath() string {
	return filepath.Join(xdg.ConfigHome, "burrow", "model-defaults.json")
}

// modelDefaultsFile is the saved form.
type modelDefaultsFile struct {
	Models []ModelDefaults `json:"models"`
}

// LoadModelDefaults reads the per-model defaults (a missing file: none). A
// damaged file gives none and the error, and stays on disk untouched until
// the next save.
func LoadModelDefaults(path string) ([]ModelDefaults, error) {
	var f modelDefaultsFile
	if err := readJSON(path, "model defaults", &f); err != nil {
		return nil, err
	}
	var out []ModelDefaults
	for _, d := range f.Models {
		if d.Path != "" && d.ContextLength >= 0 && d.Threads >= 0 {
			out = append(out, d)
		}
	}
	return out, nil
}

func encodeModelDefaults(ds []ModelDefaults) ([]byte, error) {
	return encodeJSON("model defaults", modelDefaultsFile{Models: ds})
}

// SaveModelDefaultsFile writes the per-model defaults atomically.
func SaveModelDefaultsFile(path string, ds []ModelDefaults) error {
	return writeJSON(path, "model defaults", modelDefaultsFile{Models: ds})
}

// Apply is s with these defaults: the preset's settings first (when it
// still exists), then the engine settings, which the model's defaults own.
func (d ModelDefaults) Apply(s ChatSettings, presets []Preset) ChatSettings {
	for _, p := range presets {
		if d.Preset != "" && p.Name == d.Preset {
			s = s.WithPreset(p)
			break
		}
	}
	s.ContextLength, s.KVType, s.Threads = d.ContextLength, d.KVType, d.Threads
	return s
}

// ---- the Controller's model defaults ----

// ModelDefaultsFor returns the defaults remembered for the model file at
// path.
func (c *Controller) ModelDefaultsFor(path string) (ModelDefaults, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.modelDefaultsLocked(path)
}

func (c *Controller) modelDefaultsLocked(path string) (ModelDefaults, bool) {
	for _, d := range c.modelDefaults {
		if d.Path == path {
			return d, true
		}
	}
	return ModelDefaults{}, false
}

// SaveModelDefaults remembers s's engine settings, and the preset s is (if
// any), as the defaults of the loaded local model.
func (c *Controller) SaveModelDefaults(s ChatSettings) (ModelDefaults, error) {
	presets := c.Presets()
	c.mu.Lock()
	m := c.model
	if m.Remote != "" || !m.Loaded() {
		c.mu.Unlock()
		return ModelDefaults{}, errors.New("load a model file first: defaults are saved for the model loaded")
	}
	d := ModelDefaults{Path: m.Path, Fingerprint: m.Info.Fingerprint, ContextLength: s.ContextLength,
		KVType: s.KVType, Threads: s.Threads, Preset: matchSamplerPreset(presets, s), Saved: time.Now().UTC()}
	c.putModelDefaultsLocked(d)
	all := append([]ModelDefaults(nil), c.modelDefaults...)
	c.mu.Unlock()
	return d, c.saveModelDefaults(all)
}

// matchSamplerPreset is the preset s is apart from the engine settings,
// which the model's defaults hold themselves ("" when none).
func matchSamplerPreset(presets []Preset, s ChatSettings) string {
	for _, p := range presets {
		if s.withEngineOf(p.Settings) == presetPart(p.Settings) {
			return p.Name
		}
	}
	return ""
}

// withEngineOf is presetPart(s) with o's context, KV cache and threads.
func (s ChatSettings) withEngineOf(o ChatSettings) ChatSettings {
	s = presetPart(s)
	s.ContextLength, s.KVType, s.Threads = o.ContextLength, o.KVType, o.Threads
	return s
}

func (c *Controller) putModelDefaultsLocked(d ModelDefaults) {
	for i := range c.modelDefaults {
		if c.modelDefaults[i].Path == d.Path {
			c.modelDefaults[i] = d
			return
		}
	}
	c.modelDefaults = append(c.modelDefaults, d)
	sort.Slice(c.modelDefaults, func(i, j int) bool { return c.modelDefaults[i].Path < c.modelDefaults[j].Path })
}

// ForgetModelDefaults drops the defaults of the model file at path; it
// then loads with the chat's settings again.
func (c *Controller) ForgetModelDefaults(path string) error {
	c.mu.Lock()
	idx := -1
	for i, d := range c.modelDefaults {
		if d.Path == path {
			idx = i
		}
	}
	if idx < 0 {
		c.mu.Unlock()
		return fmt.Errorf("no defaults are remembered for %s", filepath.Base(path))
	}
	c.modelDefaults = append(c.modelDefaults[:idx:idx], c.modelDefaults[idx+1:]...)
	all := append([]ModelDefaults(nil), c.modelDefaults...)
	c.mu.Unlock()
	return c.saveModelDefaults(all)
}

func (c *Controller) saveModelDefaults(all []ModelDefaults) error {
	data, err := encodeModelDefaults(all)
	if err != nil {
		return err
	}
	c.files.put(c.modelDefaultsPath, data)
	return nil
}

// applyModelDefaultsLocked gives the active conversation (and the settings
// new chats start from) the defaults remembered for path, so the load uses
// them and the settings panel shows what was loaded. It returns the
// settings to load with, whether defaults were applied (the settings are
// to be saved), and the conversation to save (nil: none changed). c.mu must
// be held; presets are the Controller's (read before locking).
func (c *Controller) applyModelDefaultsLocked(path string, presets []Preset) (ChatSettings, bool, *Conversation) {
	s := c.activeSettingsLocked()
	d, ok := c.modelDefaultsLocked(path)
	if !ok {
		return s, false, nil
	}
	s = d.Apply(s, presets)
	c.settings.Defaults = s
	if cv := c.findLocked(c.active); cv != nil && cv.Settings != s {
		cv.Settings = s
		cv.Updated = time.Now()
		snap := cv.clone()
		return s, true, &snap
	}
	return s, true, nil
}

// checkModelDefaults tells the user when the file loaded is not the one
// its defaults were saved for (same path, other content).
func (c *Controller) checkModelDefaults(path, fingerprint string) {
	d, ok := c.ModelDefaultsFor(path)
	if ok && d.Fingerprint != "" && fingerprint != "" && d.Fingerprint != fingerprint {
		c.emit(Change{Kind: ChangeError, Err: fmt.Errorf(
			"%s changed since its defaults were saved (another file at the same path); they were used for this load: save them again or forget them in the settings panel",
			filepath.Base(path))})
	}
}
