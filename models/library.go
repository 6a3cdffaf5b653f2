package models

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/adrg/xdg"
)

// Where an entry was found.
const (
	SourceLibrary    = "library"    // under the library folder (downloads)
	SourceRegistered = "registered" // a file opened or dropped, used in place
	SourceFolder     = "folder"     // under an extra folder the user added
)

// Entry is one model in the library. A split model (-00001-of-0000N) is one
// entry whose Files lists every shard; Path is the first shard.
type Entry struct {
	Path     string    `json:"path"`
	Files    []string  `json:"files,omitempty"`
	Repo     string    `json:"repo,omitempty"` // owner/repo for downloads
	Source   string    `json:"source"`
	FileSize int64     `json:"file_size"` // all shards
	ModTime  time.Time `json:"mod_time"`
	Meta
	// Err says why the file could not be read (missing, not GGUF, ...).
	Err string `json:"error,omitempty"`
}

// Library is the set of models on disk. It keeps no index: every Scan walks
// the library folder, the extra folders and the registered files again.
type Library struct {
	Root     string // downloads land in Root/<owner>/<repo>/<file>
	StateDir string // registrations and the metadata cache

	mu    sync.Mutex
	cache *metaCache
}

// OpenLibrary uses the XDG folders: $XDG_DATA_HOME/burrow/models for models
// and $XDG_STATE_HOME/burrow for its small state files.
func OpenLibrary() *Library {
	return NewLibrary(filepath.Join(xdg.DataHome, "burrow", "models"), filepath.Join(xdg.StateHome, "burrow"))
}

// NewLibrary uses explicit folders (tests, portable installs).
func NewLibrary(root, stateDir string) *Library {
	return &Library{Root: root, StateDir: stateDir}
}

// registrations is the small JSON of files used in place and extra folders.
type registrations struct {
	Files   []string `json:"files"`
	Folders []string `json:"folders"`
}

func (l *Library) regPath() string { return filepath.Join(l.StateDir, "library.json") }

func (l *Library) loadReg() registrations {
	var r registrations
	if err := readJSON(l.regPath(), &r); err != nil {
		// A corrupt list loses registrations, never model files.
		return registrations{}
	}
	return r
}

func (l *Library) editReg(edit func(*registrations)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.loadReg()
	edit(&r)
	return writeJSONAtomic(l.regPath(), r)
}

// Register adds a GGUF file that stays where it is (opened or dropped).
func (l *Library) Register(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if st, err := os.Stat(abs); err != nil {
		return fmt.Errorf("register %s: %w", path, err)
	} else if st.IsDir() {
		return fmt.Errorf("register %s: is a folder (add it as a folder instead)", path)
	}
	if !strings.EqualFold(filepath.Ext(abs), ".gguf") {
		return fmt.Errorf("register %s: not a .gguf file", path)
	}
	return l.editReg(func(r *registrations) { r.Files = addUnique(r.Files, abs) })
}

// Unregister forgets a registered file without touching it.
func (l *Library) Unregister(path string) error {
	abs, _ := filepath.Abs(path)
	return l.editReg(func(r *registrations) { r.Files = remove(r.Files, abs) })
}

// AddFolder adds a folder whose .gguf files (recursively) join the library.
func (l *Library) AddFolder(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if st, err := os.Stat(abs); err != nil {
		return fmt.Errorf("add folder %s: %w", dir, err)
	} else if !st.IsDir() {
		return fmt.Errorf("add folder %s: not a folder", dir)
	}
	return l.editReg(func(r *registrations) { r.Folders = addUnique(r.Folders, abs) })
}

// RemoveFolder stops scanning a folder; its files are left alone.
func (l *Library) RemoveFolder(dir string) error {
	abs, _ := filepath.Abs(dir)
	return l.editReg(func(r *registrations) { r.Folders = remove(r.Folders, abs) })
}

// Folders lists the extra folders.
func (l *Library) Folders() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.loadReg().Folders
}

// PathFor is where a download of repo/file lives (after validating both).
func (l *Library) PathFor(repo, file string) (string, error) {
	if err := ValidateRepo(repo); err != nil {
		return "", err
	}
	if err := ValidateFile(file); err != nil {
		return "", err
	}
	return filepath.Join(l.Root, filepath.FromSlash(repo), filepath.FromSlash(file)), nil
}

// candidate is a .gguf file found by a scan, before grouping shards.
type candidate struct {
	path, source string
	info         fs.FileInfo
	err          error
}

