package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
)

// A reply that calls tools shows each call as a card: the tool, its
// arguments pretty-printed, where it stands, the Allow once / Always allow /
// Deny buttons while it waits, and once it ran its result, folded. The
// "tool" turns that carry the results show nothing of their own: their
// text is in the card of the call they answer. The Controller decides and
// runs; the card only shows and clicks.

// toolCallCard is one call's card (tests read its parts).
type toolCallCard struct {
	call    app.ToolCall
	status  *widget.Label
	allow   *widget.Button // nil unless the call waits for this click
	always  *widget.Button
	deny    *widget.Button
	result  *widget.Accordion // nil until a result came back
	resText string
	object  fyne.CanvasObject
}

// showToolCalls fills a reply's cards; results maps a call's ID to the
// "tool" turn that answered it.
func (v *messageView) showToolCalls(convID string, m app.Message, results map[string]app.Message) {
	if v.calls == nil {
		return
	}
	v.calls.RemoveAll()
	v.cards = nil
	pending, waiting := v.pane.win.c.PendingToolCall()
	for _, call := range m.ToolCalls {
		ask := waiting && pending.ConvID == convID && pending.Index == v.index && pending.Call.ID == call.ID
		server := ""
		if ask {
			server = pending.Server
		}
		res, ran := results[call.ID]
		card := newToolCallCard(v.pane.win, convID, call, server, ask, res, ran)
		v.cards = append(v.cards, card)
		v.calls.Add(card.object)
	}
	if len(m.ToolCalls) > 0 {
		v.calls.Show()
	} else {
		v.calls.Hide()
	}
}

func newToolCallCard(w *Window, convID string, call app.ToolCall, server string, ask bool, res app.Message, ran bool) *toolCallCard {
	c := &toolCallCard{call: call}
	title := widget.NewLabelWithStyle("Tool call: "+call.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	c.status = widget.NewLabel(toolStatusText(call.Status, ask))
	c.status.Importance = toolStatusImportance(call.Status)
	header := container.NewBorder(nil, nil, container.NewHBox(widget.NewIcon(theme.SettingsIcon()), title), c.status)

	args := widget.NewLabelWithStyle(app.PrettyArguments(call.Arguments), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	args.Wrapping = fyne.TextWrapBreak
	argsBG := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	argsBG.CornerRadius = 6
	parts := []fyne.CanvasObject{header, container.NewStack(argsBG, args)}

	if ask {
		decide := func(d app.ToolDecision) func() {
			return func() {
				if err := w.c.DecideToolCall(convID, call.ID, d); err != nil {
					w.showError(err)
				}
			}
		}
		c.allow = widget.NewButtonWithIcon("Allow once", theme.ConfirmIcon(), decide(app.ToolAllowOnce))
		c.allow.Importance = widget.HighImportance
		c.always = widget.NewButton("Always allow", decide(app.ToolAllowAlways))
		c.deny = widget.NewButtonWithIcon("Deny", theme.CancelIcon(), decide(app.ToolDeny))
		c.deny.Importance = widget.DangerImportance
		note := "The model wants to run this tool"
		if server != "" {
			note += " of the server “" + server + "”"
		}
		q := widget.NewLabel(note + ". It runs only if you allow it.")
		q.Wrapping = fyne.TextWrapWord
		parts = append(parts, q, container.NewHBox(c.allow, c.always, c.deny, layout.NewSpacer()))
	}
	if ran && call.Status != app.ToolCallDenied && call.Status != app.ToolCallCancelled {
		c.resText = res.Content
		body := widget.NewLabelWithStyle(res.Content, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
		body.Wrapping = fyne.TextWrapBreak
		name := "Result"
		if call.Status == app.ToolCallFailed {
			name = "Error"
		}
		c.result = widget.NewAccordion(widget.NewAccordionItem(name, body))
		parts = append(parts, c.result)
	}
	bg := canvas.NewRectangle(color.Transparent)
	bg.StrokeColor = theme.Color(theme.ColorNameSeparator)
	bg.StrokeWidth = 1
	bg.CornerRadius = 8
	c.object = container.NewStack(bg, container.NewPadded(container.NewVBox(parts...)))
	return c
}

func toolStatusText(status string, ask bool) string {
	switch status {
	case app.ToolCallPending:
		if ask {
			return "Waiting for you"
		}
		return "Waiting"
	case app.ToolCallRunning:
		return "Running…"
	case app.ToolCallDone:
		return "Ran"
	case app.ToolCallFailed:
		return "Failed"
	case app.ToolCallDenied:
		return "Denied: it did not run"
	case app.ToolCallCancelled:
		return "Stopped: it did not run"
	}
	return status
}

func toolStatusImportance(status string) widget.Importance {
	switch status {
	case app.ToolCallPending:
		return widget.WarningImportance
	case app.ToolCallDone:
		return widget.SuccessImportance
	case app.ToolCallFailed:
		return widget.DangerImportance
	}
	return widget.LowImportance
}

// toolResults maps each call ID to the "tool" turn that answers it.
func toolResults(cv *app.Conversation) map[string]app.Message {
	out := map[string]app.Message{}
	for _, m := range cv.Messages {
		if m.Role == "tool" && m.ToolCallID != "" {
			out[m.ToolCallID] = m
		}
	}
	return out
}
