package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"burrow/internal/sysmem"
)

// DefaultEndpoint is the Hugging Face Hub; HF_ENDPOINT replaces it, as in
// Hugging Face's own tools (mirrors, enterprise hubs, test servers).
const DefaultEndpoint = "https://huggingface.co"

// Hub is a small client for the three Hub endpoints Burrow uses.
type Hub struct {
	Endpoint string // no trailing slash
	Token    string // sent as a bearer token when set (gated repos)
	Client   *http.Client
}

// NewHub reads HF_ENDPOINT and HF_TOKEN. A token from the settings can be set
// on the result when HF_TOKEN is empty. Proxies come from the environment
// (HTTPS_PROXY, NO_PROXY, ...).
func NewHub() *Hub {
	ep := strings.TrimRight(os.Getenv("HF_ENDPOINT"), "/")
	if ep == "" {
		ep = DefaultEndpoint
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyFromEnvironment
	tr.ResponseHeaderTimeout = 60 * time.Second
	return &Hub{Endpoint: ep, Token: os.Getenv("HF_TOKEN"), Client: &http.Client{Transport: tr}}
}

// Hub errors callers may test with errors.Is.
var (
	ErrGated    = errors.New("gated repository")
	ErrNotFound = errors.New("not found on the Hub")
)

// RepoInfo is one search result.
type RepoInfo struct {
	ID        string   `json:"id"`
	Downloads int64    `json:"downloads"`
	Likes     int64    `json:"likes"`
	Tags      []string `json:"tags,omitempty"`
}

// RemoteFile is one .gguf file of a repo, with what its name says.
type RemoteFile struct {
	Repo   string `json:"repo"`
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"` // from the LFS pointer; "" for non-LFS files
	NameInfo
}

// Fit says whether a model should fit in the memory available now.
type Fit int

const (
	FitUnknown Fit = iota // memory unknown on this platform
	FitYes
	FitNo
)

func (f Fit) String() string {
	return [...]string{"unknown", "fits", "too big"}[f]
}

// RemoteModel is one downloadable model: a single file, or every shard of a
// split set (downloaded together).
type RemoteModel struct {
	Repo      string       `json:"repo"`
	Name      string       `json:"name"` // the file, or the first shard
	Files     []RemoteFile `json:"files"`
	Size      int64        `json:"size"`
	Quant     string       `json:"quant"`
	SizeLabel string       `json:"size_label"`
	Fit       Fit          `json:"fit"`
}

func (h *Hub) get(ctx context.Context, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	h.authorize(req)
	resp, err := h.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the Hub at %s (check the network, a proxy in HTTPS_PROXY, or HF_ENDPOINT): %w", h.Endpoint, err)
	}
	return resp, nil
}

func (h *Hub) authorize(req *http.Request) {
	req.Header.Set("User-Agent", "burrow")
	if h.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.Token)
	}
}

func (h *Hub) client() *http.Client {
	if h.Client != nil {
		return h.Client
	}
	return http.DefaultClient
}

// statusError turns a failed response into an error that says what to do.
func (h *Hub) statusError(resp *http.Response, repo, what string) error {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return h.gatedError(repo)
	case http.StatusNotFound:
		return fmt.Errorf("%s: %w (check the spelling, or it may be private)", what, ErrNotFound)
	}
	return fmt.Errorf("%s: hub answered %s", what, resp.Status)
}

func (h *Hub) gatedError(repo string) error {
	return sentinelError{fmt.Sprintf("%s is gated: accept its license at %s/%s and set HF_TOKEN", repo, h.Endpoint, repo), ErrGated}
}

// sentinelError reads as its message alone but matches a sentinel with
// errors.Is, for messages where the sentinel's words would repeat.
type sentinelError struct {
	msg string
	is  error
}

func (e sentinelError) Error() string { return e.msg }
func (e sentinelError) Unwrap() error { return e.is }

// Search lists GGUF repos matching query, most downloaded first.
func (h *Hub) Search(ctx context.Context, query string, limit int) ([]RepoInfo, error) {
	if limit <= 0 {
		limit = 30
	}
	q := url.Values{}
	q.Set("search", query)
	q.Set("filter", "gguf")
	q.Set("sort", "downloads")
	q.Set("direction", "-1")
	q.Set("limit", fmt.Sprint(limit))
	resp, err := h.get(ctx, h.Endpoint+"/api/models?"+q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, h.statusError(resp, "", "search "+query)
	}
	var out []RepoInfo
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("search %q: bad answer from the hub: %w", query, err)
	}
	valid := out[:0]
	for _, r := range out {
		if ValidateRepo(r.ID) == nil {
			valid = append(valid, r)
		}
	}
	return valid, nil
}

