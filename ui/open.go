package ui

// ggufPatterns are the model files the open dialogs offer.
var ggufPatterns = []string{"*.gguf", "*.GGUF"}

// openModel asks for a .gguf with the platform's own file dialog (zenity)
// and falls back to Fyne's when there is none.
func (w *Window) openModel() {
	w.pickFile("Open a model", "GGUF models", ggufPatterns, w.loadModel)
}

func (w *Window) openWithFyne() { w.fyneOpen(ggufPatterns, w.loadModel) }
