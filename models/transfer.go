package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"burrow/internal/atomicfile"
	"burrow/internal/units"
)

// retryableError marks failures worth another attempt: the network, a 5xx,
// a body cut short.
type retryableError struct {
	err  error
	wait time.Duration // the server's Retry-After, when it gave one
}

func (e retryableError) Error() string { return e.err.Error() }
func (e retryableError) Unwrap() error { return e.err }

func retryable(err error) bool {
	var r retryableError
	return errors.As(err, &r)
}

// fileRun carries one file's hash across retries in the same process, so a
// retry does not re-read the part to hash it again.
type fileRun struct {
	h hash.Hash
	n int64 // bytes hashed
}

// runJob downloads every unfinished file of j.
func (m *Manager) runJob(ctx context.Context, j *job) error {
	if err := m.checkSpace(j); err != nil {
		return err
	}
	for i := range j.Files {
		m.mu.Lock()
		f := j.Files[i]
		m.mu.Unlock()
		if f.Done {
			continue
		}
		dest, _ := m.lib.PathFor(j.Repo, f.Path)
		unlock, err := lockPart(dest + ".part")
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		err = m.fetchWithRetry(ctx, j, i)
		unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// checkSpace compares what is left to download with the free space, before
// a byte is written, so a full disk is reported up front.
func (m *Manager) checkSpace(j *job) error {
	var need int64
	dir := ""
	for _, f := range j.Files {
		dest, _ := m.lib.PathFor(j.Repo, f.Path)
		if dir == "" {
			dir = filepath.Dir(dest)
		}
		if f.Done {
			continue
		}
		need += f.Size
		if st, err := os.Stat(dest + ".part"); err == nil {
			need -= st.Size()
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	free, err := m.opts.FreeSpace(dir)
	if err != nil {
		return nil // unknown: the write itself will tell
	}
	const margin = 32 << 20
	if need > 0 && uint64(need)+margin > free {
		return fmt.Errorf("%w in %s: %s needs %s more, %s free", ErrNoSpace, dir, j.ID, units.Bytes(need), units.Bytes(int64(free)))
	}
	return nil
}

func (m *Manager) fetchWithRetry(ctx context.Context, j *job, i int) error {
	run := &fileRun{}
	attempt := 0
	for {
		before := run.n
		err := m.fetchOnce(ctx, j, i, run)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !retryable(err) {
			return err
		}
		if run.n > before {
			attempt = 0 // bytes arrived: the connection works, start counting again
		}
		attempt++
		if attempt > m.opts.Retries {
			return fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		delay := m.opts.Backoff << (attempt - 1)
		var re retryableError
		if errors.As(err, &re) && re.wait > delay {
			delay = re.wait // the server said when
		}
		if delay > m.opts.MaxBackoff || delay <= 0 {
			delay = m.opts.MaxBackoff
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}

// fetchOnce makes one request for file i, resuming from its part file.
func (m *Manager) fetchOnce(ctx context.Context, j *job, i int, run *fileRun) error {
	m.mu.Lock()
	f := j.Files[i]
	m.mu.Unlock()
	dest, err := m.lib.PathFor(j.Repo, f.Path)
	if err != nil {
		return err
	}
	part := dest + ".part"
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(dest), err)
	}
	offset := int64(0)
	if st, err := os.Stat(part); err == nil {
		offset = st.Size()
	}
	if f.Size > 0 && offset > f.Size {
		os.Remove(part) // longer than the file: cannot be ours
		offset = 0
	}
	if err := run.catchUp(part, offset); err != nil {
		return err
	}
	if f.Size > 0 && offset == f.Size {
		return m.finish(j, i, part, dest, run)
	}

	// A connection that stops sending without closing is cut after
	// StallTimeout and retried, rather than hanging the queue forever.
	reqCtx, cancelReq := context.WithCancel(ctx)
	defer cancelReq()
	stall := time.AfterFunc(m.opts.StallTimeout, cancelReq)
	defer stall.Stop()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, m.hub.ResolveURL(j.Repo, f.Path), nil)
	if err != nil {
		return err
	}
	m.hub.authorize(req)
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
		if f.ETag != "" && !strings.HasPrefix(f.ETag, "W/") {
			req.Header.Set("If-Range", f.ETag)
		}
	}
	resp, err := m.hub.client().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return retryableError{err: fmt.Errorf("download %s: cannot reach %s: %w", f.Path, m.hub.Endpoint, err)}
	}
	defer resp.Body.Close()

	truncate := false
	switch {
	case resp.StatusCode == http.StatusOK:
		if offset > 0 {
			// The server ignored Range, or If-Range said the file changed:
			// start over.
			truncate, offset = true, 0
			run.h, run.n = sha256.New(), 0
		}
	case resp.StatusCode == http.StatusPartialContent:
		start, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != offset || (f.Size > 0 && total > 0 && total != f.Size) {
			os.Remove(part)
			run.h, run.n = nil, 0
			return retryableError{err: fmt.Errorf("download %s: server resumed at the wrong place (%q); starting over", f.Path, resp.Header.Get("Content-Range"))}
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		// Our part is as long as (or longer than) the file: let the hash decide,
		// or start over when the size is unknown.
		if f.Size == 0 && offset > 0 {
			return m.finish(j, i, part, dest, run)
		}
		os.Remove(part)
		run.h, run.n = nil, 0
		return retryableError{err: fmt.Errorf("download %s: range not satisfiable; starting over", f.Path)}
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return m.hub.gatedError(j.Repo)
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%s/%s: %w", j.Repo, f.Path, ErrNotFound)
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		re := retryableError{err: fmt.Errorf("download %s: hub answered %s", f.Path, resp.Status)}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			re.wait = time.Duration(secs) * time.Second
		}
		return re
	default:
		return fmt.Errorf("download %s: hub answered %s", f.Path, resp.Status)
	}
	m.noteResponse(j, i, resp, offset)

	out, err := m.opts.FS.OpenPart(part, truncate)
	if err != nil {
		return fmt.Errorf("open %s: %w", part, err)
	}
	err = m.copyBody(ctx, j, out, &stallReader{resp.Body, stall, m.opts.StallTimeout}, run, part)
	if serr := out.Sync(); err == nil && serr != nil {
		err = writeError(part, serr)
	}
	if cerr := out.Close(); err == nil && cerr != nil {
		err = writeError(part, cerr)
	}
	if err != nil {
		return err
	}
	m.mu.Lock()
	f = j.Files[i]
	m.mu.Unlock()
	if f.Size > 0 && run.n != f.Size {
		return retryableError{err: fmt.Errorf("download %s: connection closed at byte %d of %d", f.Path, run.n, f.Size)}
	}
	return m.finish(j, i, part, dest, run)
}

// stallReader pushes the stall deadline back whenever bytes arrive.
type stallReader struct {
	r     io.Reader
	t     *time.Timer
	after time.Duration
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.t.Reset(s.after)
	}
	return n, err
}

// catchUp hashes the part file's first n bytes when this process has not
// hashed them yet (a resume after a restart).
func (r *fileRun) catchUp(part string, n int64) error {
	if r.h != nil && r.n == n {
		return nil
	}
	r.h, r.n = sha256.New(), 0
	if n == 0 {
		return nil
	}
	fh, err := os.Open(part)
	if err != nil {
		return fmt.Errorf("resume %s: %w", part, err)
	}
	defer fh.Close()
	got, err := io.CopyN(r.h, fh, n)
	r.n = got
	if err != nil {
		return fmt.Errorf("resume %s: hashing the partial file: %w", part, err)
	}
	return nil
}

// noteResponse records what the response told us: the ETag to resume with
// and, when the file list had none, the size.
func (m *Manager) noteResponse(j *job, i int, resp *http.Response, offset int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := &j.Files[i]
	changed := false
	if et := resp.Header.Get("ETag"); et != "" && et != f.ETag {
		f.ETag, changed = et, true
	}
	if f.Size == 0 {
		if resp.StatusCode == http.StatusOK && resp.ContentLength > 0 {
			f.Size, changed = resp.ContentLength, true
		} else if _, total, ok := parseContentRange(resp.Header.Get("Content-Range")); ok && total > 0 {
			f.Size, changed = total, true
		}
	}
	if changed {
		m.save() // so a resume after a crash sends the right If-Range
	}
}

// copyBody streams the body into the part file, hashing as it writes and
// publishing progress a few times a second.
func (m *Manager) copyBody(ctx context.Context, j *job, out PartFile, body io.Reader, run *fileRun, part string) error {
	buf := make([]byte, 256<<10)
	m.mu.Lock()
	base := m.bytesOnDisk(j) - run.n // other files' bytes
	m.mu.Unlock()
	last := time.Now()
	lastBytes := run.n
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			w, werr := out.Write(buf[:n])
			run.h.Write(buf[:w])
			run.n += int64(w)
			if werr == nil && w < n {
				werr = io.ErrShortWrite
			}
			if werr != nil {
				return writeError(part, werr)
			}
		}
		if now := time.Now(); now.Sub(last) >= 200*time.Millisecond || rerr != nil {
			m.mu.Lock()
			inst := float64(run.n-lastBytes) / now.Sub(last).Seconds()
			if j.speed == 0 {
				j.speed = inst
			} else {
				j.speed = 0.8*j.speed + 0.2*inst
			}
			j.bytes = base + run.n
			st := m.status(j)
			m.mu.Unlock()
			// A pause or cancel may have landed meanwhile: only run() may
			// announce it, after the part file is closed (and removed).
			if st.State == StateRunning {
				m.publish(st)
			}
			last, lastBytes = now, run.n
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(rerr, context.Canceled) {
				rerr = fmt.Errorf("no data for %s", m.opts.StallTimeout)
			}
			return retryableError{err: fmt.Errorf("download %s: %w", filepath.Base(part), rerr)}
		}
	}
}

