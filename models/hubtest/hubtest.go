// Package hubtest is an in-process fake Hugging Face Hub for tests: the
// search, file-tree and resolve endpoints, Range and If-Range, gated repos,
// redirects to a "CDN", throttling, cut connections and corrupted bodies.
package hubtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"time"
)

// File is one file served by the fake Hub.
type File struct {
	Data []byte
	// ListedSHA256 overrides the sha256 listed in the tree (to serve content
	// that does not match it); "" lists the real one.
	ListedSHA256 string
}

// Server is the fake Hub. Fields may be changed between requests.
type Server struct {
	*httptest.Server

	mu    sync.Mutex
	repos map[string]map[string]File
	gated map[string]bool
	// Token that opens gated repos ("Bearer " + Token).
	Token string
	// CutAfter, when > 0, closes the connection after that many body bytes
	// of the next download response, once.
	CutAfter int64
	// Throttle, when > 0, limits downloads to about that many bytes a second.
	Throttle int64
	// IgnoreRange serves whole files, as servers without range support do.
	IgnoreRange bool
	// StallAfter, when > 0, stops sending (without closing) after that many
	// body bytes of the next download response, once, until the client
	// gives up.
	StallAfter int64
	// Fail5xx answers the next N download requests with 503.
	Fail5xx int
	// Ranges records the Range header of each download request ("" for none).
	Ranges []string
}

// New starts a fake Hub; it is closed when the test ends via t.Cleanup when
// the caller passes it to Close.
func New() *Server {
	s := &Server{repos: map[string]map[string]File{}, gated: map[string]bool{}}
	api := http.NewServeMux()
	api.HandleFunc("GET /api/models", s.search)
	api.HandleFunc("GET /api/models/{owner}/{repo}/tree/main", s.tree)
	api.HandleFunc("GET /cdn/{owner}/{repo}/{file...}", s.cdn)
	files := http.NewServeMux()
	files.HandleFunc("GET /{owner}/{repo}/resolve/main/{file...}", s.resolve)
	// Two muxes: the Hub's "/{owner}/{repo}/..." overlaps "/api/..." in
	// ServeMux's eyes, so the prefix picks the mux.
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/cdn/") {
			api.ServeHTTP(w, r)
			return
		}
		files.ServeHTTP(w, r)
	}))
	return s
}

// Add serves data as repo/file.
func (s *Server) Add(repo, file string, data []byte) {
	s.AddFile(repo, file, File{Data: data})
}

// AddFile serves f as repo/file.
func (s *Server) AddFile(repo, file string, f File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repos[repo] == nil {
		s.repos[repo] = map[string]File{}
	}
	s.repos[repo][file] = f
}

// Gate makes repo answer 401 without the token.
func (s *Server) Gate(repo string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gated[repo] = true
}

// Set changes the server's knobs under its lock.
func (s *Server) Set(fn func(s *Server)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s)
}

