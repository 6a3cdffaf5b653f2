package ui

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/software"

	"burrow/app"
)

// runDemo is screenshot mode: load the model, send the prompt in a new
// conversation, wait for the whole reply, save the window as a PNG, quit.
// It runs on its own goroutine and touches widgets only through fyne.Do.
// The exit code goes to exit before the app is told to quit.
func runDemo(w *Window, o options, exit chan<- int) {
	exit <- demo(w, o)
	post(w.app.Quit)
}

func demo(w *Window, o options) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "burrow:", err)
		return 1
	}
	loaded := make(chan app.ModelState, 1)
	asked := make(chan struct{}, 1) // a tool call waits for the user
	w.c.Subscribe(func(ch app.Change) {
		if ch.Kind == app.ChangeToolCall {
			select {
			case asked <- struct{}{}:
			default:
			}
		}
		if m := w.c.Model(); ch.Kind == app.ChangeModel && !m.Loading {
			select {
			case loaded <- m:
			default:
			}
		}
	})
	time.Sleep(300 * time.Millisecond) // let the window appear first
	postAndWait(func() { w.win.Resize(fyne.NewSize(1200, 780)) })
	var loadErr error
	postAndWait(func() {
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
		postAndWait(func() {
			w.newConversation()
			w.chat.input.SetText(o.prompt)
			sendErr = w.send(o.prompt)
			w.chat.input.SetText("")
		})
		if sendErr != nil {
			return fail(sendErr)
		}
		time.Sleep(50 * time.Millisecond)
		// A reply that calls a tool waits for a click nobody makes here:
		// the picture shows the call with its buttons, and Close stops it.
		replied := make(chan struct{})
		go func() { w.c.WaitReply(); close(replied) }()
		select {
		case <-replied:
		case <-asked:
		}
		if cv, ok := w.c.Conversation(w.current); ok && len(cv.Messages) > 0 {
			if e := cv.Messages[len(cv.Messages)-1].Err; e != "" {
				return fail(errors.New(e))
			}
		}
	}
	time.Sleep(700 * time.Millisecond) // let the last frame render
	var err error
	postAndWait(func() {
		img := captureWindow(w.win)
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
	return 0
}

// captureWindow returns the window's pixels. Where the GL front buffer
// cannot be read back (Xvfb's software GL gives a blank image), the same
// widget tree is drawn by Fyne's software painter at the window's size.
func captureWindow(win fyne.Window) image.Image {
	img := win.Canvas().Capture()
	if !blank(img) {
		return img
	}
	content := win.Content()
	size := win.Canvas().Size()
	c := software.NewCanvas()
	c.SetPadded(false)
	c.SetContent(content)
	// Wrapped text learns its height from the width it was last given, so
	// lay out twice more (a width change forces every container to redo it)
	// before painting.
	c.Resize(size)
	c.Resize(size.AddWidthHeight(1, 0))
	c.Resize(size)
	img = c.Capture()
	c.SetContent(nil)
	win.SetContent(content)
	return img
}

// blank reports whether every pixel has the same colour.
func blank(img image.Image) bool {
	if img == nil {
		return true
	}
	b := img.Bounds()
	if b.Empty() {
		return true
	}
	first := img.At(b.Min.X, b.Min.Y)
	r0, g0, b0, a0 := first.RGBA()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bb, a := img.At(x, y).RGBA()
			if r != r0 || g != g0 || bb != b0 || a != a0 {
				return false
			}
		}
	}
	return true
}
