package models

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"burrow/models/hubtest"
)

const repo = "bartowski/Tiny-GGUF"

func TestDownloadCompletesAndVerifies(t *testing.T) {
	e := newEnv(t)
	data := randomBytes(700_000, 1)
	e.srv.Add(repo, "Tiny-Q8_0.gguf", data)
	st := e.add(t, repo, "Tiny-Q8_0.gguf")
	got, err := e.m.Run(context.Background(), st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != StateDone || got.Bytes != int64(len(data)) {
		t.Fatalf("status %+v", got)
	}
	if !bytes.Equal(mustRead(t, got.Path), data) {
		t.Fatal("downloaded bytes differ")
	}
	if _, err := os.Stat(got.Path + ".part"); !os.IsNotExist(err) {
		t.Fatalf("part file left behind: %v", err)
	}
}

// The server drops the connection mid-body; the retry asks for the rest from
// exactly the byte where the part file ends.
func TestInterruptedTransferResumesFromTheRightByte(t *testing.T) {
	e := newEnv(t)
	data := randomBytes(1_000_000, 2)
	e.srv.Add(repo, "Tiny-Q8_0.gguf", data)
	const cut = 300_000
	e.srv.Set(func(s *hubtest.Server) { s.CutAfter = cut })
	st := e.add(t, repo, "Tiny-Q8_0.gguf")
	if _, err := e.m.Run(context.Background(), st.ID); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustRead(t, st.Path), data) {
		t.Fatal("resumed file differs from the original")
	}
	want := []string{"", fmt.Sprintf("bytes=%d-", cut)}
	if fmt.Sprint(e.srv.Ranges) != fmt.Sprint(want) {
		t.Fatalf("range requests %q, want %q", e.srv.Ranges, want)
	}
}

// A crash leaves a part file and the saved queue; a new manager resumes the
// job by itself from the part's size, hashing the existing bytes first.
func TestQueuePersistsAcrossRestart(t *testing.T) {
	e := newEnv(t)
	data := randomBytes(500_000, 3)
	e.srv.Add(repo, "Tiny-Q8_0.gguf", data)
	st := e.add(t, repo, "Tiny-Q8_0.gguf")
	// What a killed process leaves: a part with the first bytes.
	if err := os.MkdirAll(strings.TrimSuffix(st.Path, "/Tiny-Q8_0.gguf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(st.Path+".part", data[:123_456], 0o644); err != nil {
		t.Fatal(err)
	}

	e.restart()
	jobs := e.m.Jobs()
	if len(jobs) != 1 || jobs[0].ID != st.ID || jobs[0].State != StateQueued || jobs[0].Bytes != 123_456 {
		t.Fatalf("after restart: %+v", jobs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.m.Start(ctx)
	got, err := e.m.Wait(ctx, st.ID)
	if err != nil || got.State != StateDone {
		t.Fatalf("wait: %+v %v", got, err)
	}
	if !bytes.Equal(mustRead(t, st.Path), data) {
		t.Fatal("file differs")
	}
	if fmt.Sprint(e.srv.Ranges) != "[bytes=123456-]" {
		t.Fatalf("ranges %q", e.srv.Ranges)
	}
	e.restart()
	if jobs := e.m.Jobs(); len(jobs) != 0 {
		t.Fatalf("finished job still queued after restart: %+v", jobs)
	}
}

func TestCorruptContentRejectedAndPartRemoved(t *testing.T) {
	e := newEnv(t)
	data := randomBytes(200_000, 4)
	e.srv.AddFile(repo, "Tiny-Q8_0.gguf", hubtest.File{Data: data, ListedSHA256: hubtest.SHA256([]byte("something else"))})
	st := e.add(t, repo, "Tiny-Q8_0.gguf")
	got, err := e.m.Run(context.Background(), st.ID)
	if !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("err = %v, want ErrHashMismatch", err)
	}
	if got.State != StateFailed {
		t.Fatalf("state %s", got.State)
	}
	for _, p := range []string{st.Path, st.Path + ".part"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists after a hash mismatch", p)
		}
	}
}

func TestServerIgnoringRangeRestarts(t *testing.T) {
	e := newEnv(t)
	data := randomBytes(300_000, 5)
	e.srv.Add(repo, "Tiny-Q8_0.gguf", data)
	st := e.add(t, repo, "Tiny-Q8_0.gguf")
	os.MkdirAll(strings.TrimSuffix(st.Path, "Tiny-Q8_0.gguf"), 0o755)
	// A stale part of other bytes: a 200 answer must replace it, not append.
	os.WriteFile(st.Path+".part", randomBytes(1000, 99), 0o644)
	e.srv.Set(func(s *hubtest.Server) { s.IgnoreRange = true })
	if _, err := e.m.Run(context.Background(), st.ID); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustRead(t, st.Path), data) {
		t.Fatal("file differs")
	}
}

