package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
	"burrow/app/api"
)

// serverControls start and stop the local API server, which the Controller
// owns: a check in the top bar with the address (tap to copy) while it
// runs, and the port and key fields in the settings panel.
type serverControls struct {
	win     *Window
	toggle  *widget.Check
	addr    *widget.Button
	port    *widget.Entry
	key     *widget.Entry
	ollama  *widget.Check // also serve Ollama's API
	problem *widget.Label
	quiet   bool // the check is being set to match the controller

	bar  fyne.CanvasObject // top bar part
	form fyne.CanvasObject // settings panel part
}

func newServerControls(w *Window) *serverControls {
	s := &serverControls{win: w}
	s.toggle = widget.NewCheck("Local API server", s.switched)
	s.addr = widget.NewButtonWithIcon("", theme.ContentCopyIcon(), s.copyAddr)
	s.addr.Importance = widget.LowImportance
	s.addr.IconPlacement = widget.ButtonIconTrailingText
	s.addr.Hide()
	s.bar = container.NewHBox(s.toggle, s.addr)

	st := w.c.Settings()
	s.port = widget.NewEntry()
	s.port.SetPlaceHolder(strconv.Itoa(api.DefaultServerPort))
	if st.ServerPort > 0 {
		s.port.SetText(strconv.Itoa(st.ServerPort))
	}
	s.port.OnChanged = func(string) { s.save() }
	s.key = widget.NewPasswordEntry()
	s.key.SetPlaceHolder("none")
	s.key.SetText(st.ServerAPIKey)
	s.key.OnChanged = func(string) { s.save() }
	s.ollama = widget.NewCheck("Also serve Ollama's API (/api/chat, /api/tags, ...)", nil)
	s.ollama.SetChecked(!st.ServerNoOllama)
	s.ollama.OnChanged = func(bool) { s.save() } // after SetChecked: the panel is not built yet
	s.problem = widget.NewLabel("")
	s.problem.Importance = widget.DangerImportance
	s.problem.Wrapping = fyne.TextWrapWord
	s.problem.Hide()
	note := widget.NewLabel("Programs on this computer can use the loaded model with the OpenAI API at the address shown in the top bar (and Ollama's, for tools made for Ollama: give them the same address). Port, key and APIs apply when the server starts.")
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.LowImportance
	s.form = container.NewVBox(
		widget.NewLabelWithStyle("Local API server", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewForm(widget.NewFormItem("Port", s.port), widget.NewFormItem("API key", s.key)),
		s.ollama, s.problem, note)

	w.c.Subscribe(func(ch app.Change) {
		if ch.Kind == app.ChangeServer {
			post(s.refresh)
		}
	})
	s.refresh()
	return s
}

// readPort is the port typed (0: the default).
func (s *serverControls) readPort() (int, error) {
	t := strings.TrimSpace(s.port.Text)
	if t == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("the port must be a number from 1 to 65535")
	}
	return n, nil
}

// save keeps the port and key in the app settings.
func (s *serverControls) save() {
	port, err := s.readPort()
	if notSaved(s.problem, err) {
		return
	}
	key, noOllama := s.key.Text, !s.ollama.Checked
	if err := s.win.c.UpdateSettings(func(st *app.Settings) { st.ServerPort, st.ServerAPIKey, st.ServerNoOllama = port, key, noOllama }); err != nil {
		s.win.showError(err)
	}
}

// switched starts or stops the server when the user ticks the check.
func (s *serverControls) switched(on bool) {
	if s.quiet {
		return
	}
	if on {
		if _, err := s.readPort(); err != nil {
			s.win.showErrorTitled("Could not start the API server", err)
		} else if _, err := s.win.c.StartServer(s.win.c.Settings().ServerConfig()); err != nil {
			s.win.showErrorTitled("Could not start the API server", err)
		}
	} else if err := s.win.c.StopServer(); err != nil {
		s.win.showError(err)
	}
	s.refresh()
}

// refresh shows whether the server runs, and where.
func (s *serverControls) refresh() {
	addr := s.win.c.ServerAddr()
	s.quiet = true
	s.toggle.SetChecked(addr != "")
	s.quiet = false
	if addr == "" {
		s.addr.Hide()
		return
	}
	s.addr.SetText(addr)
	s.addr.Show()
}

func (s *serverControls) copyAddr() {
	addr := s.win.c.ServerAddr()
	if addr == "" {
		return
	}
	s.win.copyText(addr)
	s.addr.SetText("Copied")
	time.AfterFunc(1200*time.Millisecond, func() { post(s.refresh) })
}
