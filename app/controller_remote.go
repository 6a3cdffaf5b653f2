package app

import (
	"burrow/app/remote"
	"burrow/inference"
)

// UseRemote makes conversations use a model on an OpenAI-compatible server
// (vLLM, llama.cpp's server, Ollama, another Burrow) instead of the local
// worker. model "" takes the first model the server lists. It returns at
// once (after checking the URL); the connection's outcome arrives as
// ChangeModel like a load: ModelState.Remote is the server's API root once
// it answers. If it fails, the model in use before stays, with Err set.
// Loading a local model (LoadModel) switches back to the worker.
func (c *Controller) UseRemote(baseURL, apiKey, model string) error {
	r, err := remote.New(baseURL, apiKey)
	if err != nil {
		return err
	}
	c.Stop() // the conversation's engine changes: end the reply now
	c.mu.Lock()
	ctx, seq := c.beginLoadLocked()
	prev := c.model
	c.model = ModelState{Path: r.BaseURL() + "#" + model, Remote: r.BaseURL(), Loading: true}
	c.mu.Unlock()
	c.emit(Change{Kind: ChangeModel})

	events := r.Load(ctx, model, inference.LoadOptions{})
	go c.followRemote(seq, r, apiKey, prev, events)
	return nil
}

// followRemote adopts r once its model answers, or puts back what was in
// use before when it does not.
func (c *Controller) followRemote(seq int, r *remote.Engine, apiKey string, prev ModelState, events <-chan inference.Event) {
	adopted := false
	for ev := range events {
		c.mu.Lock()
		if seq != c.loadSeq { // another load or connection came meanwhile
			c.mu.Unlock()
			continue
		}
		switch ev.Kind {
		case inference.EventLoaded:
			c.dropRemoteLocked()
			c.remote, c.engine, adopted = r, r, true
			c.model = ModelState{Path: ev.Model.Path, Remote: r.BaseURL(), Info: ev.Model, Progress: 1}
			c.settings.RemoteURL, c.settings.RemoteAPIKey, c.settings.RemoteModel = r.BaseURL(), apiKey, ev.Model.Name
		case inference.EventError:
			if prev.Loaded() {
				prev.Err = ev.Err
				c.model = prev
			} else {
				c.model = ModelState{Err: ev.Err}
			}
		default:
			c.mu.Unlock()
			continue
		}
		s := c.settings
		c.mu.Unlock()
		if adopted {
			if err := c.saveSettings(s); err != nil {
				c.emit(Change{Kind: ChangeError, Err: err})
			}
			if prev.Remote == "" && prev.Path != "" {
				go c.local.Unload() // free the local model's memory; never block
			}
		}
		c.emit(Change{Kind: ChangeModel})
	}
	if !adopted {
		r.Close()
	}
}

// dropRemoteLocked sends conversations back to the local worker.
func (c *Controller) dropRemoteLocked() {
	if c.remote != nil {
		c.remote.Close()
	}
	c.remote, c.engine = nil, c.local
}
