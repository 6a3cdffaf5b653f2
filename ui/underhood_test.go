package ui

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
	"burrow/app/apptest"
	"burrow/inference"
	"burrow/inference/chat"
	"burrow/inference/filemap"
	"burrow/inference/sample"
	"burrow/internal/testenv"
)

// hoodWait polls cond; the deadline is a safety net, not a measurement.
func hoodWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hoodShot saves the window to $BURROW_UI_SHOTS/name.png when that is set.
func hoodShot(t *testing.T, w fyne.Window, name string) {
	dir := os.Getenv("BURROW_UI_SHOTS")
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, w.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}

// hoodWalk visits o and everything drawn inside it.
func hoodWalk(o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	visit(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			hoodWalk(c, visit)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			hoodWalk(c, visit)
		}
	}
}

// hoodApp starts a test app; when screenshots are asked for, with the
// window's real dark theme rather than the test theme.
func hoodApp(t *testing.T) {
	test.NewTempApp(t)
	if os.Getenv("BURROW_UI_SHOTS") != "" {
		fyne.CurrentApp().Settings().SetTheme(theme.DarkTheme()) //nolint:staticcheck // the look of the shipped window
	}
}

func stories(t *testing.T) string { return testenv.Path(t, "models", "stories260K-q8_0.gguf") }

func TestInspectViewStories(t *testing.T) {
	hoodApp(t)
	v, err := newInspectView(stories(t))
	if err != nil {
		t.Fatal(err)
	}
	defer v.close()
	w := test.NewTempWindow(t, v.object)
	w.Resize(fyne.NewSize(1200, 800))
	v.startMap()
	v.startMap() // once only

	// Summary and memory at a chosen context.
	if v.summary.Layers != 5 || v.summary.TensorCount != 48 {
		t.Fatalf("summary %+v", v.summary)
	}
	v.memCtx.SetValue(64)
	if got := v.memLabel.Text; !strings.Contains(got, "At 64 tokens") || v.memEntry.Text != "64" {
		t.Errorf("memory label %q, entry %q", got, v.memEntry.Text)
	}
	v.memEntry.SetText("100") // typed: between the slider's steps too
	if got := v.memLabel.Text; !strings.Contains(got, "At 100 tokens") || v.memCtx.Value != 100 {
		t.Errorf("typed 100: label %q, slider %v", got, v.memCtx.Value)
	}
	v.memEntry.SetText("oops")
	if v.memCtx.Value != 100 {
		t.Errorf("a bad entry moved the slider to %v", v.memCtx.Value)
	}

	// The file map is computed off the UI thread, then hovering names regions.
	<-v.fmap.done
	hoodWait(t, "the map", func() bool { return v.fmap.view.pic != nil })
	fm := v.fmap.view
	var firstTensor filemap.Region
	for _, r := range fm.m.Regions {
		if r.Kind == filemap.KindTensor {
			firstTensor = r
			break
		}
	}
	cell := int(firstTensor.Start/fm.m.Chunk) + 1 // a cell wholly inside it
	rect := fm.grid.CellRect(cell)
	origin, _ := fm.picRect()
	ox, oy := origin.X, origin.Y
	pos := fyne.NewPos(ox+(float32(rect.Min.X)+float32(rect.Dx())/2)/fm.scale, oy+(float32(rect.Min.Y)+float32(rect.Dy())/2)/fm.scale)
	fm.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: pos}})
	if got := v.fmap.hover.Text; !strings.HasPrefix(got, firstTensor.Name+" ") {
		t.Errorf("hover over %s says %q", firstTensor.Name, got)
	}
	fm.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(ox+1, oy+1)}})
	if got := v.fmap.hover.Text; !strings.HasPrefix(got, "header") {
		t.Errorf("hover at the first cell says %q", got)
	}
	v.memCtx.SetValue(128)
	hoodShot(t, w, "inspect")

	// Tensors sort by any column; tapping a header sorts by it.
	v.tabs.SelectIndex(1)
	var bytesHdr *widget.Button
	hoodWalk(v.tensorTable, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && strings.HasPrefix(b.Text, "Bytes") {
			bytesHdr = b
		}
	})
	if bytesHdr == nil {
		t.Fatal("no Bytes header button")
	}
	tapUI(bytesHdr)
	if v.sortCol != 3 || !sort.SliceIsSorted(v.tensors, func(i, j int) bool { return v.tensors[i].bytes < v.tensors[j].bytes }) {
		t.Errorf("tensors not sorted by bytes after tapping the header")
	}
	tapUI(bytesHdr)
	if !v.sortDesc || v.tensors[0].bytes < v.tensors[len(v.tensors)-1].bytes {
		t.Error("second tap did not reverse the order")
	}
	for col := range tensorColumns {
		v.sortBy(col)
		if v.tensorCell(0, col) > v.tensorCell(1, col) && col < 3 {
			t.Errorf("column %d not ascending: %q > %q", col, v.tensorCell(0, col), v.tensorCell(1, col))
		}
	}

	// Metadata search; long arrays show a count and a preview.
	v.tabs.SelectIndex(2)
	typeUI(v.metaSearch, "tokenizer.ggml.tokens")
	if len(v.metaShown) != 1 {
		t.Fatalf("%d rows match tokenizer.ggml.tokens", len(v.metaShown))
	}
	if r := v.meta[v.metaShown[0]]; !strings.HasPrefix(r.value, "512 items: ") || !strings.HasSuffix(r.value, "…") || r.typ != "[string]" {
		t.Errorf("tokens row %+v", r)
	}
	v.metaSearch.SetText("")
	if len(v.metaShown) != len(v.meta) {
		t.Errorf("empty search shows %d of %d", len(v.metaShown), len(v.meta))
	}
}