func TestRetriesServerErrors(t *testing.T) {
	e := newEnv(t)
	data := randomBytes(50_000, 6)
	e.srv.Add(repo, "Tiny-Q8_0.gguf", data)
	e.srv.Set(func(s *hubtest.Server) { s.Fail5xx = 3 })
	st := e.add(t, repo, "Tiny-Q8_0.gguf")
	if _, err := e.m.Run(context.Background(), st.ID); err != nil {
		t.Fatal(err)
	}
	if len(e.srv.Ranges) != 4 {
		t.Fatalf("requests %d, want 4 (3 failures, 1 success)", len(e.srv.Ranges))
	}
}

func TestGatedRepoSaysWhatToDo(t *testing.T) {
	e := newEnv(t)
	e.srv.Add(repo, "Tiny-Q8_0.gguf", randomBytes(1000, 7))
	e.srv.Gate(repo)
	e.srv.Set(func(s *hubtest.Server) { s.Token = "hf_secret" })
	want := repo + " is gated: accept its license at " + e.srv.URL + "/" + repo + " and set HF_TOKEN"

	// The file list is the first request to fail.
	_, err := e.m.AddFromHub(context.Background(), repo, "Tiny-Q8_0.gguf", false)
	if !errors.Is(err, ErrGated) || !strings.Contains(err.Error(), want) {
		t.Fatalf("file list error %q, want it to contain %q", err, want)
	}
	// And the download itself (a job queued before the repo was gated).
	st, err := e.m.Enqueue(RemoteModel{Repo: repo, Files: []RemoteFile{{Repo: repo, Path: "Tiny-Q8_0.gguf", Size: 1000}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.m.Run(context.Background(), st.ID)
	if !errors.Is(err, ErrGated) || !strings.Contains(err.Error(), want) || !strings.Contains(got.Error, want) {
		t.Fatalf("download error %q, want it to contain %q", err, want)
	}
	// With the token it works.
	e.hub.Token = "hf_secret"
	if err := e.m.Resume(st.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Run(context.Background(), st.ID); err != nil {
		t.Fatalf("with token: %v", err)
	}
}

func TestNotFound(t *testing.T) {
	e := newEnv(t)
	e.srv.Add(repo, "Tiny-Q8_0.gguf", randomBytes(1000, 8))
	_, err := e.m.AddFromHub(context.Background(), "nobody/nothing", "x.gguf", false)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing repo: %v", err)
	}
	_, err = e.m.AddFromHub(context.Background(), repo, "Other-Q4_0.gguf", false)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing file: %v", err)
	}
}

// fullFS is a disk that fills up after limit bytes.
type fullFS struct{ limit int64 }

type fullFile struct {
	*os.File
	left *int64
}

func (f fullFS) OpenPart(path string, truncate bool) (PartFile, error) {
	fh, err := osFS{}.OpenPart(path, truncate)
	if err != nil {
		return nil, err
	}
	left := f.limit
	return fullFile{fh.(*os.File), &left}, nil
}

func (f fullFile) Write(p []byte) (int, error) {
	if int64(len(p)) <= *f.left {
		*f.left -= int64(len(p))
		return f.File.Write(p)
	}
	n, _ := f.File.Write(p[:*f.left])
	*f.left = 0
	return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

func TestDiskFullKeepsThePartAndSaysSo(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.FS = fullFS{limit: 100_000} })
	e.srv.Add(repo, "Tiny-Q8_0.gguf", randomBytes(400_000, 9))
	st := e.add(t, repo, "Tiny-Q8_0.gguf")
	got, err := e.m.Run(context.Background(), st.ID)
	if !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "partial download is kept") {
		t.Fatalf("err = %v", err)
	}
	if got.State != StateFailed {
		t.Fatalf("state %s", got.State)
	}
	if fi, err := os.Stat(st.Path + ".part"); err != nil || fi.Size() != 100_000 {
		t.Fatalf("part file: %v %v", fi, err)
	}
	if len(e.srv.Ranges) != 1 {
		t.Fatalf("a full disk must not be retried: %d requests", len(e.srv.Ranges))
	}
}

