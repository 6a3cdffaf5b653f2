package instance

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"burrow/internal/testenv"
)

// The desktop path end to end, with the real binary under Xvfb: a launch
// with a .gguf (what a file manager runs) opens the window with that model
// loaded, and a second launch with another file hands it to that window and
// exits. The window's loaded model is observed through settings.json, which
// the app rewrites with last_model each time a model finishes loading.
func TestDesktopLaunchHandsFileToRunningWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Fyne binary")
	}
	xvfb, err := exec.LookPath("xvfb-run")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("xvfb-run missing in CI (make setup installs it)")
		}
		t.Skip("xvfb-run not installed")
	}
	modelA := testenv.Path(t, "models", "stories260K-f32.gguf")
	modelB := testenv.Path(t, "models", "stories260K-q8_0.gguf")

	tmp := t.TempDir()
	bin := filepath.Join(tmp, "burrow")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "../.." // the module root, where main.go is
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	env := func(name string) []string {
		home := filepath.Join(tmp, name)
		run := filepath.Join(home, "run")
		if err := os.MkdirAll(run, 0o700); err != nil {
			t.Fatal(err)
		}
		return append(os.Environ(),
			"XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_CONFIG_HOME="+filepath.Join(home, "config"),
			"XDG_STATE_HOME="+filepath.Join(home, "state"), "XDG_CACHE_HOME="+filepath.Join(home, "cache"),
			"XDG_RUNTIME_DIR="+run)
	}
	xvfbArgs := []string{"-a", "-s", "-screen 0 1280x800x24", bin}

	// 1. Screenshot mode with a model and no prompt: it exits 0 only once
	// the model has loaded, after saving the window as a PNG.
	shot := filepath.Join(tmp, "loaded.png")
	cmd := exec.CommandContext(ctx, xvfb, append(xvfbArgs, modelA, "--screenshot", shot)...)
	cmd.Env = env("shot")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("screenshot run: %v\n%s", err, out)
	}
	checkScreenshot(t, shot)

	// 2. Launched as a file manager does: `burrow FILE.gguf`.
	winEnv := env("window")
	settings := filepath.Join(tmp, "window", "config", "burrow", "settings.json")
	var firstOut bytes.Buffer
	first := exec.Command(xvfb, append(xvfbArgs, modelA)...)
	first.Env = winEnv
	first.Stdout, first.Stderr = &firstOut, &firstOut
	first.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // xvfb-run, Xvfb and burrow stop together
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- first.Wait() }()
	defer func() {
		syscall.Kill(-first.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			syscall.Kill(-first.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}()
	waitLastModel(ctx, t, settings, modelA, exited, &firstOut)

	// 3. A second launch with another file, no display needed: it must hand
	// the file over and exit 0 without opening a window of its own.
	second := exec.CommandContext(ctx, bin, modelB)
	second.Env = append(winEnv, "DISPLAY=")
	if out, err := second.CombinedOutput(); err != nil {
		t.Fatalf("second launch: %v\n%s", err, out)
	}
	waitLastModel(ctx, t, settings, modelB, exited, &firstOut)
}

// waitLastModel polls settings.json until the window reports want loaded,
// failing if the window exits or ctx ends first.
func waitLastModel(ctx context.Context, t *testing.T, settings, want string, exited <-chan error, out *bytes.Buffer) {
	t.Helper()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		var s struct {
			LastModel string `json:"last_model"`
		}
		if data, err := os.ReadFile(settings); err == nil && json.Unmarshal(data, &s) == nil {
			last = s.LastModel
			if last == want {
				return
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("window exited (%v) before loading %s\n%s", err, want, out)
		case <-ctx.Done():
			t.Fatalf("window did not load %s (last_model %q)\n%s", want, last, out)
		case <-tick.C:
		}
	}
}

// checkScreenshot checks the PNG is a window-sized picture with content.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 300 || uniform(img) {
		t.Fatalf("screenshot %v looks empty", b)
	}
}

func uniform(img image.Image) bool {
	b := img.Bounds()
	r0, g0, b0, _ := img.At(b.Min.X, b.Min.Y).RGBA()
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			if r, g, bb, _ := img.At(x, y).RGBA(); r != r0 || g != g0 || bb != b0 {
				return false
			}
		}
	}
	return true
}
