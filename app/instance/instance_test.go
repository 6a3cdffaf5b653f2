package instance

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// instanceNetworks are the transports tested here: the Unix socket where the
// platform has one, and the loopback TCP port Windows uses (it runs anywhere).
func instanceNetworks() []string {
	if runtime.GOOS == "windows" || defaultInstanceNetwork != "unix" {
		return []string{"tcp"}
	}
	return []string{"unix", "tcp"}
}

func testInstanceConfig(t *testing.T, network string) instanceConfig {
	t.Helper()
	return instanceConfig{dir: filepath.Join(t.TempDir(), "run"), network: network, wait: 2 * time.Second}
}

// claimFirst makes the running instance and closes it when the test ends.
func claimFirst(t *testing.T, cfg instanceConfig) *Instance {
	t.Helper()
	in, handed, err := claimInstance(cfg, "")
	if err != nil || handed || in == nil {
		t.Fatalf("first claim: instance %v, handed %v, err %v", in != nil, handed, err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}

// receive waits for the next delivered path; a generous bound only turns a
// hang into a failure.
func receive(t *testing.T, in *Instance) string {
	t.Helper()
	select {
	case p, ok := <-in.Paths():
		if !ok {
			t.Fatal("Paths closed")
		}
		return p
	case <-time.After(30 * time.Second):
		t.Fatal("no path delivered")
		return ""
	}
}

func expectNothing(t *testing.T, in *Instance) {
	t.Helper()
	select {
	case p := <-in.Paths():
		t.Fatalf("delivered %q, want nothing", p)
	default:
	}
}

func TestInstanceHandOff(t *testing.T) {
	for _, network := range instanceNetworks() {
		t.Run(network, func(t *testing.T) {
			cfg := testInstanceConfig(t, network)
			first := claimFirst(t, cfg)

			wd, _ := os.Getwd()
			cases := []struct{ arg, want string }{
				{"models/a.gguf", filepath.Join(wd, "models", "a.gguf")}, // made absolute by the sender
				{filepath.Join(t.TempDir(), "b c.gguf"), ""},             // spaces survive
				{"", ""}, // no file: bring the window forward
			}
			cases[1].want = cases[1].arg
			for _, c := range cases {
				in, handed, err := claimInstance(cfg, c.arg)
				if err != nil || !handed || in != nil {
					t.Fatalf("second launch with %q: instance %v, handed %v, err %v", c.arg, in != nil, handed, err)
				}
				if got := receive(t, first); got != c.want {
					t.Errorf("delivered %q, want %q", got, c.want)
				}
			}

			// After the window closes the next launch becomes the running one.
			first.Close()
			if _, ok := <-first.Paths(); ok {
				t.Error("Paths still open after Close")
			}
			if _, err := os.Stat(filepath.Join(cfg.dir, instanceAddrName)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("address file left after Close: %v", err)
			}
			next := claimFirst(t, cfg)
			if _, handed, err := claimInstance(cfg, "x.gguf"); err != nil || !handed {
				t.Fatalf("hand-off to the new instance: handed %v, err %v", handed, err)
			}
			if got := receive(t, next); filepath.Base(got) != "x.gguf" {
				t.Errorf("new instance got %q", got)
			}
		})
	}
}

// A crashed first instance leaves its socket and address file; the next
// launch must notice nobody holds the lock, replace them, and serve.
func TestInstanceStaleSocket(t *testing.T) {
	for _, network := range instanceNetworks() {
		t.Run(network, func(t *testing.T) {
			cfg := testInstanceConfig(t, network)
			if err := os.MkdirAll(cfg.dir, 0o700); err != nil {
				t.Fatal(err)
			}
			// Leftovers as a kill -9 leaves them: a socket file nobody listens
			// on (or a closed port) and an address file with an old token.
			ln, err := net.Listen(network, staleAddress(cfg))
			if err != nil {
				t.Fatal(err)
			}
			if ul, ok := ln.(*net.UnixListener); ok {
				ul.SetUnlinkOnClose(false)
			}
			addr := ln.Addr().String()
			ln.Close()
			stale, _ := json.Marshal(instanceAddr{Network: network, Address: addr, Token: "old"})
			if err := os.WriteFile(filepath.Join(cfg.dir, instanceAddrName), stale, 0o600); err != nil {
				t.Fatal(err)
			}

			first := claimFirst(t, cfg)
			if _, handed, err := claimInstance(cfg, "after-crash.gguf"); err != nil || !handed {
				t.Fatalf("hand-off after replacing stale files: handed %v, err %v", handed, err)
			}
			if got := receive(t, first); filepath.Base(got) != "after-crash.gguf" {
				t.Errorf("delivered %q", got)
			}
		})
	}
}

func staleAddress(cfg instanceConfig) string {
	if cfg.network == "unix" {
		return filepath.Join(cfg.dir, instanceSockName)
	}
	return "127.0.0.1:0"
}

// The real crash: a process holding the instance is killed; its lock dies
// with it and the next launch takes over.
func TestInstanceKilledProcess(t *testing.T) {
	if os.Getenv("BURROW_INSTANCE_HELPER") != "" {
		t.Skip("running as the helper")
	}
	for _, network := range instanceNetworks() {
		t.Run(network, func(t *testing.T) {
			cfg := testInstanceConfig(t, network)
			cmd := exec.Command(os.Args[0], "-test.run=^TestInstanceHelperProcess$")
			cmd.Env = append(os.Environ(), "BURROW_INSTANCE_HELPER="+cfg.dir, "BURROW_INSTANCE_NETWORK="+network)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil || strings.TrimSpace(line) != "ready" {
				t.Fatalf("helper said %q, %v", line, err)
			}
			// The helper runs: a launch hands off to it.
			if _, handed, err := claimInstance(cfg, "to-helper.gguf"); err != nil || !handed {
				t.Fatalf("hand-off to the helper: handed %v, err %v", handed, err)
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()
			first := claimFirst(t, cfg)
			if _, handed, err := claimInstance(cfg, "after-kill.gguf"); err != nil || !handed {
				t.Fatalf("hand-off after the kill: handed %v, err %v", handed, err)
			}
			if got := receive(t, first); filepath.Base(got) != "after-kill.gguf" {
				t.Errorf("delivered %q", got)
			}
		})
	}
}

// TestInstanceHelperProcess is the running instance that
// TestInstanceKilledProcess kills; it does nothing in a normal run.
func TestInstanceHelperProcess(t *testing.T) {
	dir := os.Getenv("BURROW_INSTANCE_HELPER")
	if dir == "" {
		t.Skip("helper for TestInstanceKilledProcess")
	}
	in, handed, err := claimInstance(instanceConfig{dir: dir, network: os.Getenv("BURROW_INSTANCE_NETWORK"), wait: time.Second}, "")
	if err != nil || handed {
		fmt.Println("claim failed:", handed, err)
		os.Exit(1)
	}
	fmt.Println("ready")
	for range in.Paths() { // until killed
	}
}

// Bad requests get an error answer and deliver nothing; the instance keeps
// serving good ones afterwards.
func TestInstanceBadMessage(t *testing.T) {
	for _, network := range instanceNetworks() {
		t.Run(network, func(t *testing.T) {
			cfg := testInstanceConfig(t, network)
			first := claimFirst(t, cfg)
			var a instanceAddr
			data, err := os.ReadFile(filepath.Join(cfg.dir, instanceAddrName))
			if err == nil {
				err = json.Unmarshal(data, &a)
			}
			if err != nil {
				t.Fatal(err)
			}
			abs := filepath.Join(t.TempDir(), "m.gguf")
			cases := []struct {
				name, send, wantErr string
				closeWrite          bool
			}{
				{"not json", "hello\n", "bad message", false},
				{"wrong token", fmt.Sprintf(`{"token":"nope","path":%q}`+"\n", abs), "wrong token", false},
				{"no token", fmt.Sprintf(`{"path":%q}`+"\n", abs), "wrong token", false},
				{"relative path", fmt.Sprintf(`{"token":%q,"path":"rel/m.gguf"}`+"\n", a.Token), "not absolute", false},
				{"no newline", fmt.Sprintf(`{"token":%q,"path":%q}`, a.Token, abs), "bad message", true},
				{"too long", `{"token":"` + strings.Repeat("x", maxHandOffMessage) + "\"}\n", "bad message", false},
				{"empty", "", "bad message", true},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					conn, err := net.Dial(a.Network, a.Address)
					if err != nil {
						t.Fatal(err)
					}
					defer conn.Close()
					conn.SetDeadline(time.Now().Add(30 * time.Second))
					go func() {
						conn.Write([]byte(c.send))
						if c.closeWrite {
							if cw, ok := conn.(interface{ CloseWrite() error }); ok {
								cw.CloseWrite()
							}
						}
					}()
					line, err := bufio.NewReader(conn).ReadBytes('\n')
					if err != nil {
						t.Fatalf("no answer: %v", err)
					}
					var r handOffReply
					if err := json.Unmarshal(line, &r); err != nil {
						t.Fatalf("answer %q: %v", line, err)
					}
					if r.OK || !strings.Contains(r.Error, c.wantErr) {
						t.Errorf("answer %+v, want an error with %q", r, c.wantErr)
					}
					expectNothing(t, first)
				})
			}
			if _, handed, err := claimInstance(cfg, abs); err != nil || !handed {
				t.Fatalf("good hand-off after bad ones: handed %v, err %v", handed, err)
			}
			if got := receive(t, first); got != abs {
				t.Errorf("delivered %q, want %q", got, abs)
			}
		})
	}
}

// A lock held by something that never answers (a hung instance) makes the
// launch give up after its wait with an error, so it can open its own window.
func TestInstanceHolderNotAnswering(t *testing.T) {
	cfg := testInstanceConfig(t, defaultInstanceNetwork)
	cfg.wait = 300 * time.Millisecond
	if err := os.MkdirAll(cfg.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	lock, err := lockInstance(filepath.Join(cfg.dir, instanceLockName))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	in, handed, err := claimInstance(cfg, "m.gguf")
	if err == nil || handed || in != nil {
		t.Fatalf("claim against a silent holder: instance %v, handed %v, err %v", in != nil, handed, err)
	}
}

func TestInstanceDirIsPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permissions are ACLs on Windows")
	}
	cfg := testInstanceConfig(t, defaultInstanceNetwork)
	if err := os.MkdirAll(cfg.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	claimFirst(t, cfg)
	fi, err := os.Stat(cfg.dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("instance dir mode %v, want 0700", fi.Mode().Perm())
	}
}
