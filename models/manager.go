package models

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Options configure a Manager. Zero values pick the defaults.
type Options struct {
	Hub     *Hub     // default NewHub()
	Library *Library // default OpenLibrary()
	// StatePath is the persisted queue; default <Library.StateDir>/downloads.json.
	StatePath string
	// FS opens part files; tests inject one that fails like a full disk.
	FS PartFS
	// FreeSpace reports free bytes under a folder; default statfs.
	FreeSpace func(dir string) (uint64, error)
	// Retries after a network error or 5xx before giving up (default 8);
	// the count starts again whenever bytes arrive.
	Retries int
	// Backoff is the first retry delay, doubled each time up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// StallTimeout cuts a connection that sends nothing for that long (the
	// download then resumes on a new one); default one minute.
	StallTimeout time.Duration
}

// Manager runs the download queue. One download runs at a time; the queue is
// saved to disk on every change of state so a restart continues it.
type Manager struct {
	opts Options
	hub  *Hub
	lib  *Library

	mu     sync.Mutex
	jobs   []*job
	subs   map[int]chan Status
	nextID int
	wake   chan struct{}
	closed bool
	loop   sync.Once
	loadEr error
	// forgotten are jobs this process finished, cancelled or removed: not
	// to be resurrected from the file when merging with other processes.
	forgotten map[string]bool
}

// NewManager loads the saved queue. Jobs that were running when the process
// died are queued again; call Start to run the queue in the background, or
// Run to run one job in the caller's goroutine (the CLI).
func NewManager(opts Options) *Manager {
	if opts.Hub == nil {
		opts.Hub = NewHub()
	}
	if opts.Library == nil {
		opts.Library = OpenLibrary()
	}
	if opts.StatePath == "" {
		opts.StatePath = filepath.Join(opts.Library.StateDir, "downloads.json")
	}
	if opts.FS == nil {
		opts.FS = osFS{}
	}
	if opts.FreeSpace == nil {
		opts.FreeSpace = freeSpace
	}
	if opts.Retries == 0 {
		opts.Retries = 8
	}
	if opts.Backoff == 0 {
		opts.Backoff = time.Second
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = time.Minute
	}
	if opts.StallTimeout == 0 {
		opts.StallTimeout = time.Minute
	}
	m := &Manager{opts: opts, hub: opts.Hub, lib: opts.Library, subs: map[int]chan Status{}, wake: make(chan struct{}, 1), forgotten: map[string]bool{}}
	m.loadEr = m.load()
	return m
}

// LoadError reports a queue file that could not be read (it was ignored).
func (m *Manager) LoadError() error { return m.loadEr }

// Hub and Library give front ends the clients the manager uses.
func (m *Manager) Hub() *Hub         { return m.hub }
func (m *Manager) Library() *Library { return m.lib }

type queueFile struct {
	Version int    `json:"version"`
	Jobs    []*job `json:"jobs"`
}

func (m *Manager) load() error {
	var q queueFile
	if err := readJSON(m.opts.StatePath, &q); err != nil {
		return fmt.Errorf("download queue ignored: %w", err)
	}
	for _, j := range q.Jobs {
		if j == nil || m.validJob(j) != nil {
			continue // a tampered or stale entry never reaches the disk
		}
		if j.State == StateRunning {
			j.State = StateQueued
		}
		if j.State == StateDone || j.State == StateCancelled {
			continue
		}
		m.jobs = append(m.jobs, j)
	}
	return nil
}

func (m *Manager) validJob(j *job) error {
	if len(j.Files) == 0 {
		return fmt.Errorf("%w: job without files", ErrBadName)
	}
	for _, f := range j.Files {
		if _, err := m.lib.PathFor(j.Repo, f.Path); err != nil {
			return err
		}
	}
	return nil
}

// save writes the queue atomically; callers hold m.mu. Jobs another
// process (a `burrow pull` beside the app) added to the file are kept, so
// neither process erases the other's queue.
func (m *Manager) save() error {
	q := queueFile{Version: 1}
	for _, j := range m.jobs {
		if j.State == StateDone || j.State == StateCancelled {
			m.forgotten[j.ID] = true
			continue
		}
		q.Jobs = append(q.Jobs, j)
	}
	var disk queueFile
	if readJSON(m.opts.StatePath, &disk) == nil {
		for _, j := range disk.Jobs {
			if j != nil && m.find(j.ID) == nil && !m.forgotten[j.ID] && m.validJob(j) == nil {
				q.Jobs = append(q.Jobs, j)
			}
		}
	}
	return writeJSONAtomic(m.opts.StatePath, q)
}

