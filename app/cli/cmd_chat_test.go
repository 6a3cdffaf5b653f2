package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"burrow/inference/synth"
	"burrow/internal/testenv"
)

// TestChatPiped drives burrow chat through standard input: a greedy reply,
// /reset, the same message again (the same reply, from the cache), /exit.
func TestChatPiped(t *testing.T) {
	model := testenv.Path(t, "models", "stories260K-f32.gguf")
	var out, errOut bytes.Buffer
	root := NewCLI()
	root.SetArgs([]string{"chat", "--model", model, "--temp", "0", "-n", "12", "--threads", "1", "--system", "Tell a story."})
	root.SetIn(strings.NewReader("Once upon a time\n/reset\nOnce upon a time\n/exit\nnever read\n"))
	root.SetOut(&out)
	root.SetErr(&errOut)
	if err := root.Execute(); err != nil {
		t.Fatalf("chat: %v\n%s", err, errOut.String())
	}
	lines := strings.Split(out.String(), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "> ") || lines[0] == "> " {
		t.Fatalf("output %q", out.String())
	}
	// The second reply follows the "> " of /reset's prompt.
	if first, second := lines[0], strings.TrimPrefix(lines[1], "> "); first != second {
		t.Errorf("after /reset the greedy reply changed: %q then %q", first, second)
	}
	stats := strings.Count(errOut.String(), "stop: max_tokens]")
	if stats != 2 || !strings.Contains(errOut.String(), "(new conversation)") {
		t.Errorf("stderr %q", errOut.String())
	}
	if !strings.Contains(errOut.String(), "(1 new)") {
		t.Errorf("the repeated turn should evaluate one new token: %q", errOut.String())
	}
	if strings.Contains(out.String(), "never read") {
		t.Error("input after /exit was used")
	}
}

// tmuxSession runs a command in its own tmux server, as a user's terminal.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func newTmux(t *testing.T, command string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is not installed (make setup installs it)")
		}
		t.Skip("tmux is not installed")
	}
	s := &tmuxSession{t: t, socket: fmt.Sprintf("burrow-chat-test-%d-%d", os.Getpid(), time.Now().UnixNano())}
	// The command's exit status is printed so the test can see it end.
	s.run("new-session", "-d", "-s", "chat", "-x", "160", "-y", "50", command+"; echo EXITED $?; sleep 600")
	t.Cleanup(func() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	return s
}

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (s *tmuxSession) screen() string { return s.run("capture-pane", "-p", "-J", "-t", "chat") }

func (s *tmuxSession) keys(keys ...string) {
	s.run(append([]string{"send-keys", "-t", "chat"}, keys...)...)
}

// waitFor polls the screen until cond holds; the deadline only bounds a
// hung test, it asserts nothing about speed.
func (s *tmuxSession) waitFor(what string, cond func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		scr := s.screen()
		if cond(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waiting for %s; the screen:\n%s", what, scr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func contains(sub string) func(string) bool {
	return func(s string) bool { return strings.Contains(s, sub) }
}

func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "burrow")
	cmd := exec.Command("go", "build", "-o", bin, "burrow/app/cli/burrowcli")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the CLI: %v\n%s", err, out)
	}
	return bin
}

// TestChatInTmux types into burrow chat in a terminal: a streamed reply
// with its statistics, Ctrl+C stopping a long reply without quitting, and
// Ctrl+C at the prompt quitting cleanly.
func TestChatInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI and runs it in tmux")
	}
	stories := testenv.Path(t, "models", "stories260K-f32.gguf")
	vocab := testenv.Path(t, "vocab", "ggml-vocab-llama-bpe.gguf")
	bin := buildCLI(t)

	t.Run("reply", func(t *testing.T) {
		s := newTmux(t, bin+" chat --model "+stories+" --temp 0 -n 16 -t 1")
		s.waitFor("the banner", contains("/exit quits"))
		s.keys("Once upon a time", "Enter")
		scr := s.waitFor("the statistics", contains("stop: max_tokens]"))
		if !strings.Contains(scr, "16 tokens") || !strings.Contains(scr, "tok/s") || !strings.Contains(scr, "first token") {
			t.Errorf("statistics missing:\n%s", scr)
		}
		// The reply is the one the same binary gives with piped input.
		piped := exec.Command(bin, "chat", "--model", stories, "--temp", "0", "-n", "16", "-t", "1")
		piped.Stdin = strings.NewReader("Once upon a time\n")
		out, err := piped.Output()
		if err != nil {
			t.Fatal(err)
		}
		reply := strings.TrimSpace(strings.TrimPrefix(strings.SplitN(string(out), "\n", 2)[0], "> "))
		if reply == "" || !strings.Contains(scr, reply) {
			t.Errorf("the screen does not show the reply %q:\n%s", reply, scr)
		}
		s.keys("/exit", "Enter")
		s.waitFor("the exit", contains("EXITED 0"))
	})

	t.Run("ctrl-c", func(t *testing.T) {
		// A random model with a real 128k vocabulary rarely ends a reply:
		// it runs until Ctrl+C.
		model := filepath.Join(t.TempDir(), "synth.gguf")
		if err := synth.Write(model, synth.Options{Preset: "tiny", VocabFrom: vocab, Std: 0.5, Seed: 3, Context: 4096}); err != nil {
			t.Fatal(err)
		}
		s := newTmux(t, bin+" chat --model "+model+" --temp 1 -t 1")
		s.waitFor("the banner", contains("/exit quits"))
		s.keys("Tell me everything", "Enter")
		s.waitFor("a streaming reply", func(scr string) bool {
			_, after, ok := strings.Cut(scr, "> Tell me everything")
			return ok && len(strings.TrimSpace(after)) > 20
		})
		s.keys("C-c")
		scr := s.waitFor("the reply to stop", contains("stop: cancelled"))
		if strings.Contains(scr, "EXITED") {
			t.Fatalf("Ctrl+C during a reply ended the program:\n%s", scr)
		}
		// Still chatting: another message gets another reply.
		s.keys("Hi", "Enter")
		s.waitFor("a second reply", func(scr string) bool {
			_, after, ok := strings.Cut(scr, "> Hi")
			return ok && len(strings.TrimSpace(after)) > 5
		})
		s.keys("C-c")
		s.waitFor("the second stop", func(scr string) bool { return strings.Count(scr, "stop: cancelled") == 2 })
		s.keys("C-c") // at the prompt: quit
		s.waitFor("the exit", contains("EXITED 0"))
	})
}
