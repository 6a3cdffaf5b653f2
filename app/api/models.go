package api

import (
	"net/http"
	"path/filepath"
	"strings"

	"burrow/models"
)

// modelObject is one entry of GET /v1/models.
type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
	// Loaded tells clients which model answers right now (an extension,
	// as LM Studio's "state").
	Loaded bool `json:"loaded"`
}

// models lists the loaded model first, then the library's, without repeats.
func (s *Server) models() []modelObject {
	var out []modelObject
	info := s.opts.Model()
	if info != nil {
		out = append(out, modelObject{ID: ModelID(info), Object: "model", OwnedBy: "burrow", Loaded: true})
	}
	if s.opts.Library == nil {
		return out
	}
	for _, id := range s.opts.Library() {
		if id == "" || (info != nil && modelMatches(info, id)) {
			continue
		}
		out = append(out, modelObject{ID: id, Object: "model", OwnedBy: "burrow"})
	}
	return out
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	list := s.models()
	if list == nil {
		list = []modelObject{}
	}
	writeOK(w, struct {
		Object string        `json:"object"`
		Data   []modelObject `json:"data"`
	}{"list", list})
}

func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	info := s.opts.Model()
	for _, m := range s.models() {
		if m.ID == id || (m.Loaded && modelMatches(info, id)) {
			writeOK(w, m)
			return
		}
	}
	writeError(w, newAPIError(http.StatusNotFound, "invalid_request_error", "model_not_found", "model",
		"the model %q does not exist", id))
}

// LibraryModelIDs lists a models library for ServerOptions.Library: a
// download is named "owner/repo/file.gguf" (its place under the library
// root), any other file by its name. Unreadable files are left out.
func LibraryModelIDs(lib *models.Library) func() []string {
	files := LibraryFiles(lib)
	return func() []string {
		fs := files()
		ids := make([]string, 0, len(fs))
		for _, f := range fs {
			ids = append(ids, f.ID)
		}
		return ids
	}
}

// LibraryFiles describes a models library for ServerOptions.Files, with
// the ids LibraryModelIDs gives.
func LibraryFiles(lib *models.Library) func() []ModelFile {
	root, err := filepath.Abs(lib.Root) // Scan reports absolute paths
	if err != nil {
		root = lib.Root
	}
	return func() []ModelFile {
		entries, err := lib.Scan()
		if err != nil {
			return nil
		}
		out := make([]ModelFile, 0, len(entries))
		for _, e := range entries {
			if e.Err != "" {
				continue
			}
			id := filepath.Base(e.Path)
			if rel, err := filepath.Rel(root, e.Path); err == nil && root != "" && !strings.HasPrefix(rel, "..") {
				id = filepath.ToSlash(rel)
			}
			out = append(out, ModelFile{ID: id, Path: e.Path, Size: e.FileSize, Modified: e.ModTime,
				Architecture: e.Architecture, SizeLabel: e.SizeLabel, Quant: e.Quant})
		}
		return out
	}
}
