package ui

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"burrow/app"
	"burrow/inference"
	"burrow/inference/chat"
	"burrow/inference/llama"
	"burrow/internal/testenv"
	"burrow/internal/units"
)

func round2Model(t *testing.T, name string) string {
	return testenv.Path(t, "models", "round2", name+".gguf")
}

// TestArchitectureViewRound2 reads the drawing back for a llama, a
// qwen3moe and a gemma3 file: one row per block with the family's parts in
// order, each box saying what the file's layer is, a tapped part listing
// its tensors, and the memory panel's bars per layer.
func TestArchitectureViewRound2(t *testing.T) {
	hoodApp(t)
	for _, name := range []string{"llamakq-q4_k_m", "qwen3moe-q4_k_m", "gemma3-q4_k_m"} {
		t.Run(name, func(t *testing.T) {
			a, err := readAnatomy(round2Model(t, name))
			if err != nil {
				t.Fatal(err)
			}
			v := newArchView(a, nil, nil)
			w := test.NewTempWindow(t, v.object)
			w.Resize(fyne.NewSize(1200, 800))
			if len(v.blockBoxes) != a.Config.Layers || len(v.blockLabels) != a.Config.Layers {
				t.Fatalf("%d block rows for %d layers", len(v.blockBoxes), a.Config.Layers)
			}
			if !strings.HasPrefix(v.embedBox.label.Text, "Embedding\n") || !strings.HasPrefix(v.headBox.label.Text, "Output head\n") {
				t.Errorf("embedding %q, head %q", v.embedBox.label.Text, v.headBox.label.Text)
			}
			for l, row := range v.blockBoxes {
				var names []string
				for _, b := range row {
					names = append(names, strings.SplitN(b.label.Text, "\n", 2)[0])
				}
				got := strings.Join(names, ",")
				lbl := v.blockLabels[l].Text
				attn := row[0].label.Text
				switch a.Arch {
				case "llama":
					if got != "Attention,Feed-forward" || !strings.Contains(attn, "4 heads · 2 KV heads · head 64") || !strings.Contains(lbl, "global") ||
						!strings.Contains(row[1].label.Text, "SwiGLU · width 768") {
						t.Errorf("llama block %d: %s / %q / %q", l, got, lbl, attn)
					}
				case "qwen3moe":
					if got != "Attention,Router,Experts" || !strings.Contains(attn, "QK norm") ||
						!strings.Contains(row[1].label.Text, "4 experts, 2 per token") || !strings.Contains(row[2].label.Text, "4 × SwiGLU width 256") {
						t.Errorf("qwen3moe block %d: %s / %q / %q / %q", l, got, attn, row[1].label.Text, row[2].label.Text)
					}
				case "gemma3":
					want := "window 6"
					if l == 2 {
						want = "global"
					}
					if got != "Attention,Feed-forward" || !strings.Contains(lbl, want) || !strings.Contains(attn, want) ||
						!strings.Contains(attn, "post-norm") || !strings.Contains(row[1].label.Text, "GeGLU · width 512 · post-norm") {
						t.Errorf("gemma3 block %d: %s / %q / %q / %q", l, got, lbl, attn, row[1].label.Text)
					}
				}
			}

			// Tap the last block's last part: its tensors are listed.
			last := v.blockBoxes[len(v.blockBoxes)-1]
			box := last[len(last)-1]
			tapUI(box)
			l := len(v.blockBoxes) - 1
			if !strings.HasPrefix(v.partTitle.Text, "Block "+strconv.Itoa(l)+": "+box.part.Name) || v.selected != box.part {
				t.Errorf("title %q after tapping %s", v.partTitle.Text, box.part.Name)
			}
			for i, x := range box.part.Tensors {
				if v.tensorCell(i, 0) != x.Name || v.tensorCell(i, 1) != x.Type || v.tensorCell(i, 2) != shapeText(x.Shape) {
					t.Errorf("row %d: %s %s %s, want %+v", i, v.tensorCell(i, 0), v.tensorCell(i, 1), v.tensorCell(i, 2), x)
				}
			}
			if r, _ := v.tensorTable.Length(); r != len(box.part.Tensors) {
				t.Errorf("%d rows for %d tensors", r, len(box.part.Tensors))
			}

			// Memory at 128 tokens, F16 (the default): each layer's bar
			// names its KV bytes.
			onUI(func() { v.memEntry.SetText("128") })
			mu := a.Memory(128, llama.DefaultKV)
			if !strings.Contains(v.memLabel.Text, "At 128 tokens") || len(v.memBars) != a.Config.Layers {
				t.Fatalf("memory label %q, %d bars", v.memLabel.Text, len(v.memBars))
			}
			for l, bar := range v.memBars {
				if want := units.IBytes(int64(mu.KVLayers[l])) + " (128 positions"; !strings.HasPrefix(bar.TextFormatter(), want) || mu.KVLayers[l] == 0 {
					t.Errorf("layer %d bar %q", l, bar.TextFormatter())
				}
			}
			for _, kv := range []llama.KVType{llama.KVF32, llama.KVQ8_0} {
				onUI(func() { v.memKV.SetSelected(strings.ToUpper(kv.String())) })
				if want := units.IBytes(int64(a.Memory(128, kv).KVLayers[0])); !strings.HasPrefix(v.memBars[0].TextFormatter(), want) {
					t.Errorf("%s bar %q", kv, v.memBars[0].TextFormatter())
				}
			}
		})
	}
}