// SHA256 of data as lower-case hex.
func SHA256(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

func (s *Server) allowed(r *http.Request, repo string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.gated[repo] || (s.Token != "" && r.Header.Get("Authorization") == "Bearer "+s.Token)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := strings.ToLower(r.URL.Query().Get("search"))
	s.mu.Lock()
	var ids []string
	for id := range s.repos {
		if strings.Contains(strings.ToLower(id), q) {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	sort.Strings(ids)
	type result struct {
		ID        string `json:"id"`
		Downloads int    `json:"downloads"`
	}
	out := []result{}
	for i, id := range ids {
		out = append(out, result{id, 1000 - i})
	}
	json.NewEncoder(w).Encode(out)
}

func (s *Server) tree(w http.ResponseWriter, r *http.Request) {
	repo := r.PathValue("owner") + "/" + r.PathValue("repo")
	if !s.allowed(r, repo) {
		http.Error(w, "gated", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	files, ok := s.repos[repo]
	type lfs struct {
		OID  string `json:"oid"`
		Size int64  `json:"size"`
	}
	type entry struct {
		Type string `json:"type"`
		Path string `json:"path"`
		Size int64  `json:"size"`
		LFS  *lfs   `json:"lfs,omitempty"`
	}
	out := []entry{{Type: "file", Path: "README.md", Size: 10}}
	for name, f := range files {
		sum := f.ListedSHA256
		if sum == "" {
			sum = SHA256(f.Data)
		}
		out = append(out, entry{"file", name, int64(len(f.Data)), &lfs{sum, int64(len(f.Data))}})
	}
	s.mu.Unlock()
	if !ok {
		http.Error(w, "no such repo", http.StatusNotFound)
		return
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	json.NewEncoder(w).Encode(out)
}

// resolve redirects to the CDN, as the real Hub does for LFS files.
func (s *Server) resolve(w http.ResponseWriter, r *http.Request) {
	repo := r.PathValue("owner") + "/" + r.PathValue("repo")
	if !s.allowed(r, repo) {
		http.Error(w, "Access to model "+repo+" is restricted", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	_, ok := s.repos[repo][r.PathValue("file")]
	s.mu.Unlock()
	if !ok {
		http.Error(w, "Entry not found", http.StatusNotFound)
		return
	}
	http.Redirect(w, r, "/cdn/"+repo+"/"+r.PathValue("file"), http.StatusFound)
}

func (s *Server) cdn(w http.ResponseWriter, r *http.Request) {
	repo := r.PathValue("owner") + "/" + r.PathValue("repo")
	s.mu.Lock()
	f, ok := s.repos[repo][r.PathValue("file")]
	s.Ranges = append(s.Ranges, r.Header.Get("Range"))
	cut, throttle, ignore, stallAt := s.CutAfter, s.Throttle, s.IgnoreRange, s.StallAfter
	s.CutAfter, s.StallAfter = 0, 0
	fail := s.Fail5xx > 0
	if fail {
		s.Fail5xx--
	}
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if fail {
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	if ignore {
		r.Header.Del("Range")
	}
	w.Header().Set("ETag", `"`+SHA256(f.Data)[:16]+`"`)
	var out http.ResponseWriter = w
	if cut > 0 || throttle > 0 || stallAt > 0 {
		out = &slowWriter{ResponseWriter: w, cut: cut, rate: throttle, stall: stallAt, done: r.Context().Done()}
	}
	http.ServeContent(out, r, "", time.Time{}, bytes.NewReader(f.Data))
}

// slowWriter throttles and cuts a response body.
type slowWriter struct {
	http.ResponseWriter
	cut, rate, sent, stall int64
	done                   <-chan struct{}
}

func (s *slowWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := len(p)
		if s.rate > 0 && int64(n) > s.rate/20 {
			n = int(max(s.rate/20, 1))
		}
		if s.cut > 0 && s.sent+int64(n) > s.cut {
			n = int(s.cut - s.sent)
		}
		if s.stall > 0 && s.sent+int64(n) > s.stall {
			n = int(s.stall - s.sent)
		}
		if n > 0 {
			m, err := s.ResponseWriter.Write(p[:n])
			written += m
			s.sent += int64(m)
			if err != nil {
				return written, err
			}
			p = p[n:]
		}
		if s.stall > 0 && s.sent >= s.stall {
			s.ResponseWriter.(http.Flusher).Flush()
			<-s.done // hold the connection open, silent, until the client leaves
			panic(http.ErrAbortHandler)
		}
		if s.cut > 0 && s.sent >= s.cut {
			s.ResponseWriter.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // drop the connection mid-body
		}
		if s.rate > 0 {
			s.ResponseWriter.(http.Flusher).Flush()
			time.Sleep(50 * time.Millisecond)
		}
	}
	return written, nil
}

// TinyGGUF builds a small valid GGUF file (one F32 tensor) of about size
// bytes, with the given architecture and name.
func TinyGGUF(arch, name string, size int) []byte {
	var b bytes.Buffer
	var le func(v any)
	le = func(v any) {
		switch x := v.(type) {
		case uint32:
			b.Write([]byte{byte(x), byte(x >> 8), byte(x >> 16), byte(x >> 24)})
		case uint64:
			for i := 0; i < 8; i++ {
				b.WriteByte(byte(x >> (8 * i)))
			}
		case string:
			le(uint64(len(x)))
			b.WriteString(x)
		}
	}
	const tStr, tU32 = 8, 4
	elems := max((size-256)/4, 8)
	b.WriteString("GGUF")
	le(uint32(3))
	le(uint64(1)) // tensors
	le(uint64(4)) // kvs
	le("general.architecture")
	le(uint32(tStr))
	le(arch)
	le("general.name")
	le(uint32(tStr))
	le(name)
	le("general.file_type")
	le(uint32(tU32))
	le(uint32(0))
	le(arch + ".context_length")
	le(uint32(tU32))
	le(uint32(128))
	le("token_embd.weight")
	le(uint32(1))
	le(uint64(elems))
	le(uint32(0)) // F32
	le(uint64(0))
	for b.Len()%32 != 0 {
		b.WriteByte(0)
	}
	for i := 0; i < elems; i++ {
		le(uint32(0x3f800000 + uint32(i%1000)))
	}
	return b.Bytes()
}

// Describe prints what the server holds (for failing tests).
func (s *Server) Describe() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for repo, files := range s.repos {
		for name, f := range files {
			parts = append(parts, fmt.Sprintf("%s/%s (%d bytes)", repo, name, len(f.Data)))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