// Enqueue adds a model (every file of a split set) to the queue and returns
// its status. Adding a model already queued returns the existing job, which
// resumes where it stopped. A model already in the library is refused with
// ErrExists unless overwrite is set.
func (m *Manager) Enqueue(rm RemoteModel, overwrite bool) (Status, error) {
	if len(rm.Files) == 0 {
		return Status{}, fmt.Errorf("%s: no files to download", rm.Repo)
	}
	j := &job{Repo: rm.Repo, State: StateQueued, Overwrite: overwrite, Added: time.Now().UTC()}
	for _, f := range rm.Files {
		j.Files = append(j.Files, JobFile{Path: f.Path, Size: f.Size, SHA256: f.SHA256})
	}
	j.ID = j.Repo + "/" + j.Files[0].Path
	if err := m.validJob(j); err != nil {
		return Status{}, err
	}
	if !overwrite {
		for _, f := range j.Files {
			dest, _ := m.lib.PathFor(j.Repo, f.Path)
			if _, err := os.Stat(dest); err == nil {
				return Status{}, fmt.Errorf("%w: %s (download again only if you ask to overwrite it)", ErrExists, dest)
			}
		}
	}
	m.mu.Lock()
	delete(m.forgotten, j.ID)
	if old := m.find(j.ID); old != nil {
		if old.State == StateFailed || old.State == StateDone || old.State == StateCancelled {
			old.State, old.Error, old.Overwrite = StateQueued, "", overwrite
		}
		m.save()
		st := m.status(old)
		m.mu.Unlock()
		m.kick()
		m.publish(st)
		return st, nil
	}
	m.jobs = append(m.jobs, j)
	err := m.save()
	st := m.status(j)
	m.mu.Unlock()
	m.kick()
	m.publish(st)
	return st, err
}

// AddFromHub looks the file up on the Hub (for its size and sha256) and
// queues it together with the rest of its split set.
func (m *Manager) AddFromHub(ctx context.Context, repo, file string, overwrite bool) (Status, error) {
	if err := ValidateRepo(repo); err != nil {
		return Status{}, err
	}
	if err := ValidateFile(file); err != nil {
		return Status{}, err
	}
	files, err := m.hub.Files(ctx, repo)
	if err != nil {
		return Status{}, err
	}
	want := file
	if first, ok := SplitName(file, 1); ok {
		want = first
	}
	for _, rm := range Models(files) {
		if rm.Name == want {
			return m.Enqueue(rm, overwrite)
		}
	}
	return Status{}, fmt.Errorf("%s/%s: %w", repo, file, ErrNotFound)
}

func (m *Manager) find(id string) *job {
	for _, j := range m.jobs {
		if j.ID == id {
			return j
		}
	}
	return nil
}

// Jobs lists every job, oldest first.
func (m *Manager) Jobs() []Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Status, 0, len(m.jobs))
	for _, j := range m.jobs {
		out = append(out, m.status(j))
	}
	return out
}

// Job returns one job's status.
func (m *Manager) Job(id string) (Status, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if j := m.find(id); j != nil {
		return m.status(j), true
	}
	return Status{}, false
}

// status snapshots a job; callers hold m.mu.
func (m *Manager) status(j *job) Status {
	st := Status{ID: j.ID, Repo: j.Repo, Name: j.Files[0].Path, State: j.State, Total: j.total(), Error: j.Error}
	st.Path, _ = m.lib.PathFor(j.Repo, j.Files[0].Path)
	for _, f := range j.Files {
		st.Files = append(st.Files, f.Path)
	}
	st.Bytes = j.bytes
	if j.State == StateDone {
		st.Bytes = st.Total
	} else if j.State != StateRunning {
		st.Bytes = m.bytesOnDisk(j)
	}
	if j.State == StateRunning && j.speed > 0 {
		st.Speed = j.speed
		st.ETA = time.Duration(float64(st.Total-st.Bytes) / j.speed * float64(time.Second)).Round(time.Second)
	}
	return st
}

// bytesOnDisk counts finished files and part files, for jobs not running.
func (m *Manager) bytesOnDisk(j *job) int64 {
	var n int64
	for _, f := range j.Files {
		dest, _ := m.lib.PathFor(j.Repo, f.Path)
		if f.Done {
			n += f.Size
		} else if st, err := os.Stat(dest + ".part"); err == nil {
			n += st.Size()
		}
	}
	return n
}

// Subscribe returns a channel of status events (state changes and progress
// a few times a second) and a function to stop them. Events are dropped for
// a reader that falls behind; Jobs always has the current state.
func (m *Manager) Subscribe() (<-chan Status, func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := m.nextID
	m.nextID++
	ch := make(chan Status, 64)
	m.subs[id] = ch
	return ch, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if c, ok := m.subs[id]; ok {
			delete(m.subs, id)
			close(c)
		}
	}
}

func (m *Manager) publish(st Status) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ch := range m.subs {
		select {
		case ch <- st:
		default:
		}
	}
}

// Pause stops a running or queued job and keeps its part file.
func (m *Manager) Pause(id string) error {
	return m.setState(id, StatePaused)
}

// Resume queues a paused or failed job again; it continues from its part.
func (m *Manager) Resume(id string) error {
	m.mu.Lock()
	j := m.find(id)
	if j == nil {
		m.mu.Unlock()
		return fmt.Errorf("no download %s", id)
	}
	if j.State == StatePaused || j.State == StateFailed {
		j.State, j.Error = StateQueued, ""
		m.save()
	}
	st := m.status(j)
	m.mu.Unlock()
	m.publish(st)
	m.kick()
	return nil
}

