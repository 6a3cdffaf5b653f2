package ui

import (
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
)

// settingsPanel edits the current conversation's settings; every change is
// saved with the conversation.
type settingsPanel struct {
	win     *Window
	loading bool // set while fields are filled from a conversation

	system                           *widget.Entry
	temp, topP, minP, repeat         *floatField
	topK, maxTokens, ctxLen, threads *widget.Entry
	seed                             *widget.Entry
	kvType                           *widget.Select
	choices                          *widget.Check
	think                            *widget.Check // the model's think switch (Qwen3's enable_thinking)
	problem                          *widget.Label // why the fields are not saved
	presets                          *presetBar
	defaults                         *modelDefaultsRow // modeldefaults.go
	scroll                           *container.Scroll
	object                           fyne.CanvasObject
}

// floatField is a slider with its value shown.
type floatField struct {
	slider *widget.Slider
	label  *widget.Label
	format string
}

func newFloatField(min, max, step float64, format string, changed func()) *floatField {
	f := &floatField{slider: widget.NewSlider(min, max), label: widget.NewLabel(""), format: format}
	f.slider.Step = step
	f.slider.OnChanged = func(v float64) {
		f.label.SetText(fmt.Sprintf(format, v))
		changed()
	}
	return f
}

func (f *floatField) set(v float32) {
	f.slider.SetValue(float64(v))
	f.label.SetText(fmt.Sprintf(f.format, v))
}

func (f *floatField) value() float32 {
	return float32(f.slider.Value)
}

func (f *floatField) object(name string) fyne.CanvasObject {
	return container.NewBorder(nil, nil, nil, f.label, f.slider)
}

