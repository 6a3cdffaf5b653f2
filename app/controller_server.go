package app

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"burrow/inference"
	"burrow/models"
)

// StartServer starts the OpenAI-compatible API server on the local worker,
// the one the window uses, so the window and API clients take turns (one
// generation at a time). The server serves the local model loaded at the
// time of each request (none while a remote model is in use). opts.Model
// is set by the controller; opts.Library defaults to the library's ids. It
// returns the base URL clients use. Starting a running server returns its
// address.
func (c *Controller) StartServer(opts ServerOptions) (string, error) {
	c.mu.Lock()
	if c.server != nil {
		s := c.server
		c.mu.Unlock()
		return s.Addr(), nil
	}
	opts.Model = c.localModel
	if lib, ok := c.lib.(*models.Library); ok && lib != nil && opts.Library == nil {
		opts.Library = LibraryModelIDs(lib)
	}
	s := NewServer(c.local, opts)
	if err := s.Start(); err != nil {
		c.mu.Unlock()
		if errors.Is(err, syscall.EADDRINUSE) {
			return "", fmt.Errorf("port %d is already in use (another program, or another Burrow, listens there): choose another port or stop that program: %w", opts.Port, err)
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
