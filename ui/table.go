package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// headedTable is a table of text cells under a row of bold column names.
// template makes a cell's label (its text sets the width a cell asks for).
func headedTable(size func() (rows, cols int), template func() fyne.CanvasObject, cell func(row, col int) string, header func(col int) string) *widget.Table {
	t := widget.NewTable(size, template, func(id widget.TableCellID, o fyne.CanvasObject) {
		o.(*widget.Label).SetText(cell(id.Row, id.Col))
	})
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Row < 0 && id.Col >= 0 {
			o.(*widget.Label).SetText(header(id.Col))
		}
	}
	return t
}