func newSettingsPanel(w *Window) *settingsPanel {
	p := &settingsPanel{win: w}
	changed := p.save
	p.system = widget.NewMultiLineEntry()
	p.system.Wrapping = fyne.TextWrapWord
	p.system.SetMinRowsVisible(4)
	p.system.SetPlaceHolder("Optional: instructions for the model, e.g. \"Answer briefly.\"")
	p.system.OnChanged = func(string) { changed() }
	p.temp = newFloatField(0, 2, 0.05, "%.2f", changed)
	p.topP = newFloatField(0, 1, 0.01, "%.2f", changed)
	p.minP = newFloatField(0, 1, 0.01, "%.2f", changed)
	p.repeat = newFloatField(1, 2, 0.01, "%.2f", changed)
	intEntry := func(place string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(place)
		e.OnChanged = func(string) { changed() }
		return e
	}
	p.topK = intEntry("0 = off")
	p.maxTokens = intEntry("0 = until done")
	p.seed = intEntry("0 = random")
	p.ctxLen = intEntry("model's, ≤ 4096")
	p.threads = intEntry("all cores")
	p.kvType = widget.NewSelect([]string{kvF32, kvF16, kvQ8_0}, func(string) { changed() })

	p.choices = widget.NewCheck("Keep token choices (top 5 per token)", func(bool) { changed() })
	p.think = widget.NewCheck("Think before answering", func(bool) { changed() })
	p.think.SetChecked(true)
	p.think.Disable() // until a model whose template has the switch is loaded
	p.think.Hide()    // a disabled tick would look like a setting that does nothing
	heading := widget.NewLabelWithStyle("Chat settings", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	note := widget.NewLabel("Context length, threads and the KV cache apply when a model is loaded (F16 is the default; F32 takes twice its memory and is the closest to exact, Q8_0 about half).")
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.LowImportance
	reload := widget.NewButtonWithIcon("Reload model", theme.ViewRefreshIcon(), func() {
		if m := w.c.Model(); m.Path != "" && m.Remote == "" {
			w.loadModel(m.Path)
		}
	})
	form := widget.NewForm(
		widget.NewFormItem("Temperature", p.temp.object("")),
		widget.NewFormItem("Top-k", p.topK),
		widget.NewFormItem("Top-p", p.topP.object("")),
		widget.NewFormItem("Min-p", p.minP.object("")),
		widget.NewFormItem("Repeat penalty", p.repeat.object("")),
		widget.NewFormItem("Max tokens", p.maxTokens),
		widget.NewFormItem("Seed", p.seed),
	)
	p.problem = widget.NewLabel("")
	p.problem.Importance = widget.DangerImportance
	p.problem.Wrapping = fyne.TextWrapWord
	p.problem.Hide()
	formBox := container.NewVBox(form, p.problem, p.choices, p.think)
	engine := widget.NewForm(
		widget.NewFormItem("Context", p.ctxLen),
		widget.NewFormItem("Threads", p.threads),
		widget.NewFormItem("KV cache", p.kvType),
	)
	p.presets = newPresetBar(p)
	p.defaults = newModelDefaultsRow(p)
	box := container.NewVBox(heading,
		widget.NewLabelWithStyle("Preset", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), p.presets.object,
		widget.NewLabelWithStyle("System prompt", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), p.system,
		widget.NewLabelWithStyle("Sampling", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), formBox,
		widget.NewLabelWithStyle("Engine", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), engine, note, reload,
		widget.NewLabelWithStyle("This model's defaults", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), p.defaults.object,
		widget.NewSeparator(), w.server.form,
		widget.NewSeparator(), w.tools.object)
	p.scroll = container.NewVScroll(container.NewPadded(box))
	p.object = container.New(fixedWidth(300), container.New(minHeight(100), p.scroll))
	return p
}

// fill shows a conversation's settings (or the defaults).
func (p *settingsPanel) fill(s app.ChatSettings) {
	p.loading = true
	defer func() {
		p.loading = false
		if p.presets != nil {
			p.presets.refresh()
		}
	}()
	p.system.SetText(s.SystemPrompt)
	p.temp.set(s.Temperature)
	p.topP.set(s.TopP)
	p.minP.set(s.MinP)
	p.repeat.set(s.RepeatPenalty)
	p.topK.SetText(strconv.Itoa(s.TopK))
	p.maxTokens.SetText(intText(s.MaxTokens))
	p.seed.SetText(strconv.FormatUint(s.Seed, 10))
	if s.Seed == 0 {
		p.seed.SetText("")
	}
	p.choices.SetChecked(s.TopLogprobs > 0)
	p.think.SetChecked(!s.NoThinking)
	p.ctxLen.SetText(intText(s.ContextLength))
	p.threads.SetText(intText(s.Threads))
	p.kvType.SetSelected(kvChoice(s.KVType))
}

// modelChanged offers the think switch when the model's template has one.
func (p *settingsPanel) modelChanged(m app.ModelState) {
	if m.Info != nil && m.Info.ThinkSwitch {
		p.think.Enable()
		p.think.Show()
	} else {
		p.think.Disable()
		p.think.Hide()
	}
	p.defaults.refresh(m)
}

// The KV cache choices the panel offers (ChatSettings.KVType).
const (
	kvF32  = "F32"
	kvF16  = "F16"
	kvQ8_0 = "Q8_0"
)

// kvChoice is the panel's name for a ChatSettings.KVType ("" and unknown
// types show as F16, the default).
func kvChoice(t string) string {
	switch {
	case strings.EqualFold(t, "f32"):
		return kvF32
	case strings.EqualFold(t, "q8_0"):
		return kvQ8_0
	}
	return kvF16
}

func intText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// read collects the fields; bad numbers are reported, not saved.
func (p *settingsPanel) read() (app.ChatSettings, error) {
	var s app.ChatSettings
	s.SystemPrompt = p.system.Text
	s.Temperature, s.TopP, s.MinP, s.RepeatPenalty = p.temp.value(), p.topP.value(), p.minP.value(), p.repeat.value()
	var err error
	num := func(name, text string) int {
		text = strings.TrimSpace(text)
		if text == "" || err != nil {
			return 0
		}
		n, e := strconv.Atoi(text)
		if e != nil || n < 0 {
			err = fmt.Errorf("%s must be a whole number ≥ 0", name)
		}
		return n
	}
	s.TopK = num("top-k", p.topK.Text)
	s.MaxTokens = num("max tokens", p.maxTokens.Text)
	s.ContextLength = num("context", p.ctxLen.Text)
	s.Threads = num("threads", p.threads.Text)
	switch p.kvType.Selected { // F16, the default, stays ""
	case kvF32:
		s.KVType = "f32"
	case kvQ8_0:
		s.KVType = "q8_0"
	}
	if p.choices.Checked {
		s.TopLogprobs = choicesTopK
	}
	s.NoThinking = !p.think.Checked
	if t := strings.TrimSpace(p.seed.Text); t != "" && err == nil {
		if s.Seed, err = strconv.ParseUint(t, 10, 64); err != nil {
			err = fmt.Errorf("seed must be a whole number ≥ 0")
		}
	}
	return s, err
}

// save stores the fields in the current conversation.
func (p *settingsPanel) save() {
	if p.loading || p.win.current == "" {
		return
	}
	s, err := p.read()
	if notSaved(p.problem, err) {
		return
	}
	if err := p.win.c.UpdateChatSettings(p.win.current, s); err != nil {
		p.win.showError(err)
	}
	p.presets.refresh()
}

// notSaved shows why a field's value is not saved on the problem label
// and says so; with no error it hides the label. The field keeps what was
// typed, and nothing is saved until it is fixed.
func notSaved(problem *widget.Label, err error) bool {
	if err != nil {
		problem.SetText(err.Error() + " (not saved)")
		problem.Show()
		return true
	}
	problem.Hide()
	return false
}

// choicesTopK is how many alternatives per token the choices option keeps.
const choicesTopK = 5
