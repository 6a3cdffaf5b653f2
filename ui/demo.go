package ui

import (
	"errors"
	"fmt"
	"image/png"
	"os"
	"time"

	"fyne.io/fyne/v2"

	"burrow/app"
)

// runDemo is screenshot mode: load the model, send the prompt in a new
// conversation, wait for the whole reply, save the window as a PNG, quit.
// It runs on its own goroutine and touches widgets only through fyne.Do.
func runDemo(w *Window, o options) (code int) {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "burrow:", err)
		fyne.Do(w.app.Quit)
		return 1
	}
	loaded := make(chan app.ModelState, 1)
	w.c.Subscribe(func(ch app.Change) {
		if m := w.c.Model(); ch.Kind == app.ChangeModel && !m.Loading {
			select {
			case loaded <- m:
			default:
			}
		}
	})
	time.Sleep(300 * time.Millisecond) // let the window appear first
	var loadErr error
	fyne.DoAndWait(func() {
		loadErr = w.c.LoadModel(o.model)
	})
	if loadErr != nil {
		return fail(loadErr)
	}
	if m := <-loaded; m.Err != nil {
		return fail(m.Err)
	}
	if o.prompt != "" {
		var sendErr error
		fyne.DoAndWait(func() {
			w.newConversation()
			w.chat.input.SetText(o.prompt)
			sendErr = w.send(o.prompt)
			w.chat.input.SetText("")
		})
		if sendErr != nil {
			return fail(sendErr)
		}
		time.Sleep(50 * time.Millisecond)
		w.c.WaitReply()
		if cv, ok := w.c.Conversation(w.current); ok && len(cv.Messages) > 0 {
			if e := cv.Messages[len(cv.Messages)-1].Err; e != "" {
				return fail(errors.New(e))
			}
		}
	}
	time.Sleep(700 * time.Millisecond) // let the last frame render
	var err error
	fyne.DoAndWait(func() {
		img := w.win.Canvas().Capture()
		var f *os.File
		if f, err = os.Create(o.screenshot); err != nil {
			return
		}
		if err = png.Encode(f, img); err != nil {
			f.Close()
			return
		}
		err = f.Close()
	})
	if err != nil {
		return fail(fmt.Errorf("screenshot: %w", err))
	}
	fmt.Fprintln(os.Stderr, "burrow: saved", o.screenshot)
	fyne.Do(w.app.Quit)
	return 0
}
