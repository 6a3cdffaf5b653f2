// Package api serves an engine over the OpenAI wire format (chat and text
// completions, models) for other programs: `burrow serve` and the window.
package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"burrow/inference"
)

// Generator is what the API server needs from an engine: the worker's
// Generate, or a remote server's (RemoteEngine), or a fake in tests.
type Generator interface {
	Generate(ctx context.Context, req inference.GenerateRequest) <-chan inference.Event
}

// ServerOptions configure the OpenAI-compatible server. The zero value
// listens on 127.0.0.1:1234 with no key, no CORS and the default limits.
type ServerOptions struct {
	Host   string // default 127.0.0.1: only this machine
	Port   int    // default 1234 (LM Studio's); -1 picks a free port
	APIKey string // when set, requests need "Authorization: Bearer <key>"
	CORS   bool   // allow browsers on other origins (with preflight)

	MaxBodyBytes int64 // request body limit; default 8 MiB
	MaxQueue     int   // requests waiting behind the running one; default 8

	// Model reports the loaded model (nil when none). It is asked on every
	// request, so the UI can switch models under a running server.
	Model func() *inference.ModelInfo
	// Library lists the ids of models on disk, for GET /v1/models. Optional.
	Library func() []string
	// Files describes the models on disk, for Ollama's /api/tags. Optional.
	Files func() []ModelFile
	// NoOllama serves only OpenAI's API: /api/... answers 404.
	NoOllama bool
}

// Defaults for ServerOptions.
const (
	DefaultServerHost   = "127.0.0.1"
	DefaultServerPort   = 1234
	defaultMaxBodyBytes = 8 << 20
	DefaultMaxQueue     = 8
)

// Server serves a Generator over the OpenAI wire format.
type Server struct {
	gen  Generator
	opts ServerOptions

	// pending counts admitted generations (running or queued) so a flood of
	// requests gets 503 instead of piling up behind the worker.
	pending atomic.Int64

	mu      sync.Mutex
	srv     *http.Server
	ln      net.Listener
	cancel  context.CancelFunc // cancels every request's context on Stop
	serving chan struct{}      // closed when Serve returns
}

// NewServer makes a server over gen; Start listens, Handler serves in tests.
func NewServer(gen Generator, opts ServerOptions) *Server {
	if opts.Host == "" {
		opts.Host = DefaultServerHost
	}
	if opts.Port == 0 {
		opts.Port = DefaultServerPort
	}
	if opts.Port < 0 {
		opts.Port = 0
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = defaultMaxBodyBytes
	}
	if opts.MaxQueue <= 0 {
		opts.MaxQueue = DefaultMaxQueue
	}
	if opts.Model == nil {
		opts.Model = func() *inference.ModelInfo { return nil }
	}
	return &Server{gen: gen, opts: opts}
}

// Start listens and serves in the background. It returns once the socket is
// open, so the address can be shown at once.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("api server: already running")
	}
	addr := net.JoinHostPort(s.opts.Host, strconv.Itoa(s.opts.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("api server: listen on %s: %w", addr, err)
	}
	base, cancel := context.WithCancel(context.Background())
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute, // no write timeout: streams last as long as replies
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // returns ErrServerClosed after Stop
	}()
	s.srv, s.ln, s.cancel, s.serving = srv, ln, cancel, done
	return nil
}

// Addr is the base URL clients use, e.g. "http://127.0.0.1:1234/v1"; "" when
// the server is not running.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String() + "/v1"
}

// Running reports whether Start succeeded and Stop has not been called.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv != nil
}

// Stop lets requests in flight finish until ctx ends, then cancels their
// generations and closes the connections. Stopping a stopped server is a no-op.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	srv, cancel, done := s.srv, s.cancel, s.serving
	s.srv, s.ln, s.cancel, s.serving = nil, nil, nil, nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	cancel()
	if err != nil {
		err = srv.Close()
	}
	<-done
	if err != nil {
		return fmt.Errorf("api server: stop: %w", err)
	}
	return nil
}

// Handler is the server's routes wrapped in its middleware (recover, host
// check, CORS, key check, body limit). Tests serve it with httptest.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.handleChat)
	mux.HandleFunc("POST /v1/completions", s.handleCompletions)
	mux.HandleFunc("POST /v1/embeddings", s.handleEmbeddings)
	mux.HandleFunc("POST /v1/responses", s.handleResponses)
	mux.HandleFunc("GET /v1/models", s.handleModels)
	mux.HandleFunc("GET /v1/models/{id...}", s.handleModel)
	if !s.opts.NoOllama {
		s.ollamaRoutes(mux)
	}
	mux.HandleFunc("/", s.handleUnknown)
	return s.recoverMiddleware(s.hostMiddleware(s.corsMiddleware(s.authMiddleware(s.limitMiddleware(mux)))))
}

// ollamaRoutes adds Ollama's API (ollama.go).
func (s *Server) ollamaRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/version", s.handleOllamaVersion)
	mux.HandleFunc("GET /api/tags", s.handleOllamaTags)
	mux.HandleFunc("GET /api/ps", s.handleOllamaPs)
	mux.HandleFunc("POST /api/show", s.handleOllamaShow)
	mux.HandleFunc("POST /api/chat", s.handleOllamaChat)
	mux.HandleFunc("POST /api/generate", s.handleOllamaGenerate)
	mux.HandleFunc("POST /api/embed", s.handleOllamaEmbed)
	mux.HandleFunc("POST /api/embeddings", s.handleOllamaEmbed)
	for _, route := range []string{"POST /api/pull", "POST /api/push", "POST /api/create", "POST /api/copy", "DELETE /api/delete"} {
		mux.HandleFunc(route, s.handleOllamaModelStore)
	}
}

// admit reserves a place for one generation, or reports the queue is full.
// The returned release must be called once the generation's events end.
func (s *Server) admit() (release func(), ok bool) {
	limit := int64(s.opts.MaxQueue) + 1 // the running one plus the waiting ones
	if s.pending.Add(1) > limit {
		s.pending.Add(-1)
		return nil, false
	}
	var once sync.Once
	return func() { once.Do(func() { s.pending.Add(-1) }) }, true
}

// generate admits and starts one generation. Its events arrive on the
// returned channel; the place in the queue is released when they end, even
// if the handler stops reading (client gone), because the rest is drained.
func (s *Server) generate(ctx context.Context, req inference.GenerateRequest) (<-chan inference.Event, *apiError) {
	release, ok := s.admit()
	if !ok {
		return nil, errBusy()
	}
	req.Concurrent = true // API requests decode together (inference/worker_batch.go)
	in := s.gen.Generate(ctx, req)
	out := make(chan inference.Event)
	go func() {
		defer release()
		defer close(out)
		for ev := range in {
			select {
			case out <- ev:
			case <-ctx.Done():
				for range in { // the worker stops on ctx; let it finish
				}
				return
			}
		}
	}()
	return out, nil
}