func TestFreeSpaceCheckedBeforeStarting(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.FreeSpace = func(string) (uint64, error) { return 1 << 20, nil } })
	e.srv.Add(repo, "Tiny-Q8_0.gguf", randomBytes(100_000, 10))
	st := e.add(t, repo, "Tiny-Q8_0.gguf")
	_, err := e.m.Run(context.Background(), st.ID)
	if !errors.Is(err, ErrNoSpace) || !strings.Contains(err.Error(), "free") {
		t.Fatalf("err = %v", err)
	}
	if len(e.srv.Ranges) != 0 {
		t.Fatal("downloaded despite too little space")
	}
}

func TestMaliciousNamesRefused(t *testing.T) {
	bad := []struct{ repo, file string }{
		{repo, "../../../.bashrc.gguf"},
		{repo, "a/../../b.gguf"},
		{repo, "/etc/passwd.gguf"},
		{repo, `..\..\evil.gguf`},
		{repo, `sub\evil.gguf`},
		{repo, "C:evil.gguf"},
		{repo, "model.bin"},
		{repo, "model.gguf.exe"},
		{repo, ""},
		{repo, "./x.gguf"},
		{repo, "a//b.gguf"},
		{repo, "evil\x00.gguf"},
		{repo, "NUL.gguf"},
		{repo, "com1.Q8_0.gguf"},
		{repo, "dir./m.gguf"},
		{"../x", "m.gguf"},
		{"owner/..", "m.gguf"},
		{"/abs/x", "m.gguf"},
		{"onlyowner", "m.gguf"},
		{"a/b/c", "m.gguf"},
	}
	e := newEnv(t)
	for _, c := range bad {
		_, err := e.m.Enqueue(RemoteModel{Repo: c.repo, Files: []RemoteFile{{Repo: c.repo, Path: c.file, Size: 10}}}, false)
		if !errors.Is(err, ErrBadName) {
			t.Errorf("Enqueue(%q, %q) = %v, want ErrBadName", c.repo, c.file, err)
		}
		if _, err := e.lib.PathFor(c.repo, c.file); err == nil {
			t.Errorf("PathFor(%q, %q) accepted", c.repo, c.file)
		}
	}
	// Names from the network never make it out of the file list.
	e.srv.Add(repo, "../../evil.gguf", []byte("x"))
	e.srv.Add(repo, "good-Q8_0.gguf", []byte("x"))
	files, err := e.hub.Files(context.Background(), repo)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Path != "good-Q8_0.gguf" {
		t.Fatalf("files %+v", files)
	}
	for _, ok := range []string{"m.gguf", "Q8_0/m-00001-of-00002.gguf", "x.GGUF"} {
		if err := ValidateFile(ok); err != nil {
			t.Errorf("ValidateFile(%q) = %v", ok, err)
		}
	}
}

func TestNeverOverwritesWithoutAsking(t *testing.T) {
	e := newEnv(t)
	data := randomBytes(10_000, 11)
	e.srv.Add(repo, "Tiny-Q8_0.gguf", data)
	dest, _ := e.lib.PathFor(repo, "Tiny-Q8_0.gguf")
	os.MkdirAll(strings.TrimSuffix(dest, "Tiny-Q8_0.gguf"), 0o755)
	os.WriteFile(dest, []byte("my model"), 0o644)
	if _, err := e.m.AddFromHub(context.Background(), repo, "Tiny-Q8_0.gguf", false); !errors.Is(err, ErrExists) {
		t.Fatalf("err = %v, want ErrExists", err)
	}
	if string(mustRead(t, dest)) != "my model" {
		t.Fatal("existing model touched")
	}
	st, err := e.m.AddFromHub(context.Background(), repo, "Tiny-Q8_0.gguf", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Run(context.Background(), st.ID); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustRead(t, dest), data) {
		t.Fatal("overwrite asked for but not done")
	}
}