func TestInspectMapCancel(t *testing.T) {
	hoodApp(t)
	v, err := newInspectView(stories(t))
	if err != nil {
		t.Fatal(err)
	}
	v.startMap()
	tapUI(v.fmap.stopBtn) // may land before or after the small file is read
	<-v.fmap.done
	hoodWait(t, "the panel to settle", func() bool { return !v.fmap.stopBtn.Visible() })
	if _, err := newInspectView(filepath.Join(t.TempDir(), "missing.gguf")); err == nil {
		t.Error("a missing file opened")
	}
}

func TestTokensViewStories(t *testing.T) {
	hoodApp(t)
	conv := []chat.Message{{Role: "user", Content: "Tell me a story"}}
	vocab, err := inference.LoadVocab(stories(t))
	if err != nil {
		t.Fatal(err)
	}
	v := newTokensView(vocab, func() []chat.Message { return conv })
	w := test.NewTempWindow(t, v.object)
	w.Resize(fyne.NewSize(900, 600))

	typeUI(v.input, "Once upon a time, there was a little dog named Max.\nHe loved to play in the park with his friends!")
	want := v.tok.Encode(v.input.Text, false, false)
	if len(v.ids) != len(want) || len(v.flow.Objects) != len(want) || !strings.HasPrefix(v.count.Text, itoa(len(want))+" tokens") {
		t.Fatalf("%d ids, %d chips, count %q; want %d", len(v.ids), len(v.flow.Objects), v.count.Text, len(want))
	}
	if got := strings.Join(v.pieces, ""); strings.TrimPrefix(got, " ") != v.input.Text { // SentencePiece adds a leading space
		t.Errorf("pieces join to %q", got)
	}
	chip := v.flow.Objects[1].(*tokenChip)
	chip.MouseIn(&desktop.MouseEvent{})
	if !strings.Contains(v.detail.Text, "id "+itoa(want[1])) || !strings.Contains(v.detail.Text, "bytes ") {
		t.Errorf("detail %q", v.detail.Text)
	}
	hoodShot(t, w, "tokens")

	// Special tokens: BOS is added and <s> is read as the token.
	v.input.SetText("<s>hi")
	plain := len(v.ids)
	tapUI(v.special)
	if len(v.ids) >= plain+1 || v.ids[0] != v.tok.BOS() {
		// <s> as text is several tokens; as a special token it is one, plus BOS.
		if v.ids[0] != v.tok.BOS() {
			t.Errorf("special on: ids %v do not start with BOS %d", v.ids, v.tok.BOS())
		}
	}
	if got := v.tok.Encode("<s>hi", true, true); len(got) != len(v.ids) {
		t.Errorf("special on: %v, want %v", v.ids, got)
	}
	first := v.flow.Objects[0].(*tokenChip)
	if !first.special {
		t.Error("BOS chip not marked special")
	}

	// What the model sees: the conversation through the chat template.
	v.mode.SetSelected(tokensModeModel)
	if v.input.Visible() || len(v.ids) == 0 || !strings.Contains(strings.Join(v.pieces, ""), "Tell me a story") {
		t.Errorf("model view: %d tokens, text %q", len(v.ids), strings.Join(v.pieces, ""))
	}
	hoodShot(t, w, "tokens-model")
}