// traceRun runs the view's prompt and waits for it.
func traceRun(t *testing.T, tv *traceView) {
	t.Helper()
	done := make(chan struct{}, 1)
	tv.done = func() { done <- struct{}{} }
	tapUI(tv.runBtn)
	hoodWait(t, "the trace", func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	})
}

// TestRunItThroughGemma3 runs a prompt through the real engine from the
// view: the heatmap shows every token, masked cells are grey (the sliding
// window on layers 0 and 1), hovering names the tokens, the lens table has
// a row per layer whose last row is the model's own prediction; a long
// prompt is summarised and the view says so.
func TestRunItThroughGemma3(t *testing.T) {
	hoodApp(t)
	path := round2Model(t, "gemma3-q4_k_m")
	m, err := inference.LoadModel(path, inference.LoadOptions{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	a, err := readAnatomy(path)
	if err != nil {
		t.Fatal(err)
	}
	v := newArchView(a, m.Trace, nil)
	w := test.NewTempWindow(t, v.object)
	w.Resize(fyne.NewSize(1200, 800))
	v.tabs.SelectIndex(1)
	tv := v.trace
	typeUI(tv.input, " once upon a time, far away")
	traceRun(t, tv)
	res := tv.res
	if res == nil {
		t.Fatalf("no trace: %s", tv.status.Text)
	}
	n := len(res.Tokens)
	if n < 10 || res.Summarised || tv.heat.n != n || len(tv.layerSel.Options) != 3 || tv.layerSel.Options[0] != "layer 0 (window 6)" || tv.layerSel.Options[2] != "layer 2 (global)" {
		t.Fatalf("%d tokens, heat %d, layers %v", n, tv.heat.n, tv.layerSel.Options)
	}
	if tv.layer != 2 || !strings.Contains(tv.status.Text, "through 3 layers of 2 heads") {
		t.Errorf("layer %d, status %q", tv.layer, tv.status.Text)
	}
	// The lens table: one row per layer; the last is the model's argmax.
	if r, _ := tv.lens.Length(); r != 3 {
		t.Errorf("lens rows %d", r)
	}
	best := 0
	for i, x := range res.Logits {
		if x > res.Logits[best] {
			best = i
		}
	}
	if got := tv.lensCell(2, 1); !strings.HasPrefix(got, visibleText(res.TokenText(best))+" ") {
		t.Errorf("last layer's first lens cell %q, the model's argmax %q", got, res.TokenText(best))
	}
	// A thumbnail per head; a tap shows that head.
	if len(tv.thumbs.Objects) != 2 {
		t.Fatalf("%d head thumbnails", len(tv.thumbs.Objects))
	}
	tapUI(tv.thumbs.Objects[1].(*heatmap))
	if tv.head != 1 || tv.headSel.SelectedIndex() != 1 || !tv.thumbs.Objects[1].(*heatmap).selected {
		t.Errorf("after tapping head 1's thumbnail: head %d", tv.head)
	}
	tv.headSel.SetSelectedIndex(0)
	// Layer 0 is windowed: the last token cannot see the first.
	tv.layerSel.SetSelectedIndex(0)
	if got := tv.describeCell(n-1, 0); !strings.Contains(got, "outside the window") || !strings.Contains(got, "layer 0 (window 6)") {
		t.Errorf("layer 0 cell (%d, 0): %q", n-1, got)
	}
	if got := tv.describeCell(0, 1); !strings.HasSuffix(got, "masked") {
		t.Errorf("cell (0, 1): %q", got)
	}
	if c := tv.heat.pixel(0, 199, 200, 200); c != maskedCell {
		t.Errorf("the bottom-left cell of a windowed layer is %v, not masked", c)
	}
	tv.layerSel.SetSelectedIndex(2)
	if got := tv.describeCell(n-1, 0); !strings.Contains(got, "“<s>” (0)") || strings.Contains(got, "masked") || strings.Contains(got, "outside") {
		t.Errorf("global layer cell (%d, 0): %q", n-1, got)
	}
	// Hover over the bottom-left cell.
	if len(tv.heat.texts) != n || tv.heat.texts[1].Text != visibleText(res.Pieces[1]) {
		t.Errorf("%d row labels for %d tokens", len(tv.heat.texts), n)
	}
	tv.heat.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(tv.heat.margin+1, tv.heat.side-1)}})
	if !strings.Contains(tv.hover.Text, "→ “<s>” (0)") {
		t.Errorf("hover text %q", tv.hover.Text)
	}

	// A long prompt is summarised, and says so.
	tv.input.SetText(strings.Repeat("once upon a time there was a dog. ", 12))
	traceRun(t, tv)
	if !tv.res.Summarised || tv.heat.n != traceMaxTokens || !strings.Contains(tv.status.Text, "summarised into 96 bins") {
		t.Errorf("long prompt: summarised %v, heat %d, status %q", tv.res.Summarised, tv.heat.n, tv.status.Text)
	}
	if got := tv.describeCell(traceMaxTokens-1, 0); !strings.Contains(got, "tokens ") {
		t.Errorf("summarised cell: %q", got)
	}

	// The conversation, as the chat template renders it.
	msgs := []chat.Message{{Role: "user", Content: "Where is the dog?"}}
	tv.conversation = func() []chat.Message { return msgs }
	tv.mode.SetSelected(traceModeChat)
	if !tv.input.Disabled() {
		t.Error("the prompt entry is editable in conversation mode")
	}
	traceRun(t, tv)
	pr, err := m.Prompt(msgs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tv.res.Tokens, pr.Tokens) {
		t.Errorf("conversation trace tokens %v, the prompt's %v (status %q)", tv.res.Tokens, pr.Tokens, tv.status.Text)
	}
	tv.conversation = func() []chat.Message { return nil }
	tapUI(tv.runBtn)
	if !strings.Contains(tv.status.Text, "The conversation is empty") {
		t.Errorf("empty conversation status %q", tv.status.Text)
	}
	tv.mode.SetSelected(traceModeText)

	// Nothing to run: a clear word, no trace.
	tv.input.SetText("  ")
	tapUI(tv.runBtn)
	if !strings.Contains(tv.status.Text, "Type a prompt") {
		t.Errorf("empty prompt status %q", tv.status.Text)
	}
}

