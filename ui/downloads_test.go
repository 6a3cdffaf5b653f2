package ui

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/adrg/xdg"

	"burrow/models"
	"burrow/models/hubtest"
)

// dlEnv is a Downloads view in a test window on a fake Hub.
type dlEnv struct {
	srv    *hubtest.Server
	m      *models.Manager
	v      *downloadsView
	win    fyne.Window
	loaded []string
}

func newDLEnv(t *testing.T) *dlEnv {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	xdg.Reload()
	test.NewTempApp(t)
	srv := hubtest.New()
	t.Cleanup(srv.Close)
	hub := &models.Hub{Endpoint: srv.URL, Client: srv.Client()}
	m := models.NewManager(models.Options{Hub: hub, Library: models.OpenLibrary(), Backoff: time.Millisecond,
		FreeSpace: func(string) (uint64, error) { return 1 << 40, nil }})
	e := &dlEnv{srv: srv, m: m}
	e.win = test.NewTempWindow(t, nil)
	e.v = newDownloadsView(e.win, m, func(p string) { e.loaded = append(e.loaded, p) })
	e.win.SetContent(e.v.object)
	e.win.Resize(fyne.NewSize(1000, 760))
	return e
}

// eventually polls cond; the deadline is a safety net, not a measurement.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var ok bool
		onUI(func() { ok = cond() }) // on the tests' UI thread, as waitFor
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *dlEnv) jobState(id string) (models.JobState, bool) {
	r, ok := e.v.rows[id]
	if !ok {
		return "", false
	}
	return r.state, true
}

func TestDownloadsViewSearchDownloadLoad(t *testing.T) {
	e := newDLEnv(t)
	const repo = "bartowski/Tiny-Chat-GGUF"
	e.srv.Add(repo, "Tiny-Chat-1B-Q8_0.gguf", hubtest.TinyGGUF("llama", "Tiny Chat", 300_000))
	e.srv.Add(repo, "Tiny-Chat-1B-Q4_K_M.gguf", hubtest.TinyGGUF("llama", "Tiny Chat q4", 150_000))

	if len(e.v.starterBtns) != len(models.Starters) {
		t.Fatalf("%d starter buttons, want %d", len(e.v.starterBtns), len(models.Starters))
	}
	typeUI(e.v.search, "tiny-chat")
	tapUI(e.v.searchBtn)
	eventually(t, "search results", func() bool { return e.v.repoBtns[repo] != nil })
	tapUI(e.v.repoBtns[repo])
	id := repo + "/Tiny-Chat-1B-Q8_0.gguf"
	eventually(t, "file list", func() bool { return e.v.fileBtns[id] != nil })
	text := strings.Join(labels(e.v.results), " | ")
	for _, want := range []string{"Q8_0", "Q4_K_M", "1B", "300.0 kB"} {
		if !strings.Contains(text, want) {
			t.Errorf("results lack %q: %s", want, text)
		}
	}
	tapUI(e.v.fileBtns[id])
	eventually(t, "download done", func() bool { s, _ := e.jobState(id); return s == models.StateDone })
	row := e.v.rows[id]
	if !row.load.Visible() || row.pause.Visible() || row.bar.Value != 1 {
		t.Fatalf("done row: load %v pause %v bar %v", row.load.Visible(), row.pause.Visible(), row.bar.Value)
	}
	tapUI(row.load)
	want := filepath.Join(os.Getenv("XDG_DATA_HOME"), "burrow", "models", repo, "Tiny-Chat-1B-Q8_0.gguf")
	if len(e.loaded) != 1 || e.loaded[0] != want {
		t.Fatalf("onLoad got %q, want %q", e.loaded, want)
	}
	saveScreenshot(t, e.win, "downloads-done.png")
}

func TestDownloadsViewPauseResumeCancel(t *testing.T) {
	e := newDLEnv(t)
	s := models.Starters[0]
	e.srv.Add(s.Repo, s.File, hubtest.TinyGGUF("qwen2", "Starter", 2_000_000))
	e.srv.Set(func(h *hubtest.Server) { h.Throttle = 300_000 })
	id := s.Repo + "/" + s.File

	tapUI(e.v.starterBtns[id])
	eventually(t, "download running", func() bool {
		r, ok := e.v.rows[id]
		return ok && r.state == models.StateRunning && r.bar.Value > 0
	})
	saveScreenshot(t, e.win, "downloads-running.png")
	tapUI(e.v.rows[id].pause)
	eventually(t, "paused", func() bool { st, _ := e.jobState(id); return st == models.StatePaused })
	if r := e.v.rows[id]; !r.resume.Visible() || r.pause.Visible() {
		t.Fatal("paused row should offer Resume, not Pause")
	}
	e.srv.Set(func(h *hubtest.Server) { h.Throttle = 0 })
	tapUI(e.v.rows[id].resume)
	eventually(t, "done after resume", func() bool { st, _ := e.jobState(id); return st == models.StateDone })

	// Cancel asks first, then removes the row and the part file.
	s2 := models.Starters[1]
	id2 := s2.Repo + "/" + s2.File
	e.srv.Add(s2.Repo, s2.File, hubtest.TinyGGUF("llama", "Second", 2_000_000))
	e.srv.Set(func(h *hubtest.Server) { h.Throttle = 300_000 })
	tapUI(e.v.starterBtns[id2])
	eventually(t, "second running", func() bool {
		r, ok := e.v.rows[id2]
		return ok && r.state == models.StateRunning && r.bar.Value > 0
	})
	tapUI(e.v.rows[id2].cancel)
	yes := findButton(e.win.Canvas().Overlays().Top(), "Yes")
	if yes == nil {
		t.Fatal("no confirmation before cancelling")
	}
	tapUI(yes)
	eventually(t, "row removed", func() bool { _, ok := e.v.rows[id2]; return !ok })
	st, _ := e.m.Job(id2)
	if _, err := os.Stat(st.Path + ".part"); err == nil {
		t.Fatal("part file kept after cancel")
	}
}

func labels(o fyne.CanvasObject) []string {
	var out []string
	onUI(func() {
		for _, obj := range test.LaidOutObjects(o) {
			if l, ok := obj.(*widget.Label); ok && l.Visible() {
				out = append(out, l.Text)
			}
		}
	})
	return out
}

func findButton(o fyne.CanvasObject, text string) *widget.Button {
	if o == nil {
		return nil
	}
	for _, obj := range test.LaidOutObjects(o) {
		if b, ok := obj.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	return nil
}

// saveScreenshot writes the window to $BURROW_SCREENSHOT_DIR (when set) so
// a person can look at the view.
func saveScreenshot(t *testing.T, w fyne.Window, name string) {
	dir := os.Getenv("BURROW_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, w.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}

func TestDownloadsViewGatedRepoExplains(t *testing.T) {
	e := newDLEnv(t)
	s := models.Starters[1]
	e.srv.Add(s.Repo, s.File, []byte("x"))
	e.srv.Gate(s.Repo)
	tapUI(e.v.starterBtns[s.Repo+"/"+s.File])
	want := s.Repo + " is gated: accept its license at " + e.srv.URL + "/" + s.Repo + " and set HF_TOKEN"
	eventually(t, "gated message", func() bool {
		top := e.win.Canvas().Overlays().Top()
		// The error dialog capitalises the first letter.
		return top != nil && strings.Contains(strings.ToLower(strings.Join(labels(top), " ")), strings.ToLower(want))
	})
	saveScreenshot(t, e.win, "downloads-gated.png")
}
