package api

import (
	"burrow/app"
	"burrow/inference"
	"burrow/models"
)

// StartLocal is the window's app.ServerStarter: a server on the local
// worker, on this machine only, with the window's port and key, listing the
// library's models when lib is a models.Library.
func StartLocal(worker app.Engine, model func() *inference.ModelInfo, lib app.Library, cfg app.ServerConfig) (app.APIServer, error) {
	opts := ServerOptions{Port: cfg.Port, APIKey: cfg.APIKey, Model: model, NoOllama: cfg.NoOllama}
	if l, ok := lib.(*models.Library); ok && l != nil {
		opts.Library, opts.Files = LibraryModelIDs(l), LibraryFiles(l)
	}
	s := NewServer(worker, opts)
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

var _ app.ServerStarter = StartLocal
