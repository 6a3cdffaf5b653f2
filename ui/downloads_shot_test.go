package ui

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"github.com/adrg/xdg"

	"burrow/app"
	"burrow/app/api"
	"burrow/app/apptest"
	"burrow/models"
	"burrow/models/hubtest"
)

// TestDownloadsWindowShot pictures the Downloads tab in the whole window on
// a fake Hub (search results, one download done and loaded, one running) with the
// local API server on: BURROW_UI_SHOTS=DIR go test ./ui -run DownloadsWindowShot
// writes DIR/downloads.png (skipped otherwise).
func TestDownloadsWindowShot(t *testing.T) {
	dir := os.Getenv("BURROW_UI_SHOTS")
	if dir == "" {
		t.Skip("set BURROW_UI_SHOTS to a folder to make the picture")
	}
	useTempXDG(t)
	test.NewTempApp(t)
	fyne.CurrentApp().Settings().SetTheme(theme.DarkTheme()) //nolint:staticcheck // the shipped look
	srv := hubtest.New()
	t.Cleanup(srv.Close)
	const repo = "bartowski/Tiny-Chat-GGUF"
	srv.Add(repo, "Tiny-Chat-1B-Q8_0.gguf", hubtest.TinyGGUF("llama", "Tiny Chat", 300_000))
	srv.Add(repo, "Tiny-Chat-1B-Q4_K_M.gguf", hubtest.TinyGGUF("llama", "Tiny Chat", 150_000))
	starter := models.Starters[0]
	srv.Add(starter.Repo, starter.File, hubtest.TinyGGUF("qwen2", "Starter", 4_000_000))

	lib := models.OpenLibrary()
	m := models.NewManager(models.Options{Hub: &models.Hub{Endpoint: srv.URL, Client: srv.Client()}, Library: lib,
		Backoff: time.Millisecond, FreeSpace: func(string) (uint64, error) { return 1 << 40, nil }})
	c := app.NewController(apptest.NewFakeEngine(), lib)
	c.SetServerStarter(api.StartLocal)
	w := NewWindow(fyne.CurrentApp(), c)
	w.win.Resize(fyne.NewSize(1200, 780))
	defer func() { w.win.Close(); c.Close() }()
	v := newDownloadsView(w.win, m, func(string) {})
	w.SetDownloadsView(v.object)
	attachUnderHood(w) // the rail as in the app
	if _, err := c.StartServer(app.ServerConfig{Port: -1}); err != nil {
		t.Fatal(err)
	}
	w.tabs.Select(w.dlTab)

	typeUI(v.search, "tiny-chat")
	tapUI(v.searchBtn)
	eventually(t, "search results", func() bool { return v.repoBtns[repo] != nil })
	tapUI(v.repoBtns[repo])
	done := repo + "/Tiny-Chat-1B-Q8_0.gguf"
	eventually(t, "file list", func() bool { return v.fileBtns[done] != nil })
	tapUI(v.fileBtns[done])
	eventually(t, "the first download", func() bool { r, ok := v.rows[done]; return ok && r.state == models.StateDone })
	if err := c.LoadModel(filepath.Join(xdg.DataHome, "burrow", "models", repo, "Tiny-Chat-1B-Q8_0.gguf")); err != nil {
		t.Fatal(err)
	}
	srv.Set(func(h *hubtest.Server) { h.Throttle = 400_000 })
	running := starter.Repo + "/" + starter.File
	tapUI(v.starterBtns[running])
	eventually(t, "the second download running", func() bool {
		r, ok := v.rows[running]
		return ok && r.state == models.StateRunning && r.bar.Value > 0.1
	})
	windowShot(t, w, filepath.Join(dir, "downloads.png"))
}
