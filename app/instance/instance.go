// Package instance keeps Burrow to one window: a second start hands its
// model to the running one.
package instance

// One Burrow window per user: the first launch becomes the running instance
// and listens on a local socket; a later launch (a file manager's "Open with
// Burrow", or `burrow model.gguf` in a terminal) hands its file to that window
// and exits instead of opening a second window over the same conversations.
//
// Who runs is decided by an exclusive lock on instance.lock, held for the
// running window's lifetime. The kernel drops the lock when a process dies, so
// a socket or address file left by a crash is simply replaced: holding the
// lock proves nobody else is listening. The running instance writes
// instance.addr (network, address, and a random token a client must echo),
// so the same protocol works over a Unix socket and, on Windows, over a
// 127.0.0.1 TCP port.

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"burrow/internal/atomicfile"
	"burrow/internal/filelock"

	"github.com/adrg/xdg"
)

const (
	instanceLockName = "instance.lock"
	instanceAddrName = "instance.addr"
	instanceSockName = "instance.sock"

	// maxHandOffMessage bounds one request line; a path is far shorter.
	maxHandOffMessage = 64 << 10
	// handOffIOTimeout bounds one request or reply on a connection.
	handOffIOTimeout = 5 * time.Second
	// maxUnixSocketPath stays under sun_path (104 bytes on macOS, 108 on
	// Linux); a longer runtime dir falls back to a loopback TCP port.
	maxUnixSocketPath = 100
)

// errInstanceLocked means another process holds the instance lock.
var errInstanceLocked = errors.New("another Burrow is running")

// lockInstance takes the exclusive instance lock without waiting; the system
// releases it when the holder exits, however it exits (no file locks on some
// platforms: errors.ErrUnsupported, and every launch opens a window).
func lockInstance(path string) (io.Closer, error) {
	fh, err := filelock.TryLock(path, 0o600)
	if errors.Is(err, filelock.ErrLocked) {
		return nil, errInstanceLocked
	}
	if err != nil {
		return nil, err
	}
	return fh, nil
}