// Cancel stops a job, deletes its part files and drops it from the queue.
// Files already finished (earlier shards of a split set) stay.
func (m *Manager) Cancel(id string) error {
	return m.setState(id, StateCancelled)
}

// Remove drops a finished, failed or cancelled job from the list.
func (m *Manager) Remove(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, j := range m.jobs {
		if j.ID == id && j.State != StateRunning {
			m.jobs = append(m.jobs[:i], m.jobs[i+1:]...)
			m.forgotten[id] = true
			m.save()
			return
		}
	}
}

func (m *Manager) setState(id string, s JobState) error {
	m.mu.Lock()
	j := m.find(id)
	if j == nil {
		m.mu.Unlock()
		return fmt.Errorf("no download %s", id)
	}
	if j.State == StateDone || j.State == StateCancelled {
		m.mu.Unlock()
		return nil
	}
	running := j.State == StateRunning
	j.State = s
	wait := j.done
	if running && j.cancel != nil {
		j.cancel()
	}
	m.save()
	m.mu.Unlock()
	if running && wait != nil {
		<-wait // the part file is closed before we touch it
	}
	if s == StateCancelled {
		m.removeParts(j)
	}
	m.mu.Lock()
	st := m.status(j)
	m.mu.Unlock()
	m.publish(st)
	return nil
}

func (m *Manager) removeParts(j *job) {
	for _, f := range j.Files {
		if dest, err := m.lib.PathFor(j.Repo, f.Path); err == nil && !f.Done {
			os.Remove(dest + ".part")
		}
	}
}

func (m *Manager) kick() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Start runs queued jobs one after another in the background until ctx ends.
func (m *Manager) Start(ctx context.Context) {
	m.loop.Do(func() {
		go func() {
			for ctx.Err() == nil {
				if id, ok := m.nextQueued(); ok {
					m.run(ctx, id, true)
					continue
				}
				select {
				case <-ctx.Done():
					return
				case <-m.wake:
				}
			}
		}()
	})
}

func (m *Manager) nextQueued() (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, j := range m.jobs {
		if j.State == StateQueued {
			return j.ID, true
		}
	}
	return "", false
}

// Run downloads one job in the calling goroutine and returns its final
// status. Cancelling ctx leaves the job queued with its part file, to be
// resumed by the next Run or Start (an interrupted CLI, a closing app).
func (m *Manager) Run(ctx context.Context, id string) (Status, error) {
	return m.run(ctx, id, false)
}

// run starts job id; the background loop passes onlyQueued so a job paused
// between its pick and its start stays paused.
func (m *Manager) run(ctx context.Context, id string, onlyQueued bool) (Status, error) {
	m.mu.Lock()
	j := m.find(id)
	if j == nil {
		m.mu.Unlock()
		return Status{}, fmt.Errorf("no download %s", id)
	}
	if onlyQueued && j.State != StateQueued {
		st := m.status(j)
		m.mu.Unlock()
		return st, nil
	}
	if j.State == StateCancelled {
		m.mu.Unlock()
		return Status{}, ErrCancelled
	}
	if j.State == StateRunning {
		m.mu.Unlock()
		return Status{}, fmt.Errorf("%s is already downloading", id)
	}
	if j.State == StateDone {
		st := m.status(j)
		m.mu.Unlock()
		return st, nil
	}
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	j.State, j.Error, j.cancel, j.done = StateRunning, "", cancel, make(chan struct{})
	j.bytes = m.bytesOnDisk(j)
	m.save()
	st := m.status(j)
	m.mu.Unlock()
	m.publish(st)

	err := m.runJob(jctx, j)

	m.mu.Lock()
	if j.State == StateCancelled {
		// Remove the parts before anyone hears "cancelled".
		m.removeParts(j)
	}
	close(j.done)
	j.cancel, j.speed = nil, 0
	switch {
	case err == nil:
		j.State = StateDone
	case j.State != StateRunning:
		// Paused or cancelled by the user: their state stands.
	case ctx.Err() != nil:
		j.State = StateQueued
		err = ctx.Err()
	default:
		j.State, j.Error = StateFailed, err.Error()
	}
	m.save()
	st = m.status(j)
	if j.State == StateCancelled {
		err = ErrCancelled
	} else if j.State == StatePaused {
		err = nil
	}
	m.mu.Unlock()
	m.publish(st)
	return st, err
}

// Wait blocks until job id reaches a state that needs the user (done,
// failed, paused, cancelled) or ctx ends.
func (m *Manager) Wait(ctx context.Context, id string) (Status, error) {
	ch, stop := m.Subscribe()
	defer stop()
	for {
		st, ok := m.Job(id)
		if !ok {
			return Status{}, fmt.Errorf("no download %s", id)
		}
		if st.State.Terminal() {
			if st.State == StateFailed {
				return st, errors.New(st.Error)
			}
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-ch:
		case <-time.After(time.Second):
		}
	}
}
