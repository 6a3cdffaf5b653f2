package models

import (
	"errors"
	"time"
)

// JobState is where a download is in its life.
type JobState string

const (
	StateQueued    JobState = "queued"
	StateRunning   JobState = "running"
	StatePaused    JobState = "paused"
	StateDone      JobState = "done"
	StateFailed    JobState = "failed"
	StateCancelled JobState = "cancelled"
)

// Terminal reports whether the job will not move without the user.
func (s JobState) Terminal() bool {
	return s == StateDone || s == StateFailed || s == StateCancelled || s == StatePaused
}

// Download errors callers may test with errors.Is.
var (
	ErrDiskFull     = errors.New("disk full")
	ErrNoSpace      = errors.New("not enough free disk space")
	ErrHashMismatch = errors.New("downloaded file is corrupt (sha256 mismatch)")
	ErrExists       = errors.New("model already in the library")
	ErrCancelled    = errors.New("download cancelled")
	errBusy         = errors.New("being downloaded by another Burrow process")
)

// JobFile is one file of a job (a split model has several), as persisted.
type JobFile struct {
	Path   string `json:"path"` // inside the repo
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
	ETag   string `json:"etag,omitempty"` // validator for If-Range on resume
	Done   bool   `json:"done,omitempty"` // renamed into the library
}

// job is a queued download as stored in downloads.json.
type job struct {
	ID        string    `json:"id"` // repo + "/" + first file
	Repo      string    `json:"repo"`
	Files     []JobFile `json:"files"`
	State     JobState  `json:"state"`
	Overwrite bool      `json:"overwrite,omitempty"`
	Error     string    `json:"error,omitempty"`
	Added     time.Time `json:"added"`

	// Not persisted: live progress.
	bytes  int64
	speed  float64
	cancel func()
	done   chan struct{} // closed when the running attempt returns
}

// Status is a snapshot of a job for the UI and CLI; progress events carry it.
type Status struct {
	ID    string   `json:"id"`
	Repo  string   `json:"repo"`
	Name  string   `json:"name"`  // first file
	Path  string   `json:"path"`  // destination of the first file (what to load)
	Files []string `json:"files"` // every file in the repo
	State JobState `json:"state"`
	Bytes int64    `json:"bytes"`
	Total int64    `json:"total"`
	// Speed in bytes per second (smoothed) and the estimated time left; zero
	// when unknown.
	Speed float64       `json:"speed"`
	ETA   time.Duration `json:"eta"`
	Error string        `json:"error,omitempty"`
}

func (j *job) total() int64 {
	var t int64
	for _, f := range j.Files {
		t += f.Size
	}
	return t
}