func TestSplitModelDownloadsAsASet(t *testing.T) {
	e := newEnv(t)
	parts := [][]byte{randomBytes(30_000, 12), randomBytes(30_000, 13), randomBytes(5_000, 14)}
	for i, p := range parts {
		e.srv.Add(repo, fmt.Sprintf("Q8_0/Big-Q8_0-%05d-of-00003.gguf", i+1), p)
	}
	e.srv.Add(repo, "Big-Q4_0.gguf", randomBytes(100, 15))
	// Asking for any shard queues the whole set.
	st := e.add(t, repo, "Q8_0/Big-Q8_0-00002-of-00003.gguf")
	if len(st.Files) != 3 || st.Total != 65_000 || st.Name != "Q8_0/Big-Q8_0-00001-of-00003.gguf" {
		t.Fatalf("status %+v", st)
	}
	if _, err := e.m.Run(context.Background(), st.ID); err != nil {
		t.Fatal(err)
	}
	for i, p := range parts {
		dest, _ := e.lib.PathFor(repo, fmt.Sprintf("Q8_0/Big-Q8_0-%05d-of-00003.gguf", i+1))
		if !bytes.Equal(mustRead(t, dest), p) {
			t.Fatalf("shard %d differs", i+1)
		}
	}
}

func TestPauseResumeCancel(t *testing.T) {
	e := newEnv(t)
	data := randomBytes(2_000_000, 16)
	e.srv.Add(repo, "Tiny-Q8_0.gguf", data)
	e.srv.Set(func(s *hubtest.Server) { s.Throttle = 400_000 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, stop := e.m.Subscribe()
	defer stop()
	e.m.Start(ctx)
	st := e.add(t, repo, "Tiny-Q8_0.gguf")

	waitFor(t, events, func(s Status) bool { return s.State == StateRunning && s.Bytes > 0 })
	if err := e.m.Pause(st.ID); err != nil {
		t.Fatal(err)
	}
	paused, _ := e.m.Job(st.ID)
	part, err := os.Stat(st.Path + ".part")
	if paused.State != StatePaused || err != nil || part.Size() == 0 || paused.Bytes != part.Size() {
		t.Fatalf("paused: %+v part %v %v", paused, part, err)
	}

	e.srv.Set(func(s *hubtest.Server) { s.Throttle = 0 })
	if err := e.m.Resume(st.ID); err != nil {
		t.Fatal(err)
	}
	done, err := e.m.Wait(ctx, st.ID)
	if err != nil || done.State != StateDone {
		t.Fatalf("after resume: %+v %v", done, err)
	}
	if !bytes.Equal(mustRead(t, st.Path), data) {
		t.Fatal("file differs after pause/resume")
	}
	if last := e.srv.Ranges[len(e.srv.Ranges)-1]; last != fmt.Sprintf("bytes=%d-", part.Size()) {
		t.Fatalf("resume asked for %q, part was %d bytes", last, part.Size())
	}

	// Cancel removes the part and the job.
	e.srv.Add(repo, "Other-Q8_0.gguf", data)
	e.srv.Set(func(s *hubtest.Server) { s.Throttle = 400_000 })
	st2 := e.add(t, repo, "Other-Q8_0.gguf")
	waitFor(t, events, func(s Status) bool { return s.ID == st2.ID && s.State == StateRunning && s.Bytes > 0 })
	if err := e.m.Cancel(st2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(st2.Path + ".part"); !os.IsNotExist(err) {
		t.Fatalf("part kept after cancel: %v", err)
	}
	e.restart()
	for _, j := range e.m.Jobs() {
		if j.ID == st2.ID {
			t.Fatal("cancelled job came back after restart")
		}
	}
}

func waitFor(t *testing.T, events <-chan Status, cond func(Status) bool) Status {
	t.Helper()
	for s := range events {
		if cond(s) {
			return s
		}
	}
	t.Fatal("events closed")
	return Status{}
}

// Many goroutines poking the manager while it downloads (run with -race).
func TestConcurrentControl(t *testing.T) {
	e := newEnv(t)
	e.srv.Add(repo, "Tiny-Q8_0.gguf", randomBytes(300_000, 17))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.m.Start(ctx)
	st := e.add(t, repo, "Tiny-Q8_0.gguf")
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				e.m.Jobs()
				e.m.Pause(st.ID)
				e.m.Resume(st.ID)
			}
		}()
	}
	wg.Wait()
	e.m.Resume(st.ID)
	if got, err := e.m.Wait(ctx, st.ID); err != nil || got.State != StateDone {
		t.Fatalf("%+v %v", got, err)
	}
}

