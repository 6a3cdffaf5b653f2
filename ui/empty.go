package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/assets"
)

// newEmptyState is the first-run screen: the three ways to get a model.
func newEmptyState(w *Window) fyne.CanvasObject {
	logo := canvas.NewImageFromResource(fyne.NewStaticResource("icon.png", assets.IconPNG))
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(112, 112))
	title := widget.NewLabelWithStyle("Welcome to Burrow", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	sub := widget.NewLabelWithStyle("Run language models on this computer, privately. Get a model in one of three ways:", fyne.TextAlignCenter, fyne.TextStyle{})
	sub.Importance = widget.LowImportance

	download := wayCard(theme.DownloadIcon(), "Download", "Pick a model from Hugging Face in the Downloads tab.",
		widget.NewButton("Browse models", w.showDownloads))
	drop := wayCard(theme.UploadIcon(), "Drag and drop", "Drop a .gguf file anywhere on this window: it loads in place.", nil)
	open := wayCard(theme.FolderOpenIcon(), "Open a file", "Choose a .gguf file already on this computer.",
		widget.NewButton("Open model…", w.openModel))
	ways := container.NewVBox(download, drop, open)
	return container.NewCenter(container.NewVBox(container.NewCenter(logo), title, sub, container.NewCenter(ways)))
}

// wayCard is one of the three ways: icon, title and text, and a button.
func wayCard(icon fyne.Resource, title, text string, action *widget.Button) fyne.CanvasObject {
	head := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	label := widget.NewLabel(text)
	label.Wrapping = fyne.TextWrapWord
	ic := container.NewCenter(container.NewGridWrap(fyne.NewSize(36, 36), widget.NewIcon(icon)))
	var right fyne.CanvasObject
	if action != nil {
		right = container.NewCenter(action)
	}
	row := container.NewBorder(nil, nil, container.NewPadded(ic), right, container.NewVBox(head, label))
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.CornerRadius = 12
	return container.New(fixedWidth(520), container.NewStack(bg, container.NewPadded(row)))
}
