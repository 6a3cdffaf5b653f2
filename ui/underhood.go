package ui

import (
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
	"burrow/inference"
	"burrow/inference/chat"
)

// underHood holds the views that look inside the loaded model, Inspect,
// Architecture and Tokens, as tab contents that follow the model;
// attachUnderHood puts them in the window:
//
//	on a model change:          u.setModel(path)   ("" when none is loaded)
//	when the Inspect tab shows: u.showInspect()    (starts the file map once)
//	on conversation changes:    u.conversationChanged()
//
// Everything runs on the UI thread except reading the file, which a
// goroutine does before posting the views with fyne.Do.
type underHood struct {
	conversation func() []chat.Message
	vocab        func() *inference.Vocab // the loaded model's (Controller.Vocab)
	inspectTab   *fyne.Container
	tokensTab    *fyne.Container
	archTab      *fyne.Container
	path         string
	inspect      *inspectView
	arch         *archView
	trace        traceFunc // runs "Run it through" (Controller.Trace; nil: none)
	tokens       *tokensView
	shown        bool // the Inspect tab has been shown since the model changed
}

func newUnderHood(conversation func() []chat.Message, vocab func() *inference.Vocab) *underHood {
	u := &underHood{conversation: conversation, vocab: vocab, inspectTab: container.NewStack(), tokensTab: container.NewStack(), archTab: container.NewStack()}
	u.path = "\x00" // not a path: the first setModel always builds
	u.setModel("")
	return u
}

// setModel rebuilds both views for the model at path ("" shows a hint).
func (u *underHood) setModel(path string) {
	if path == u.path {
		return
	}
	u.path = path
	if u.inspect != nil {
		u.inspect.close()
		u.inspect = nil
	}
	u.tokens = nil
	if u.arch != nil {
		u.arch.close()
		u.arch = nil
	}
	if path == "" {
		u.archTab.Objects = []fyne.CanvasObject{hoodHint("Load a model to see its architecture and run a prompt through it.")}
		u.archTab.Refresh()
		u.inspectTab.Objects = []fyne.CanvasObject{hoodHint("Load a model to see inside its file: metadata, tensors and a map of its bytes.")}
		u.tokensTab.Objects = []fyne.CanvasObject{hoodHint("Load a model to see how its tokenizer splits text.")}
		u.inspectTab.Refresh()
		u.tokensTab.Refresh()
		return
	}
	u.inspectTab.Objects = []fyne.CanvasObject{hoodHint("Reading the model file…")}
	u.tokensTab.Objects = []fyne.CanvasObject{hoodHint("Reading the tokenizer…")}
	u.archTab.Objects = []fyne.CanvasObject{hoodHint("Reading the architecture…")}
	u.archTab.Refresh()
	u.inspectTab.Refresh()
	u.tokensTab.Refresh()
	go func() {
		iv, ierr := readInspectData(path)
		an, aerr := readAnatomy(path)
		vocab := u.vocab()
		post(func() {
			if u.path != path { // another model came meanwhile
				return
			}
			if ierr != nil {
				u.inspectTab.Objects = []fyne.CanvasObject{hoodHint("Cannot inspect this file: " + ierr.Error())}
			} else {
				u.inspect = iv.build()
				u.inspectTab.Objects = []fyne.CanvasObject{u.inspect.object}
				if u.shown {
					u.inspect.startMap()
				}
			}
			if aerr != nil {
				u.archTab.Objects = []fyne.CanvasObject{hoodHint("Cannot draw this model's architecture: " + aerr.Error())}
			} else {
				u.arch = newArchView(an, u.trace, u.conversation)
				u.archTab.Objects = []fyne.CanvasObject{u.arch.object}
			}
			u.archTab.Refresh()
			if vocab == nil {
				u.tokensTab.Objects = []fyne.CanvasObject{hoodHint("No tokenizer playground: the model's tokenizer is not available")}
			} else {
				u.tokens = newTokensView(vocab, u.conversation)
				u.tokensTab.Objects = []fyne.CanvasObject{u.tokens.object}
			}
			u.inspectTab.Refresh()
			u.tokensTab.Refresh()
		})
	}()
}

// showInspect starts the file map when the Inspect tab is first shown.
func (u *underHood) showInspect() {
	u.shown = true
	if u.inspect != nil {
		u.inspect.startMap()
	}
}

// conversationChanged re-renders "What the model sees".
func (u *underHood) conversationChanged() {
	if u.tokens != nil && u.tokens.mode.Selected == tokensModeModel {
		u.tokens.update()
	}
}

func hoodHint(text string) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.Alignment = fyne.TextAlignCenter
	l.Wrapping = fyne.TextWrapWord
	return container.NewCenter(container.New(minWidth(420), l))
}

// attachUnderHood adds the Inspect, Architecture and Tokens tabs to the window and keeps
// them on the loaded model and the conversation shown.
func attachUnderHood(w *Window) *underHood {
	c := w.Controller()
	u := newUnderHood(func() []chat.Message {
		cv, ok := w.CurrentConversation()
		if !ok {
			return nil
		}
		return cv.ChatMessages()
	}, c.Vocab)
	u.trace = c.Trace
	inspectTab := w.AddTab("Inspect", theme.InfoIcon(), u.inspectTab)
	w.AddTab("Architecture", theme.GridIcon(), u.archTab)
	tokensTab := w.AddTab("Tokens", theme.ListIcon(), u.tokensTab)
	prev := w.tabs.OnSelected
	w.tabs.OnSelected = func(t *container.TabItem) {
		if prev != nil {
			prev(t)
		}
		switch t {
		case inspectTab:
			u.showInspect()
		case tokensTab:
			u.conversationChanged() // the chat shown may have changed meanwhile
		}
	}
	follow := func() {
		switch m := c.Model(); {
		case m.Loaded() && m.Remote == "": // a remote model has no file to look into
			u.setModel(m.Path)
		case !m.Loading:
			u.setModel("")
		}
	}
	follow()
	// BURROW_TAB=Inspect opens on that tab (for screenshots of the views
	// with --screenshot and no --prompt).
	if name := os.Getenv("BURROW_TAB"); name != "" {
		for _, it := range w.tabs.Items {
			if strings.EqualFold(it.Text, name) {
				w.tabs.Select(it)
			}
		}
	}
	c.Subscribe(func(ch app.Change) {
		switch ch.Kind {
		case app.ChangeModel:
			post(follow)
		case app.ChangeConversation, app.ChangeReplyDone:
			post(u.conversationChanged)
		}
	})
	return u
}