func itoa(n int) string { return strconv.Itoa(n) }

// generateWithChoices runs the real engine on stories260K asking for the
// top 5 candidates of each token.
func generateWithChoices(t *testing.T, prompt string, n int) []choiceToken {
	t.Helper()
	w := inference.NewWorker()
	defer w.Close()
	for ev := range w.Load(context.Background(), stories(t), inference.LoadOptions{}) {
		if ev.Kind == inference.EventError {
			t.Fatal(ev.Err)
		}
	}
	p := sample.DefaultParams()
	p.Seed = 7
	var out []choiceToken
	for ev := range w.Generate(context.Background(), inference.GenerateRequest{Messages: []chat.Message{{Role: "user", Content: prompt}},
		Params: p, MaxTokens: n, TopLogprobs: 5}) {
		switch ev.Kind {
		case inference.EventError:
			t.Fatal(ev.Err)
		case inference.EventPiece:
			out = append(out, choiceToken{Piece: ev.Piece, Token: ev.Token, Top: ev.Top})
		}
	}
	return out
}

func TestChoicesViewStories(t *testing.T) {
	toks := generateWithChoices(t, "Once upon a time", 80)
	hoodApp(t)
	if len(toks) == 0 {
		t.Fatal("no tokens")
	}
	v := newChoicesView(false)
	w := test.NewTempWindow(t, v.object)
	w.Resize(fyne.NewSize(900, 560))
	v.set(toks)
	if len(v.flow.Objects) != len(toks) {
		t.Fatalf("%d chips for %d tokens", len(v.flow.Objects), len(toks))
	}
	// Tap the least likely token: its candidates are listed, most likely first.
	low, lowP := -1, float32(2)
	for i, tk := range toks {
		if p, _ := tk.prob(); len(tk.Top) > 0 && p < lowP {
			low, lowP = i, p
		}
	}
	if low < 0 {
		t.Fatal("no token carried candidates")
	}
	tapUI(v.flow.Objects[low].(*choiceChip))
	if v.selected != low || len(v.candidates.Objects) != len(toks[low].Top) || len(toks[low].Top) != 5 {
		t.Fatalf("selected %d, %d candidate rows", v.selected, len(v.candidates.Objects))
	}
	if !strings.Contains(v.caption.Text, "The candidates") {
		t.Errorf("caption %q", v.caption.Text)
	}
	var sum float32
	for i, c := range toks[low].Top {
		sum += c.Prob
		if i > 0 && c.Prob > toks[low].Top[i-1].Prob {
			t.Errorf("candidates not in order: %+v", toks[low].Top)
		}
	}
	if sum > 1.0001 || sum <= 0 {
		t.Errorf("candidate probabilities sum to %v", sum)
	}
	// For the picture: a token the model was torn about.
	best, bestD := low, float32(2)
	for i, tk := range toks {
		if p, listed := tk.prob(); listed && abs32(p-0.4) < bestD {
			best, bestD = i, abs32(p-0.4)
		}
	}
	tapUI(v.flow.Objects[best].(*choiceChip))
	hoodShot(t, w, "choices")
}

// The chat pane's choices button (ui/message.go) draws through this view.
func TestMessageChoicesView(t *testing.T) {
	hoodApp(t)
	cs := []app.Choice{
		{Piece: " Once", Token: 1, Top: []inference.TokenProb{{Token: 1, Piece: " Once", Prob: 0.9}, {Token: 2, Piece: " One", Prob: 0.05}}},
		{Piece: " upon", Token: 3, Top: []inference.TokenProb{{Token: 4, Piece: " there", Prob: 0.5}, {Token: 3, Piece: " upon", Prob: 0.2}}},
	}
	if tokenChoicesView == nil {
		t.Fatal("the chat pane's hook is not set")
	}
	obj := tokenChoicesView(cs)
	w := test.NewTempWindow(t, container.NewVScroll(obj))
	w.Resize(fyne.NewSize(600, 400))
	var chips []*choiceChip
	hoodWalk(obj, func(o fyne.CanvasObject) {
		if c, ok := o.(*choiceChip); ok {
			chips = append(chips, c)
		}
	})
	if len(chips) != 2 {
		t.Fatalf("%d chips, want 2", len(chips))
	}
	tapUI(chips[1])
	var rows int
	hoodWalk(obj, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && strings.HasSuffix(l.Text, "%") {
			rows++
		}
	})
	if rows != 2 {
		t.Errorf("%d candidate rows, want 2", rows)
	}
}

