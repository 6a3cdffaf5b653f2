package ui

import "fyne.io/fyne/v2"

// post and postAndWait run f on the UI thread: fyne.Do and fyne.DoAndWait.
// Goroutines that update widgets go through them rather than Fyne directly
// so the tests can serialise them: Fyne's test driver runs fyne.Do inline
// on the calling goroutine, where two goroutines' updates would race.
var (
	post        = fyne.Do
	postAndWait = fyne.DoAndWait
)