// Scan lists every model, newest first. Unreadable files are listed with Err
// set rather than failing the scan.
func (l *Library) Scan() ([]Entry, error) {
	l.mu.Lock()
	if l.cache == nil {
		l.cache = loadMetaCache(l.StateDir)
	}
	reg := l.loadReg()
	l.mu.Unlock()

	seen := map[string]bool{}
	var cands []candidate
	add := func(path, source string, info fs.FileInfo, err error) {
		if abs, aerr := filepath.Abs(path); aerr == nil {
			path = abs
		}
		if seen[path] {
			return
		}
		seen[path] = true
		cands = append(cands, candidate{path, source, info, err})
	}
	walk := func(root, source string) {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.EqualFold(filepath.Ext(p), ".gguf") {
				return nil
			}
			info, ierr := d.Info()
			add(p, source, info, ierr)
			return nil
		})
	}
	walk(l.Root, SourceLibrary)
	for _, p := range reg.Files {
		info, err := os.Stat(p)
		add(p, SourceRegistered, info, err)
	}
	for _, d := range reg.Folders {
		walk(d, SourceFolder)
	}

	entries := l.group(cands)
	l.cache.keepOnly(seen)
	if err := l.cache.save(); err != nil {
		// The cache is an optimisation; a read-only state folder must not
		// hide the library.
		_ = err
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].ModTime.After(entries[j].ModTime) })
	return entries, nil
}

// group turns candidates into entries, folding split shards into their set.
func (l *Library) group(cands []candidate) []Entry {
	byPath := map[string]candidate{}
	for _, c := range cands {
		byPath[c.path] = c
	}
	var out []Entry
	for _, c := range cands {
		ni := ParseFileName(filepath.Base(c.path))
		if ni.SplitCount > 0 && ni.SplitIndex != 1 {
			first, _ := SplitName(c.path, 1)
			if _, ok := byPath[first]; ok {
				continue // listed under its first shard
			}
		}
		e := Entry{Path: c.path, Source: c.source, Repo: l.repoOf(c.path)}
		if c.err != nil {
			e.Err = errText(c.err)
			e.Name = filepath.Base(c.path)
			out = append(out, e)
			continue
		}
		e.Files = []string{c.path}
		e.FileSize = c.info.Size()
		e.ModTime = c.info.ModTime()
		var missing []string
		if ni.SplitCount > 0 {
			e.Files = nil
			for _, s := range SplitSet(c.path) {
				sc, ok := byPath[s]
				if !ok {
					if st, err := os.Stat(s); err == nil {
						sc = candidate{path: s, info: st}
						ok = true
					}
				}
				if !ok || sc.err != nil {
					missing = append(missing, filepath.Base(s))
					continue
				}
				e.Files = append(e.Files, s)
				if s != c.path {
					e.FileSize += sc.info.Size()
				}
			}
		}
		if ni.SplitCount > 0 && ni.SplitIndex != 1 {
			missing = append([]string{"shard 1"}, missing...)
		}
		e.Meta, e.Err = l.meta(c, e.FileSize)
		if len(missing) > 0 {
			e.Supported = false
			e.Reason = "incomplete split model: missing " + strings.Join(missing, ", ")
		}
		out = append(out, e)
	}
	return out
}

// meta reads (or recalls) a file's Meta.
func (l *Library) meta(c candidate, total int64) (Meta, string) {
	size, mtime := c.info.Size(), c.info.ModTime().UnixNano()
	if m, ok := l.cache.get(c.path, size, mtime, total); ok {
		return m, ""
	}
	m, err := readMeta(c.path, total)
	if err != nil {
		return Meta{Name: filepath.Base(c.path), Reason: errText(err)}, errText(err)
	}
	l.cache.put(c.path, size, mtime, total, m)
	return m, ""
}

// repoOf is "owner/repo" for files under Root/<owner>/<repo>/..., else "".
func (l *Library) repoOf(path string) string {
	root, err := filepath.Abs(l.Root)
	if err != nil {
		return ""
	}
	rel, err := filepath.Rel(root, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return ""
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	if len(parts) < 3 {
		return ""
	}
	return parts[0] + "/" + parts[1]
}

// ErrNotInLibrary is returned by Find and Delete for paths the library does not list.
var ErrNotInLibrary = errors.New("not in the model library")

// Find looks a model up by file path, or by OWNER/REPO/FILE for downloads.
func (l *Library) Find(ref string) (Entry, error) {
	entries, err := l.Scan()
	if err != nil {
		return Entry{}, err
	}
	want := []string{}
	if abs, err := filepath.Abs(ref); err == nil {
		want = append(want, abs)
	}
	if parts := strings.SplitN(filepath.ToSlash(ref), "/", 3); len(parts) == 3 {
		if p, err := l.PathFor(parts[0]+"/"+parts[1], parts[2]); err == nil {
			want = append(want, p)
		}
	}
	for _, e := range entries {
		for _, w := range want {
			if e.Path == w || contains(e.Files, w) {
				return e, nil
			}
		}
	}
	return Entry{}, fmt.Errorf("%s: %w", ref, ErrNotInLibrary)
}

// Delete removes a model's file (every shard of a split model) and, for a
// registered file, its registration. Nothing else is touched: no folders, no
// other files beside it.
func (l *Library) Delete(ref string) error {
	e, err := l.Find(ref)
	if err != nil {
		return err
	}
	files := e.Files
	if len(files) == 0 {
		files = []string{e.Path}
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("delete %s: %w", f, err)
		}
	}
	if e.Source == SourceRegistered {
		return l.Unregister(e.Path)
	}
	return nil
}

func errText(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "file not found"
	}
	return err.Error()
}

func addUnique(list []string, s string) []string {
	if contains(list, s) {
		return list
	}
	return append(list, s)
}

func remove(list []string, s string) []string {
	out := list[:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
