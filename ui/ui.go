// Package ui is Burrow's window (Fyne). It holds no engine logic: it talks to
// app.Controller and posts results to the UI thread with fyne.Do.
package ui

import (
	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Main opens the window and returns the exit code when it closes.
func Main(args []string) int {
	a := fyneapp.NewWithID("app.burrow")
	w := a.NewWindow("Burrow")
	msg := widget.NewLabel("Your model library is empty.\nDrag a .gguf file onto this window, open one, or download one from Hugging Face.")
	msg.Alignment = fyne.TextAlignCenter
	w.SetContent(container.NewCenter(msg))
	w.Resize(fyne.NewSize(1100, 720))
	w.ShowAndRun()
	return 0
}
