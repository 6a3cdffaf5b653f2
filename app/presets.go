package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/adrg/xdg"
)

// Preset is a named set of chat settings (system prompt, sampler, context,
// threads, KV cache) a conversation can take in one step. The built-in ones
// are not saved and cannot be changed or deleted.
type Preset struct {
	Name     string       `json:"name"`
	Settings ChatSettings `json:"settings"`
	BuiltIn  bool         `json:"-"`
}

// Names of the built-in presets.
const (
	PresetDefault  = "Default"
	PresetPrecise  = "Precise"
	PresetCreative = "Creative"
)

// BuiltinPresets are always offered, first, in this order.
func BuiltinPresets() []Preset {
	def := DefaultChatSettings()
	precise := def
	precise.Temperature = 0 // greedy: the same prompt gives the same answer
	creative := def
	creative.Temperature, creative.TopK, creative.TopP, creative.MinP, creative.RepeatPenalty = 1.0, 0, 0.95, 0.05, 1.05
	return []Preset{
		{Name: PresetDefault, Settings: def, BuiltIn: true},
		{Name: PresetPrecise, Settings: precise, BuiltIn: true},
		{Name: PresetCreative, Settings: creative, BuiltIn: true},
	}
}

// presetPart is what of a conversation's settings a preset sets: all but
// the token-choices view, which is how the user looks at replies, not how
// they are made.
func presetPart(s ChatSettings) ChatSettings {
	s.TopLogprobs = 0
	return s
}

// WithPreset is s with the preset's settings applied.
func (s ChatSettings) WithPreset(p Preset) ChatSettings {
	out := presetPart(p.Settings)
	out.TopLogprobs = s.TopLogprobs
	return out
}

// MatchPreset returns the name of the first preset s equals ("" when the
// settings were changed from every preset).
func MatchPreset(presets []Preset, s ChatSettings) string {
	for _, p := range presets {
		if presetPart(p.Settings) == presetPart(s) {
			return p.Name
		}
	}
	return ""
}

// PresetsPath is where the user's presets live.
func PresetsPath() string { return filepath.Join(xdg.ConfigHome, "burrow", "presets.json") }

// presetsFile is the saved form: only the user's presets.
type presetsFile struct {
	Presets []Preset `json:"presets"`
}

// LoadPresets reads the user's presets (a missing file: none). A damaged
// file gives none and the error, and is left on disk untouched until the
// next save.
func LoadPresets(path string) ([]Preset, error) {
	var f presetsFile
	if err := readJSON(path, "presets", &f); err != nil {
		return nil, err
	}
	var out []Preset
	for _, p := range f.Presets {
		if validPresetName(p.Name) == nil && !isBuiltinName(p.Name) {
			out = append(out, p)
		}
	}
	return out, nil
}

// encodePresets is the file content for the user's presets.
func encodePresets(user []Preset) ([]byte, error) {
	return encodeJSON("presets", presetsFile{Presets: user})
}

// SavePresets writes the user's presets atomically.
func SavePresets(path string, user []Preset) error {
	return writeJSON(path, "presets", presetsFile{Presets: user})
}

func isBuiltinName(name string) bool {
	for _, p := range BuiltinPresets() {
		if strings.EqualFold(p.Name, strings.TrimSpace(name)) {
			return true
		}
	}
	return false
}

func validPresetName(name string) error {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return errors.New("a preset needs a name")
	case len([]rune(name)) > 60:
		return errors.New("a preset name has at most 60 characters")
	case strings.ContainsAny(name, "\n\r\t"):
		return errors.New("a preset name is one line")
	}
	return nil
}

// ---- the Controller's presets ----

// Presets returns the built-in presets, then the user's by name.
func (c *Controller) Presets() []Preset {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append(BuiltinPresets(), c.presets...)
}

// SavePreset stores s under name, replacing the user's preset of that name
// (that is how a preset is edited). Built-in names are refused.
func (c *Controller) SavePreset(name string, s ChatSettings) error {
	name = strings.TrimSpace(name)
	if err := validPresetName(name); err != nil {
		return err
	}
	if isBuiltinName(name) {
		return fmt.Errorf("%q is a built-in preset: save under another name", name)
	}
	p := Preset{Name: name, Settings: presetPart(s)}
	c.mu.Lock()
	replaced := false
	for i := range c.presets {
		if strings.EqualFold(c.presets[i].Name, name) {
			c.presets[i], replaced = p, true
		}
	}
	if !replaced {
		c.presets = append(c.presets, p)
		sort.SliceStable(c.presets, func(i, j int) bool {
			return strings.ToLower(c.presets[i].Name) < strings.ToLower(c.presets[j].Name)
		})
	}
	user := append([]Preset(nil), c.presets...)
	c.mu.Unlock()
	return c.savePresets(user)
}