// TestArchitectureWindowShots pictures the Architecture tab of the three
// round2 files and "Run it through" on gemma3 in the whole window, on the
// real engine: BURROW_UI_SHOTS=DIR go test ./ui -run ArchitectureWindowShots.
func TestArchitectureWindowShots(t *testing.T) {
	dir := os.Getenv("BURROW_UI_SHOTS")
	if dir == "" {
		t.Skip("set BURROW_UI_SHOTS to a folder to make the pictures")
	}
	useTempXDG(t)
	test.NewTempApp(t)
	fyne.CurrentApp().Settings().SetTheme(theme.DarkTheme()) //nolint:staticcheck // the shipped look
	wk := inference.NewWorker()
	c := app.NewController(wk, &fakeLibrary{})
	w := NewWindow(fyne.CurrentApp(), c)
	w.win.Resize(fyne.NewSize(1280, 820))
	defer func() { w.win.Close(); c.Close() }()
	u := attachUnderHood(w)
	var archTab int
	for i, it := range w.tabs.Items {
		if it.Text == "Architecture" {
			archTab = i
		}
	}
	for _, name := range []string{"llamakq-q4_k_m", "qwen3moe-q4_k_m", "gemma3-q4_k_m"} {
		path := round2Model(t, name)
		if err := c.LoadModel(path); err != nil {
			t.Fatal(err)
		}
		hoodWait(t, "the model", func() bool {
			var ok bool
			onUI(func() { ok = c.Model().Loaded() && c.Model().Path == path && u.arch != nil && u.path == path })
			return ok
		})
		onUI(func() {
			w.tabs.SelectIndex(archTab)
			bb := u.arch.blockBoxes
			tapUI(bb[len(bb)-1][len(bb[len(bb)-1])-1])
		})
		windowShot(t, w, filepath.Join(dir, "arch-"+strings.SplitN(name, "-", 2)[0]+".png"))
	}
	runShot := func(layer int, prompt, file string) {
		tv := u.arch.trace
		onUI(func() {
			u.arch.tabs.SelectIndex(1)
			tv.input.SetText(prompt)
		})
		done := make(chan struct{}, 1)
		onUI(func() {
			tv.done = func() { done <- struct{}{} }
			tv.start()
		})
		<-done
		onUI(func() {
			tv.layerSel.SetSelectedIndex(layer)
			n := float32(tv.heat.n)
			tv.heat.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(tv.heat.margin+tv.heat.side*(n-3.5)/n, tv.heat.side*(n-0.5)/n)}})
		})
		windowShot(t, w, filepath.Join(dir, file))
	}
	runShot(0, "Once upon a time, there was a little dog named Max. He loved to play", "trace.png")

	// A trained model (stories260K) for a lens that reads as words.
	path := stories(t)
	if err := c.LoadModel(path); err != nil {
		t.Fatal(err)
	}
	hoodWait(t, "stories", func() bool {
		var ok bool
		onUI(func() { ok = c.Model().Loaded() && c.Model().Path == path && u.arch != nil && u.path == path })
		return ok
	})
	runShot(4, "Once upon a time, there was a little girl named Lily. She loved to play in the", "trace-stories.png")
}