type treeEntry struct {
	Type string `json:"type"`
	Path string `json:"path"`
	Size int64  `json:"size"`
	LFS  *struct {
		OID  string `json:"oid"`
		Size int64  `json:"size"`
	} `json:"lfs"`
}

var nextLinkRe = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)
var sha256Re = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Files lists a repo's .gguf files with sizes and sha256. Names that fail
// validation (traversal, absolute, not .gguf) are left out: they never reach
// the file system.
func (h *Hub) Files(ctx context.Context, repo string) ([]RemoteFile, error) {
	if err := ValidateRepo(repo); err != nil {
		return nil, err
	}
	u := h.Endpoint + "/api/models/" + repo + "/tree/main?recursive=true"
	var out []RemoteFile
	for page := 0; u != "" && page < 100; page++ {
		resp, err := h.get(ctx, u)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			err := h.statusError(resp, repo, "list files of "+repo)
			resp.Body.Close()
			return nil, err
		}
		var entries []treeEntry
		err = json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&entries)
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("list files of %s: bad answer from the hub: %w", repo, err)
		}
		for _, e := range entries {
			if e.Type != "file" || ValidateFile(e.Path) != nil {
				continue
			}
			f := RemoteFile{Repo: repo, Path: e.Path, Size: e.Size, NameInfo: ParseFileName(e.Path)}
			if e.LFS != nil {
				f.Size = e.LFS.Size
				if oid := strings.ToLower(e.LFS.OID); sha256Re.MatchString(oid) {
					f.SHA256 = oid
				}
			}
			out = append(out, f)
		}
		u = ""
		if m := nextLinkRe.FindStringSubmatch(resp.Header.Get("Link")); m != nil {
			u = m[1]
		}
	}
	return out, nil
}

// Models groups files into downloadable models (split shards together) and
// marks each with a "fits in memory" verdict.
func Models(files []RemoteFile) []RemoteModel {
	avail, memErr := sysmem.Available()
	byName := map[string]*RemoteModel{}
	var order []string
	for _, f := range files {
		key := f.Repo + "/" + f.Path
		if f.SplitCount > 0 {
			first, _ := SplitName(f.Path, 1)
			key = f.Repo + "/" + first
		}
		m, ok := byName[key]
		if !ok {
			m = &RemoteModel{Repo: f.Repo, Name: strings.TrimPrefix(key, f.Repo+"/"), Quant: f.Quant, SizeLabel: f.SizeLabel}
			byName[key] = m
			order = append(order, key)
		}
		m.Files = append(m.Files, f)
		m.Size += f.Size
	}
	out := make([]RemoteModel, 0, len(order))
	for _, k := range order {
		m := byName[k]
		sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].SplitIndex < m.Files[j].SplitIndex })
		if memErr == nil {
			m.Fit = fitFor(m.Size, avail)
		}
		out = append(out, *m)
	}
	return out
}

// AvailableMemory is the memory a new process can use without swapping
// (MemAvailable on Linux); an error where the platform does not say.
func AvailableMemory() (uint64, error) { return sysmem.Available() }

// FitFor says whether a download of size bytes should fit in memory now.
func FitFor(size int64) Fit {
	avail, err := sysmem.Available()
	if err != nil {
		return FitUnknown
	}
	return fitFor(size, avail)
}

// fitFor allows a fifth of the file for the KV cache and the runtime.
func fitFor(size int64, avail uint64) Fit {
	if uint64(size)+uint64(size)/5+256<<20 <= avail {
		return FitYes
	}
	return FitNo
}

// PickQuant chooses the model with quant q (case-insensitive) among models.
func PickQuant(models []RemoteModel, q string) (RemoteModel, error) {
	var have []string
	for _, m := range models {
		if strings.EqualFold(m.Quant, q) {
			return m, nil
		}
		if m.Quant != "" {
			have = append(have, m.Quant)
		}
	}
	if len(have) == 0 {
		return RemoteModel{}, fmt.Errorf("no %s file, and no file name says its quant", q)
	}
	return RemoteModel{}, fmt.Errorf("no %s file; available: %s", q, strings.Join(have, ", "))
}

// ResolveURL is where a file's bytes are (the Hub redirects to its CDN).
func (h *Hub) ResolveURL(repo, file string) string {
	segs := strings.Split(file, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return h.Endpoint + "/" + repo + "/resolve/main/" + path.Join(segs...)
}