// DeletePreset removes one of the user's presets.
func (c *Controller) DeletePreset(name string) error {
	if isBuiltinName(name) {
		return fmt.Errorf("%q is built in and cannot be deleted", name)
	}
	c.mu.Lock()
	idx := -1
	for i, p := range c.presets {
		if p.Name == name {
			idx = i
		}
	}
	if idx < 0 {
		c.mu.Unlock()
		return fmt.Errorf("no preset named %q", name)
	}
	c.presets = append(c.presets[:idx:idx], c.presets[idx+1:]...)
	user := append([]Preset(nil), c.presets...)
	c.mu.Unlock()
	return c.savePresets(user)
}

// ApplyPreset gives conversation id the preset's settings (its token
// choices view stays as it was). Context, threads and KV cache take effect
// at the next load, as when edited by hand.
func (c *Controller) ApplyPreset(id, name string) error {
	var p *Preset
	for _, x := range c.Presets() {
		if x.Name == name {
			p = &x
			break
		}
	}
	if p == nil {
		return fmt.Errorf("no preset named %q", name)
	}
	cv, ok := c.Conversation(id)
	if !ok {
		return ErrUnknownConv
	}
	return c.UpdateChatSettings(id, cv.Settings.WithPreset(*p))
}

func (c *Controller) savePresets(user []Preset) error {
	data, err := encodePresets(user)
	if err != nil {
		return err
	}
	c.files.put(c.presetsPath, data)
	return nil
}

// ---- LM Studio's *.preset.json ----

// maxPresetFile bounds an imported preset: real ones are a few kilobytes.
const maxPresetFile = 1 << 20