// Two processes (the app's queue and a `burrow pull`) must not write the same
// part file; the second is told plainly.
func TestSecondWriterRefused(t *testing.T) {
	e := newEnv(t)
	e.srv.Add(repo, "Tiny-Q8_0.gguf", randomBytes(10_000, 18))
	st := e.add(t, repo, "Tiny-Q8_0.gguf")
	os.MkdirAll(strings.TrimSuffix(st.Path, "Tiny-Q8_0.gguf"), 0o755)
	unlock, err := lockPart(st.Path + ".part") // "the other process"
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.m.Run(context.Background(), st.ID)
	if !errors.Is(err, errBusy) || !strings.Contains(err.Error(), "another Burrow process") {
		t.Fatalf("err = %v", err)
	}
	unlock()
	if err := e.m.Resume(st.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Run(context.Background(), st.ID); err != nil {
		t.Fatalf("after the other process let go: %v", err)
	}
}

// The app and a `burrow pull` each hold a Manager on the same queue file:
// neither erases the other's jobs, and a cancel is not undone by the merge.
func TestTwoProcessesShareTheQueue(t *testing.T) {
	e := newEnv(t)
	e.srv.Add(repo, "A-Q8_0.gguf", randomBytes(1000, 19))
	e.srv.Add(repo, "B-Q8_0.gguf", randomBytes(1000, 20))
	app := e.m
	cli := NewManager(e.opt)
	a := e.add(t, repo, "A-Q8_0.gguf") // by the app
	b, err := cli.AddFromHub(context.Background(), repo, "B-Q8_0.gguf", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Pause(a.ID); err != nil { // the app saves after the CLI did
		t.Fatal(err)
	}
	ids := func() string {
		var out []string
		for _, j := range NewManager(e.opt).Jobs() {
			out = append(out, j.ID)
		}
		return strings.Join(out, ",")
	}
	if got := ids(); got != a.ID+","+b.ID {
		t.Fatalf("queue after both saved: %s", got)
	}
	if err := cli.Cancel(b.ID); err != nil {
		t.Fatal(err)
	}
	app.Resume(a.ID) // another save by the app must not bring B back
	if got := ids(); got != a.ID {
		t.Fatalf("queue after cancel: %s", got)
	}
}

// A connection that goes silent without closing is cut and resumed.
func TestStalledConnectionIsResumed(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.StallTimeout = 300 * time.Millisecond })
	data := randomBytes(400_000, 21)
	e.srv.Add(repo, "Tiny-Q8_0.gguf", data)
	e.srv.Set(func(s *hubtest.Server) { s.StallAfter = 150_000 })
	st := e.add(t, repo, "Tiny-Q8_0.gguf")
	if _, err := e.m.Run(context.Background(), st.ID); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustRead(t, st.Path), data) {
		t.Fatal("file differs")
	}
	if fmt.Sprint(e.srv.Ranges) != "[ bytes=150000-]" {
		t.Fatalf("ranges %q", e.srv.Ranges)
	}
}

func TestGivesUpAfterRetries(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Retries = 2 })
	e.srv.Add(repo, "Tiny-Q8_0.gguf", randomBytes(1000, 22))
	e.srv.Set(func(s *hubtest.Server) { s.Fail5xx = 10 })
	st := e.add(t, repo, "Tiny-Q8_0.gguf")
	got, err := e.m.Run(context.Background(), st.ID)
	if err == nil || !strings.Contains(err.Error(), "gave up after 3 attempts") || got.State != StateFailed {
		t.Fatalf("%+v %v", got, err)
	}
	// Retry (the UI's button) starts over with a fresh count.
	e.srv.Set(func(s *hubtest.Server) { s.Fail5xx = 0 })
	e.m.Resume(st.ID)
	if _, err := e.m.Run(context.Background(), st.ID); err != nil {
		t.Fatal(err)
	}
}
