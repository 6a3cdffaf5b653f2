package app

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"burrow/inference"
)

// ServerConfig is what the window chooses of the local API server.
type ServerConfig struct {
	Port   int    // 0: the default port; -1: a free one
	APIKey string // "": no key needed
	// NoOllama leaves out Ollama's API (/api/...): only OpenAI's is served.
	NoOllama bool
}

// APIServer is a running local API server (app/api's Server).
type APIServer interface {
	Addr() string                   // the base URL clients use
	Stop(ctx context.Context) error // cancelled ctx: stop at once
}

// ServerStarter starts the OpenAI-compatible API server over the local
// worker, serving the model model reports at each request and listing lib's
// models. app/api.StartLocal is the real one; app does not import app/api
// (which imports app), so the window passes it to SetServerStarter.
type ServerStarter func(worker Engine, model func() *inference.ModelInfo, lib Library, cfg ServerConfig) (APIServer, error)

// errNoServer is StartServer's error when no starter was given.
var errNoServer = errors.New("this build has no API server")

// SetServerStarter gives the Controller the API server StartServer starts.
func (c *Controller) SetServerStarter(start ServerStarter) {
	c.mu.Lock()
	c.startServer = start
	c.mu.Unlock()
}

// StartServer starts the OpenAI-compatible API server on the local worker,
// the one the window uses, so the window and API clients take turns (one
// generation at a time). The server serves the local model loaded at the
// time of each request (none while a remote model is in use) and lists the
// library's models. It returns the base URL clients use. Starting a running
// server returns its address.
func (c *Controller) StartServer(cfg ServerConfig) (string, error) {
	c.mu.Lock()
	if c.server != nil {
		s := c.server
		c.mu.Unlock()
		return s.Addr(), nil
	}
	if c.startServer == nil {
		c.mu.Unlock()
		return "", errNoServer
	}
	s, err := c.startServer(c.local, c.localModel, c.lib, cfg)
	if err != nil {
		c.mu.Unlock()
		if errors.Is(err, syscall.EADDRINUSE) {
			return "", fmt.Errorf("port %d is already in use (another program, or another Burrow, listens there): choose another port or stop that program: %w", cfg.Port, err)
		}
		return "", err
	}
	c.server = s
	c.mu.Unlock()
	c.emit(Change{Kind: ChangeServer})
	return s.Addr(), nil
}

// StopServer stops the API server at once: requests in flight are
// cancelled (their clients see the stream end). Stopping a stopped server
// does nothing.
func (c *Controller) StopServer() error {
	c.mu.Lock()
	s := c.server
	c.server = nil
	c.mu.Unlock()
	if s == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // no grace: the window must not wait for a long reply
	err := s.Stop(ctx)
	c.emit(Change{Kind: ChangeServer})
	return err
}

// ServerAddr is the running API server's base URL ("" when stopped).
func (c *Controller) ServerAddr() string {
	c.mu.Lock()
	s := c.server
	c.mu.Unlock()
	if s == nil {
		return ""
	}
	return s.Addr()
}

// localModel is the model the API server offers: the local one, when loaded.
func (c *Controller) localModel() *inference.ModelInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.model.Remote != "" || !c.model.Loaded() {
		return nil
	}
	return c.model.Info
}
