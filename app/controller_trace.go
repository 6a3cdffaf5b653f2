package app

import (
	"context"
	"errors"

	"burrow/inference"
)

// tracerEngine is an engine that can run a prompt through its model with
// the forward pass's hooks on (the local worker).
type tracerEngine interface {
	Trace(ctx context.Context, req inference.TraceRequest) (*inference.TraceResult, error)
}

// ErrNoTrace is the error of a trace without a local model to run it.
var ErrNoTrace = errors.New("a trace needs a model loaded on this machine (a remote server's model cannot be looked into)")

// Trace runs a prompt through the loaded local model and records what each
// layer does (the Architecture view's "Run it through"). It queues behind a
// reply being written and leaves the chat's cache as it was.
func (c *Controller) Trace(ctx context.Context, req inference.TraceRequest) (*inference.TraceResult, error) {
	c.mu.Lock()
	local := c.model.Remote == "" && c.model.Loaded()
	c.mu.Unlock()
	te, ok := c.local.(tracerEngine)
	if !ok || !local {
		return nil, ErrNoTrace
	}
	return te.Trace(ctx, req)
}