// Instance is the running window's end of the hand-off.
type Instance struct {
	paths chan string
	ln    net.Listener
	lock  io.Closer
	token string
	addr  string // path of instance.addr
	done  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

// InstanceDir is where the lock, socket and address file live: Burrow's
// folder in the user's runtime dir ($XDG_RUNTIME_DIR, %LOCALAPPDATA% on
// Windows), or a per-user folder in the temp dir when there is none.
func InstanceDir() string {
	if fi, err := os.Stat(xdg.RuntimeDir); err == nil && fi.IsDir() {
		return filepath.Join(xdg.RuntimeDir, "burrow")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("burrow-%d", os.Getuid()))
}

// ClaimInstance makes this process the running Burrow window, or hands path
// to the window that already runs. handed is true when the running window
// took the path (path "" asks it to come to the front): the caller exits 0.
// Otherwise inst delivers the files of later launches on Paths. An error
// means single-instance is unavailable here; the caller carries on without.
func ClaimInstance(path string) (inst *Instance, handed bool, err error) {
	return claimInstance(instanceConfig{dir: InstanceDir(), network: defaultInstanceNetwork, wait: 5 * time.Second}, path)
}

type instanceConfig struct {
	dir     string
	network string        // "unix" or "tcp"
	wait    time.Duration // how long a later launch waits for a locked instance to answer
}

// handOffRequest is one line of JSON from a later launch.
type handOffRequest struct {
	Token string `json:"token"`
	Path  string `json:"path"` // absolute; "" brings the window to the front
}

// handOffReply is the running window's one-line answer.
type handOffReply struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// instanceAddr is instance.addr: where the running window listens.
type instanceAddr struct {
	Network string `json:"network"`
	Address string `json:"address"`
	Token   string `json:"token"`
}

func claimInstance(cfg instanceConfig, path string) (*Instance, bool, error) {
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, false, fmt.Errorf("single instance: %w", err)
		}
		path = abs
	}
	if err := os.MkdirAll(cfg.dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("single instance: %w", err)
	}
	if err := checkPrivateDir(cfg.dir); err != nil {
		return nil, false, fmt.Errorf("single instance: %w", err)
	}
	deadline := time.Now().Add(cfg.wait)
	for {
		lock, err := lockInstance(filepath.Join(cfg.dir, instanceLockName))
		if err == nil {
			in, err := listenInstance(cfg, lock)
			if err != nil {
				lock.Close()
				return nil, false, fmt.Errorf("single instance: %w", err)
			}
			return in, false, nil
		}
		if !errors.Is(err, errInstanceLocked) {
			return nil, false, fmt.Errorf("single instance: lock %s: %w", cfg.dir, err)
		}
		// The holder may still be starting (locked, not yet listening) or be
		// replacing a crashed one's files: retry until the deadline.
		herr := handOff(filepath.Join(cfg.dir, instanceAddrName), path)
		if herr == nil {
			return nil, true, nil
		}
		if time.Now().After(deadline) {
			return nil, false, fmt.Errorf("single instance: a running Burrow holds %s but did not take the file: %w", cfg.dir, herr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// listenInstance starts the running instance's listener; the caller holds
// the lock, so any socket or address file already there is a crashed
// instance's leftover and is replaced.
func listenInstance(cfg instanceConfig, lock io.Closer) (*Instance, error) {
	network, address := cfg.network, "127.0.0.1:0"
	if network == "unix" {
		address = filepath.Join(cfg.dir, instanceSockName)
		if len(address) > maxUnixSocketPath {
			network, address = "tcp", "127.0.0.1:0"
		} else if err := os.Remove(address); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
	}
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, fmt.Errorf("listen on %s %s: %w", network, address, err)
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		ln.Close()
		return nil, fmt.Errorf("token: %w", err)
	}
	in := &Instance{
		paths: make(chan string, 16),
		ln:    ln,
		lock:  lock,
		token: hex.EncodeToString(raw[:]),
		addr:  filepath.Join(cfg.dir, instanceAddrName),
		done:  make(chan struct{}),
	}
	data, _ := json.Marshal(instanceAddr{Network: network, Address: ln.Addr().String(), Token: in.token})
	if err := atomicfile.Write(in.addr, data, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	in.wg.Add(1)
	go in.accept()
	return in, nil
}

// Paths delivers the files later launches hand over, as absolute paths; ""
// asks the window to come to the front. It is closed by Close.
func (in *Instance) Paths() <-chan string { return in.paths }

// Close stops listening, removes the address file and releases the lock so
// the next launch becomes the running instance.
func (in *Instance) Close() error {
	in.once.Do(func() {
		close(in.done)
		in.ln.Close() // a Unix listener also removes its socket file
		in.wg.Wait()
		close(in.paths)
		os.Remove(in.addr)
		in.lock.Close()
	})
	return nil
}

func (in *Instance) accept() {
	defer in.wg.Done()
	for {
		conn, err := in.ln.Accept()
		if err != nil {
			select {
			case <-in.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			time.Sleep(50 * time.Millisecond) // e.g. out of file descriptors: do not spin
			continue
		}
		in.wg.Add(1)
		go func() {
			defer in.wg.Done()
			defer conn.Close()
			in.serve(conn)
		}()
	}
}

// serve answers one request: read a line, check it, deliver the path.
func (in *Instance) serve(conn net.Conn) {
	conn.SetDeadline(time.Now().Add(handOffIOTimeout))
	reply := func(err error) {
		r := handOffReply{OK: err == nil}
		if err != nil {
			r.Error = err.Error()
		}
		data, _ := json.Marshal(r)
		conn.Write(append(data, '\n'))
		if err != nil {
			// Read what the client still sends until it hangs up, so closing
			// with unread input does not reset the connection before the
			// client has read the answer.
			io.Copy(io.Discard, io.LimitReader(conn, 1<<20))
		}
	}
	line, err := bufio.NewReaderSize(io.LimitReader(conn, maxHandOffMessage), 4096).ReadBytes('\n')
	if err != nil {
		reply(fmt.Errorf("bad message: want one line of JSON under %d bytes", maxHandOffMessage))
		return
	}
	var req handOffRequest
	if err := json.Unmarshal(line, &req); err != nil {
		reply(fmt.Errorf("bad message: %w", err))
		return
	}
	if subtle.ConstantTimeCompare([]byte(req.Token), []byte(in.token)) != 1 {
		reply(errors.New("bad message: wrong token"))
		return
	}
	if req.Path != "" && !filepath.IsAbs(req.Path) {
		reply(fmt.Errorf("bad message: path %q is not absolute", req.Path))
		return
	}
	timer := time.NewTimer(2 * time.Second)
	defer timer.Stop()
	select {
	case in.paths <- req.Path:
		reply(nil)
	case <-in.done:
		reply(errors.New("the window is closing"))
	case <-timer.C:
		reply(errors.New("the window is busy"))
	}
}

// handOff sends path to the instance described by the address file.
func handOff(addrFile, path string) error {
	data, err := os.ReadFile(addrFile)
	if err != nil {
		return err
	}
	var a instanceAddr
	if err := json.Unmarshal(data, &a); err != nil {
		return fmt.Errorf("%s: %w", addrFile, err)
	}
	if a.Network != "unix" && a.Network != "tcp" {
		return fmt.Errorf("%s: unknown network %q", addrFile, a.Network)
	}
	conn, err := net.DialTimeout(a.Network, a.Address, handOffIOTimeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(handOffIOTimeout))
	req, _ := json.Marshal(handOffRequest{Token: a.Token, Path: path})
	if _, err := conn.Write(append(req, '\n')); err != nil {
		return fmt.Errorf("send to the running Burrow: %w", err)
	}
	line, err := bufio.NewReader(io.LimitReader(conn, maxHandOffMessage)).ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("no answer from the running Burrow: %w", err)
	}
	var r handOffReply
	if err := json.Unmarshal(line, &r); err != nil {
		return fmt.Errorf("answer from the running Burrow: %w", err)
	}
	if !r.OK {
		return fmt.Errorf("the running Burrow refused: %s", r.Error)
	}
	return nil
}
