package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
)

// sidebar lists the conversations: new, search, select, rename, delete.
type sidebar struct {
	win    *Window
	items  []app.Conversation
	list   *widget.List
	search *widget.Entry
	newBtn *widget.Button
	impBtn *widget.Button
	object fyne.CanvasObject
	// selecting is set while the list's selection is moved in code, so
	// OnSelected does not reopen the conversation.
	selecting bool
}

func newSidebar(w *Window) *sidebar {
	s := &sidebar{win: w}
	s.newBtn = widget.NewButtonWithIcon("New chat", theme.ContentAddIcon(), w.newConversation)
	s.newBtn.Importance = widget.HighImportance
	s.search = widget.NewEntry()
	s.search.SetPlaceHolder("Search chats")
	s.search.ActionItem = widget.NewIcon(theme.SearchIcon())
	s.search.OnChanged = func(string) { s.refresh() }
	s.list = widget.NewList(
		func() int { return len(s.items) },
		func() fyne.CanvasObject {
			title := widget.NewLabel("conversation title")
			title.Truncation = fyne.TextTruncateEllipsis
			more := iconButton(theme.MoreVerticalIcon(), nil)
			return container.NewBorder(nil, nil, nil, more, title)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(s.items) {
				return
			}
			cv := s.items[id]
			row := o.(*fyne.Container)
			row.Objects[0].(*widget.Label).SetText(cv.Title)
			more := row.Objects[1].(*widget.Button)
			more.OnTapped = func() { s.showMenu(cv, more) }
		},
	)
	s.list.OnSelected = func(id widget.ListItemID) {
		if s.selecting || id >= len(s.items) {
			return
		}
		w.selectConversation(s.items[id].ID)
	}
	s.impBtn = iconButton(theme.FolderOpenIcon(), w.askImport) // import a chat export
	top := container.NewVBox(s.newBtn, container.NewBorder(nil, nil, nil, s.impBtn, s.search))
	s.object = container.NewBorder(container.NewPadded(top), nil, nil, nil, s.list)
	return s
}

// refresh reloads the list (search applied) and keeps the selection.
func (s *sidebar) refresh() {
	s.items = s.win.c.Search(s.search.Text)
	s.list.Refresh()
	s.markSelected()
}

func (s *sidebar) markSelected() {
	s.selecting = true
	defer func() { s.selecting = false }()
	for i, cv := range s.items {
		if cv.ID == s.win.current {
			s.list.Select(i)
			return
		}
	}
	s.list.UnselectAll()
}

func (s *sidebar) showMenu(cv app.Conversation, at fyne.CanvasObject) {
	items := []*fyne.MenuItem{fyne.NewMenuItemWithIcon("Rename…", theme.DocumentCreateIcon(), func() { s.rename(cv) })}
	items = append(items, s.win.exportMenuItems(cv)...)
	items = append(items, fyne.NewMenuItemWithIcon("Delete", theme.DeleteIcon(), func() { s.confirmDelete(cv) }))
	menu := fyne.NewMenu("", items...)
	widget.ShowPopUpMenuAtRelativePosition(menu, s.win.win.Canvas(), fyne.NewPos(0, at.Size().Height), at)
}

func (s *sidebar) rename(cv app.Conversation) {
	entry := widget.NewEntry()
	entry.SetText(cv.Title)
	dialog.ShowForm("Rename chat", "Rename", "Cancel", []*widget.FormItem{widget.NewFormItem("Title", entry)}, func(ok bool) {
		if ok {
			if err := s.win.c.Rename(cv.ID, entry.Text); err != nil {
				s.win.showError(err)
			}
		}
	}, s.win.win)
}

func (s *sidebar) confirmDelete(cv app.Conversation) {
	dialog.ShowConfirm("Delete chat", "Delete “"+cv.Title+"”? This cannot be undone.", func(ok bool) {
		if ok {
			s.win.deleteConversation(cv.ID)
		}
	}, s.win.win)
}