// ImportLMStudioPreset reads an LM Studio preset: today's format
// ({"name", "operation": {"fields": [{"key", "value"}]}, "load": {...}})
// or the older one ({"name", "inference_params", "load_params"}). Fields
// Burrow has no setting for are listed in skipped; a file that sets none
// of Burrow's settings is an error. Unset settings are Default's.
// fallbackName names a preset whose file has no name.
func ImportLMStudioPreset(data []byte, fallbackName string) (p Preset, skipped []string, err error) {
	if len(data) > maxPresetFile {
		return Preset{}, nil, fmt.Errorf("not an LM Studio preset: %d bytes (a preset is a few kilobytes)", len(data))
	}
	var raw struct {
		Name      string                      `json:"name"`
		Operation *struct{ Fields []kvField } `json:"operation"`
		Load      *struct{ Fields []kvField } `json:"load"`
		Inference map[string]json.RawMessage  `json:"inference_params"`
		LoadOld   map[string]json.RawMessage  `json:"load_params"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return Preset{}, nil, fmt.Errorf("not an LM Studio preset: %w", err)
	}
	s := DefaultChatSettings()
	set := 0
	apply := func(key string, ok bool) {
		if ok {
			set++
		} else {
			skipped = append(skipped, key)
		}
	}
	if raw.Operation != nil || raw.Load != nil {
		var fields []kvField
		if raw.Operation != nil {
			fields = append(fields, raw.Operation.Fields...)
		}
		if raw.Load != nil {
			fields = append(fields, raw.Load.Fields...)
		}
		for _, f := range fields {
			apply(f.Key, s.setLMStudio(f.Key, f.Value))
		}
	} else {
		keys := make([]string, 0, len(raw.Inference)+len(raw.LoadOld))
		vals := map[string]json.RawMessage{}
		for k, v := range raw.Inference {
			keys, vals[k] = append(keys, k), v
		}
		for k, v := range raw.LoadOld {
			keys, vals[k] = append(keys, k), v
		}
		sort.Strings(keys)
		for _, k := range keys {
			apply(k, s.setLegacyLMStudio(k, vals[k]))
		}
	}
	if set == 0 {
		return Preset{}, skipped, errors.New("not an LM Studio preset Burrow can use: it sets no system prompt, sampler or context setting")
	}
	name := strings.TrimSpace(raw.Name)
	if name == "" {
		name = strings.TrimSpace(fallbackName)
	}
	if validPresetName(name) != nil {
		name = "Imported preset"
	}
	if isBuiltinName(name) {
		name += " (LM Studio)"
	}
	return Preset{Name: name, Settings: s}, skipped, nil
}

// kvField is one entry of LM Studio's KV config.
type kvField struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// lmNumber reads a number, or LM Studio's {"checked", "value"} toggle
// (unchecked: the setting is off, reported as off=true).
func lmNumber(v json.RawMessage) (n float64, off, ok bool) {
	if err := json.Unmarshal(v, &n); err == nil {
		return n, false, !math.IsNaN(n) && !math.IsInf(n, 0)
	}
	var t struct {
		Checked *bool    `json:"checked"`
		Value   *float64 `json:"value"`
	}
	if err := json.Unmarshal(v, &t); err != nil || t.Value == nil {
		return 0, false, false
	}
	if t.Checked != nil && !*t.Checked {
		return *t.Value, true, true
	}
	return *t.Value, false, true
}

// in reports whether n is a usable value of a setting.
func in(n, lo, hi float64) bool { return n >= lo && n <= hi }

// setLMStudio applies one field of today's format; false: not Burrow's.
func (s *ChatSettings) setLMStudio(key string, v json.RawMessage) bool {
	if key == "llm.prediction.systemPrompt" {
		var text string
		if json.Unmarshal(v, &text) != nil {
			return false
		}
		s.SystemPrompt = text
		return true
	}
	n, off, ok := lmNumber(v)
	if !ok {
		return false
	}
	switch key {
	case "llm.prediction.temperature":
		if !in(n, 0, 2) {
			return false
		}
		s.Temperature = float32(n)
	case "llm.prediction.topKSampling":
		if !in(n, -1, 1e6) {
			return false
		}
		s.TopK = max(int(n), 0) // LM Studio's -1 and Burrow's 0 are both "off"
	case "llm.prediction.topPSampling":
		if off {
			n = 1
		}
		if !in(n, 0, 1) {
			return false
		}
		s.TopP = float32(n)
	case "llm.prediction.minPSampling":
		if off {
			n = 0
		}
		if !in(n, 0, 1) {
			return false
		}
		s.MinP = float32(n)
	case "llm.prediction.repeatPenalty":
		if off {
			n = 1
		}
		if !in(n, 1, 2) {
			return false
		}
		s.RepeatPenalty = float32(n)
	case "llm.prediction.maxPredictedTokens":
		if off || n < 0 {
			n = 0
		}
		if !in(n, 0, 1<<24) {
			return false
		}
		s.MaxTokens = int(n)
	case "llm.prediction.llama.cpuThreads":
		if !in(n, 0, 1024) {
			return false
		}
		s.Threads = int(n)
	case "llm.load.contextLength":
		if !in(n, 0, 1<<24) {
			return false
		}
		s.ContextLength = int(n)
	case "llm.load.seed":
		if off || n < 0 {
			n = 0
		}
		if !in(n, 0, 1<<53) {
			return false
		}
		s.Seed = uint64(n)
	default:
		return false
	}
	return true
}

// lmLegacyKeys gives today's key for each field of the older format.
var lmLegacyKeys = map[string]string{
	"pre_prompt":     "llm.prediction.systemPrompt",
	"temp":           "llm.prediction.temperature",
	"temperature":    "llm.prediction.temperature",
	"top_k":          "llm.prediction.topKSampling",
	"top_p":          "llm.prediction.topPSampling",
	"min_p":          "llm.prediction.minPSampling",
	"repeat_penalty": "llm.prediction.repeatPenalty",
	"n_predict":      "llm.prediction.maxPredictedTokens",
	"n_threads":      "llm.prediction.llama.cpuThreads",
	"n_ctx":          "llm.load.contextLength",
	"seed":           "llm.load.seed",
}

// setLegacyLMStudio applies one field of the older format.
func (s *ChatSettings) setLegacyLMStudio(key string, v json.RawMessage) bool {
	k, ok := lmLegacyKeys[key]
	return ok && s.setLMStudio(k, v)
}
