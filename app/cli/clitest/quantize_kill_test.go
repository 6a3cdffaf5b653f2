package clitest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"burrow/inference/gguf"
	"burrow/internal/testenv"
)

// TestQuantizeKilled stops a real `burrow quantize` once it has written its
// first tensor: with TERM it removes its temporary file, with KILL it
// cannot, and in neither case is there a half-written output: OUT is
// absent, or (if the kill came after the rename) a complete file.
func TestQuantizeKilled(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("signals")
	}
	bin := buildCLI(t)
	src := testenv.Path(t, "models", "round2", "llamakq-f32.gguf")
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out.gguf")
			// IQ4_NL on one thread is the slowest conversion: the signal lands mid-way.
			cmd := exec.Command(bin, "quantize", "--threads", "1", src, out, "iq4_nl")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(stderr)
			var first string
			if sc.Scan() {
				first = sc.Text()
			}
			cmd.Process.Signal(sig)
			var rest bytes.Buffer
			for sc.Scan() {
				rest.WriteString(sc.Text() + "\n")
			}
			err = cmd.Wait()
			t.Logf("first line %q; after the signal: %d more lines; exit %v", first, strings.Count(rest.String(), "\n"), err)
			if !strings.Contains(first, "[   1/  30]") {
				t.Fatalf("no progress line first: %q", first)
			}
			if _, statErr := os.Stat(out); statErr == nil {
				if err == nil {
					t.Log("the process finished before the signal arrived")
				}
				f, oerr := gguf.Open(out)
				if oerr != nil {
					t.Fatalf("the output exists but is not a complete GGUF file: %v", oerr)
				}
				f.Close()
			} else if err == nil {
				t.Fatal("exit 0 without an output")
			}
			temps, _ := filepath.Glob(filepath.Join(dir, ".out.gguf.tmp-*"))
			if sig == syscall.SIGTERM && len(temps) != 0 {
				t.Errorf("TERM left temporary files %v\nstderr:\n%s", temps, rest.String())
			}
			if sig == syscall.SIGTERM && err != nil && !strings.Contains(rest.String(), "canceled") {
				t.Errorf("stderr after TERM does not say it was cancelled:\n%s", rest.String())
			}
		})
	}
}
