package clitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"burrow/models/hubtest"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  string
	binDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildCLI compiles burrow without the window (app/cli/burrowcli: no cgo,
// quick to build), once per test run.
func buildCLI(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a binary")
	}
	buildOnce.Do(func() { builtBin, buildErr = build(moduleRoot(t)) })
	if buildErr != "" {
		t.Fatal(buildErr)
	}
	return builtBin
}

func build(root string) (string, string) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			return "", "no go command to build the CLI with"
		}
	}
	dir, err := os.MkdirTemp("", "burrow-clitest")
	if err != nil {
		return "", err.Error()
	}
	binDir = dir
	bin := filepath.Join(dir, "burrow")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command(goBin, "build", "-o", bin, "./app/cli/burrowcli")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Sprintf("go build: %v\n%s", err, out)
	}
	return bin, ""
}

func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// TestPullSurvivesSIGKILL kills a real `burrow pull` in the middle of a
// throttled transfer; a second run resumes from the part file and finishes
// with the sha256 verified.
func TestPullSurvivesSIGKILL(t *testing.T) {
	tmp := t.TempDir()
	bin := buildCLI(t)

	const repo, file = "bartowski/Kill-Test-GGUF", "Kill-Test-1B-Q8_0.gguf"
	data := hubtest.TinyGGUF("llama", "Kill Test", 3_000_000)
	srv := hubtest.New()
	defer srv.Close()
	srv.Add(repo, file, data)
	srv.Set(func(s *hubtest.Server) { s.Throttle = 400_000 })

	env := append(os.Environ(),
		"HF_ENDPOINT="+srv.URL, "HF_TOKEN=",
		"XDG_DATA_HOME="+filepath.Join(tmp, "data"), "XDG_STATE_HOME="+filepath.Join(tmp, "state"),
		"XDG_CONFIG_HOME="+filepath.Join(tmp, "config"), "XDG_CACHE_HOME="+filepath.Join(tmp, "cache"),
	)
	dest := filepath.Join(tmp, "data", "burrow", "models", repo, file)
	part := dest + ".part"

	// First run: killed once some bytes are on disk.
	first := exec.Command(bin, "pull", repo+"/"+file)
	first.Env = env
	var firstErr bytes.Buffer
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute) // a safety net, not a measurement
	for {
		if st, err := os.Stat(part); err == nil && st.Size() >= 300_000 {
			break
		}
		if time.Now().After(deadline) {
			first.Process.Kill()
			first.Wait()
			t.Fatalf("no progress; stderr:\n%s", firstErr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := first.Process.Kill(); err != nil { // SIGKILL on Unix: no cleanup runs
		t.Fatal(err)
	}
	first.Wait()
	t.Logf("first run's stderr (killed):\n%s", firstErr.String())
	st, err := os.Stat(part)
	if err != nil || st.Size() == 0 || st.Size() >= int64(len(data)) {
		t.Fatalf("after kill: part %v %v", st, err)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatal("model in the library before the transfer finished")
	}
	partSize := st.Size()

	// Second run: resumes and verifies.
	srv.Set(func(s *hubtest.Server) { s.Throttle = 0 })
	second := exec.Command(bin, "pull", "--json", repo+"/"+file)
	second.Env = env
	var out, errOut bytes.Buffer
	second.Stdout, second.Stderr = &out, &errOut
	if err := second.Run(); err != nil {
		t.Fatalf("second pull: %v\nstderr:\n%s", err, errOut.String())
	}
	var rep struct {
		Path  string `json:"path"`
		Bytes int64  `json:"bytes"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Path != dest || rep.Bytes != int64(len(data)) {
		t.Fatalf("stdout %q: %+v %v", out.String(), rep, err)
	}
	got, err := os.ReadFile(dest)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("model differs from the Hub's (%v)", err)
	}
	t.Logf("second run's stderr:\n%s", errOut.String())
	if !strings.Contains(errOut.String(), "sha256 verified") || !strings.Contains(errOut.String(), "resuming") {
		t.Fatalf("stderr:\n%s", errOut.String())
	}
	srv.Set(func(s *hubtest.Server) {
		if last := s.Ranges[len(s.Ranges)-1]; last != "bytes="+itoa(partSize)+"-" {
			t.Errorf("second run asked for %q; the part had %d bytes", last, partSize)
		}
	})

	// ls sees it, rm --yes deletes just that file.
	ls := exec.Command(bin, "ls", "--json")
	ls.Env = env
	lsOut, err := ls.Output()
	if err != nil {
		t.Fatal(err)
	}
	var lsRep struct {
		Models []struct {
			Path, Repo, Quant, Architecture string
		} `json:"models"`
		Downloads []any `json:"downloads"`
	}
	if err := json.Unmarshal(lsOut, &lsRep); err != nil || len(lsRep.Models) != 1 || lsRep.Models[0].Repo != repo ||
		lsRep.Models[0].Architecture != "llama" || len(lsRep.Downloads) != 0 {
		t.Fatalf("ls --json: %s (%v)", lsOut, err)
	}
	rm := exec.Command(bin, "rm", repo+"/"+file) // no --yes, no answer: refused
	rm.Env = env
	if err := rm.Run(); err == nil {
		t.Fatal("rm without --yes and without an answer deleted the model")
	}
	rm = exec.Command(bin, "rm", "--yes", repo+"/"+file)
	rm.Env = env
	if out, err := rm.CombinedOutput(); err != nil {
		t.Fatalf("rm: %v %s", err, out)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatal("rm --yes left the model")
	}
}

// TestPullGatedAndQuantPick checks the messages people see most.
func TestPullGatedAndQuantPick(t *testing.T) {
	tmp := t.TempDir()
	bin := buildCLI(t)
	srv := hubtest.New()
	defer srv.Close()
	srv.Add("meta-llama/Gated-GGUF", "Gated-1B-Q8_0.gguf", []byte("x"))
	srv.Gate("meta-llama/Gated-GGUF")
	srv.Add("o/Many-GGUF", "Many-1B-Q4_K_M.gguf", hubtest.TinyGGUF("llama", "q4", 1000))
	srv.Add("o/Many-GGUF", "Many-1B-Q8_0.gguf", hubtest.TinyGGUF("llama", "q8", 2000))
	env := append(os.Environ(), "HF_ENDPOINT="+srv.URL, "HF_TOKEN=",
		"XDG_DATA_HOME="+filepath.Join(tmp, "data"), "XDG_STATE_HOME="+filepath.Join(tmp, "state"))

	run := func(args ...string) (string, string, error) {
		c := exec.Command(bin, args...)
		c.Env = env
		var o, e bytes.Buffer
		c.Stdout, c.Stderr = &o, &e
		err := c.Run()
		return o.String(), e.String(), err
	}
	_, stderr, err := run("pull", "meta-llama/Gated-GGUF")
	want := "meta-llama/Gated-GGUF is gated: accept its license at " + srv.URL + "/meta-llama/Gated-GGUF and set HF_TOKEN"
	if err == nil || !strings.Contains(stderr, want) {
		t.Fatalf("gated: %v\n%s", err, stderr)
	}
	stdout, stderr, err := run("pull", "o/Many-GGUF", "--quant", "q4_k_m")
	if err != nil || !strings.HasSuffix(strings.TrimSpace(stdout), "Many-1B-Q4_K_M.gguf") {
		t.Fatalf("quant pick: %v %q\n%s", err, stdout, stderr)
	}
	if _, stderr, err = run("pull", "o/Many-GGUF", "--quant", "Q6_K"); err == nil || !strings.Contains(stderr, "Q8_0") {
		t.Fatalf("missing quant: %v\n%s", err, stderr)
	}
	if _, stderr, err = run("pull", "o/Many-GGUF/../../../etc/x.gguf"); err == nil || !strings.Contains(stderr, "invalid model name") {
		t.Fatalf("traversal: %v\n%s", err, stderr)
	}
	// Pulling again does not overwrite.
	if _, stderr, err = run("pull", "o/Many-GGUF", "--quant", "Q4_K_M"); err != nil || !strings.Contains(stderr, "already in the library") {
		t.Fatalf("second pull: %v\n%s", err, stderr)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