func TestChoiceProbAndColour(t *testing.T) {
	top := []inference.TokenProb{{Token: 1, Prob: 0.6}, {Token: 2, Prob: 0.3}}
	for _, tc := range []struct {
		tok    choiceToken
		p      float32
		listed bool
	}{
		{choiceToken{Token: 2, Top: top}, 0.3, true},
		{choiceToken{Token: 9, Top: top}, 0.3, false},
		{choiceToken{Token: inference.NoToken}, 1, false},
	} {
		if p, listed := tc.tok.prob(); p != tc.p || listed != tc.listed {
			t.Errorf("prob(%+v) = %v, %v", tc.tok, p, listed)
		}
	}
	if hot, cool := confidenceColor(0, 255), confidenceColor(1, 255); hot.R <= cool.R || hot.G >= cool.G {
		t.Errorf("low confidence %v is not warmer than high %v", hot, cool)
	}
}

func abs32(x float32) float32 { return max(x, -x) }

func TestUnderHoodFollowsTheModel(t *testing.T) {
	hoodApp(t)
	msgs := []chat.Message{{Role: "user", Content: "Hi"}}
	u := newUnderHood(func() []chat.Message { return msgs }, func() *inference.Vocab {
		v, _ := inference.LoadVocab(stories(t))
		return v
	})
	w := test.NewTempWindow(t, container.NewAppTabs(container.NewTabItem("Inspect", u.inspectTab), container.NewTabItem("Tokens", u.tokensTab)))
	w.Resize(fyne.NewSize(1000, 700))
	if !hoodHasText(u.inspectTab, "Load a model") {
		t.Fatal("no hint without a model")
	}
	u.showInspect()
	u.setModel(stories(t))
	hoodWait(t, "the views", func() bool {
		var ok bool
		onUI(func() { ok = u.inspect != nil && u.tokens != nil })
		return ok
	})
	<-u.inspect.fmap.done // shown before the model came: the map starts with it
	onUI(func() {
		u.tokens.mode.SetSelected(tokensModeModel)
		before := len(u.tokens.ids)
		msgs = append(msgs, chat.Message{Role: "assistant", Content: "Hello there, friend"})
		u.conversationChanged()
		if len(u.tokens.ids) <= before {
			t.Errorf("what the model sees did not grow with the conversation: %d -> %d tokens", before, len(u.tokens.ids))
		}
	})
	onUI(func() { u.setModel(filepath.Join(t.TempDir(), "gone.gguf")) })
	hoodWait(t, "the error", func() bool {
		var ok bool
		onUI(func() { ok = hoodHasText(u.inspectTab, "Cannot inspect") })
		return ok
	})
	onUI(func() { u.setModel("") })
	if u.inspect != nil || !hoodHasText(u.tokensTab, "Load a model") {
		t.Error("views kept after the model went")
	}
}

// hoodHasText reports whether a label under o contains s.
func hoodHasText(o fyne.CanvasObject, s string) bool {
	found := false
	hoodWalk(o, func(x fyne.CanvasObject) {
		if l, ok := x.(*widget.Label); ok && strings.Contains(l.Text, s) {
			found = true
		}
	})
	return found
}

func TestAttachUnderHoodToTheWindow(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	before := len(h.w.tabs.Items)
	var u *underHood
	onUI(func() { u = attachUnderHood(h.w) })
	if len(h.w.tabs.Items) != before+3 || h.w.tabs.Items[before].Text != "Inspect" || h.w.tabs.Items[before+1].Text != "Architecture" || h.w.tabs.Items[before+2].Text != "Tokens" {
		t.Fatalf("tabs after attaching: %d", len(h.w.tabs.Items))
	}
	if err := h.c.LoadModel(stories(t)); err != nil {
		t.Fatal(err)
	}
	hoodWait(t, "the views to follow the model", func() bool {
		var ok bool
		onUI(func() { ok = u.inspect != nil && u.tokens != nil && u.arch != nil && u.path == stories(t) })
		return ok
	})
	onUI(func() { h.w.tabs.SelectIndex(before) })
	<-u.inspect.fmap.done // selecting the tab started the map
	onUI(func() { h.w.tabs.SelectIndex(before + 1) })
	onUI(func() { h.w.tabs.SelectIndex(before + 2) })
	h.c.Eject()
	hoodWait(t, "the views to drop the model", func() bool {
		var ok bool
		onUI(func() { ok = u.inspect == nil && u.arch == nil && u.path == "" })
		return ok
	})
}
