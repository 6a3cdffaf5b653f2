package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// connectRemote asks for an OpenAI-compatible server (base URL, key,
// model) and makes the conversations use it (app.Controller.UseRemote).
// The fields start from the last server used.
func (w *Window) connectRemote() {
	s := w.c.Settings()
	url := widget.NewEntry()
	url.SetPlaceHolder("http://localhost:8000/v1")
	url.SetText(s.RemoteURL)
	key := widget.NewPasswordEntry()
	key.SetPlaceHolder("optional")
	key.SetText(s.RemoteAPIKey)
	model := widget.NewEntry()
	model.SetPlaceHolder("empty: the server's first model")
	model.SetText(s.RemoteModel)
	items := []*widget.FormItem{
		{Text: "Base URL", Widget: url, HintText: "vLLM, llama.cpp's server, Ollama (:11434), LM Studio or another Burrow"},
		{Text: "API key", Widget: key},
		{Text: "Model", Widget: model},
	}
	d := dialog.NewForm("Connect to a server", "Connect", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		w.lastErr = nil
		if err := w.c.UseRemote(url.Text, key.Text, model.Text); err != nil {
			w.showErrorTitled("Could not connect", err)
		}
	}, w.win)
	d.Resize(fyne.NewSize(520, d.MinSize().Height))
	d.Show()
}