// writeError names a full disk plainly and keeps the part for a resume.
func writeError(part string, err error) error {
	if isDiskFull(err) {
		return fmt.Errorf("%w while writing %s: free some space, then resume (the partial download is kept): %v", ErrDiskFull, part, err)
	}
	return fmt.Errorf("write %s: %w", part, err)
}

// finish checks the sha256 and moves the part into the library atomically.
func (m *Manager) finish(j *job, i int, part, dest string, run *fileRun) error {
	m.mu.Lock()
	f := j.Files[i]
	m.mu.Unlock()
	if f.SHA256 != "" {
		if got := hex.EncodeToString(run.h.Sum(nil)); got != f.SHA256 {
			os.Remove(part)
			run.h, run.n = nil, 0
			return fmt.Errorf("%s: %w: expected %s, got %s; the partial file was removed", f.Path, ErrHashMismatch, f.SHA256, got)
		}
	}
	if err := syncFile(part); err != nil {
		return writeError(part, err)
	}
	if !j.Overwrite {
		if _, err := os.Stat(dest); err == nil {
			return fmt.Errorf("%w: %s", ErrExists, dest)
		}
	}
	if err := os.Rename(part, dest); err != nil {
		return fmt.Errorf("move %s into the library: %w", dest, err)
	}
	atomicfile.SyncDir(filepath.Dir(dest))
	m.mu.Lock()
	j.Files[i].Done = true
	m.save()
	m.mu.Unlock()
	return nil
}

func syncFile(path string) error {
	fh, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = fh.Sync()
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	return err
}

// parseContentRange reads "bytes START-END/TOTAL" (TOTAL may be "*").
func parseContentRange(s string) (start, total int64, ok bool) {
	s, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, tot, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	a, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil {
			return 0, 0, false
		}
	}
	return start, total, true
}
