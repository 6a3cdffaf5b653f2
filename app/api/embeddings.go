package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"time"

	"burrow/inference"
)

// Embedder is an engine that computes embeddings (the local worker; a
// remote server's engine does not).
type Embedder interface {
	Embed(ctx context.Context, req inference.EmbedRequest) (*inference.Embeddings, error)
}

// embeddingsRequest is POST /v1/embeddings.
type embeddingsRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
	User           string          `json:"user"`
}

// texts reads "input": a string or an array of strings (token arrays are
// refused: the model's own tokenizer reads the text).
func inputTexts(raw json.RawMessage, param string) ([]string, *apiError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, badRequest(param, "%s is required", param)
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, badRequest(param, "%s must be a string or an array of strings (token arrays are not supported)", param)
	}
	if len(many) == 0 {
		return nil, badRequest(param, "%s must not be empty", param)
	}
	if len(many) > inference.MaxEmbedInputs {
		return nil, badRequest(param, "%d inputs are more than the %d one request may hold", len(many), inference.MaxEmbedInputs)
	}
	return many, nil
}

// embed runs one embedding request on the engine, holding a place in the
// queue like a generation.
func (s *Server) embed(r *http.Request, model string, req inference.EmbedRequest) (*inference.ModelInfo, *inference.Embeddings, *apiError) {
	info, e := s.resolveModel(model)
	if e != nil {
		return nil, nil, e
	}
	em, ok := s.gen.(Embedder)
	if !ok {
		return nil, nil, newAPIError(http.StatusNotImplemented, "invalid_request_error", "embeddings_unsupported", "model",
			"this engine cannot compute embeddings (a remote server)")
	}
	release, ok := s.admit()
	if !ok {
		return nil, nil, errBusy()
	}
	defer release()
	out, err := em.Embed(r.Context(), req)
	if err != nil {
		if errors.Is(err, inference.ErrNoPooling) {
			return nil, nil, badRequest("model", "%s cannot make embeddings: %v; load an embedding model such as Qwen3-Embedding", ModelID(info), err)
		}
		if errors.Is(err, inference.ErrContextFull) {
			return nil, nil, newAPIError(http.StatusBadRequest, "invalid_request_error", "context_length_exceeded", "input", "%v", err)
		}
		return nil, nil, errGeneration(err)
	}
	return info, out, nil
}

func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	var body embeddingsRequest
	if e := decodeBody(r, &body); e != nil {
		writeError(w, e)
		return
	}
	texts, e := inputTexts(body.Input, "input")
	if e != nil {
		writeError(w, e)
		return
	}
	switch body.EncodingFormat {
	case "", "float", "base64":
	default:
		writeError(w, badRequest("encoding_format", "encoding_format must be \"float\" or \"base64\""))
		return
	}
	info, out, e := s.embed(r, body.Model, inference.EmbedRequest{Inputs: texts})
	if e != nil {
		writeError(w, e)
		return
	}
	if d := body.Dimensions; d != nil && (*d < 1 || *d > len(out.Vectors[0])) {
		writeError(w, badRequest("dimensions", "dimensions must be between 1 and the model's %d", len(out.Vectors[0])))
		return
	} else if d != nil {
		for i, v := range out.Vectors {
			out.Vectors[i] = renormalize(v[:*d]) // Matryoshka truncation, as OpenAI's v3 models do
		}
	}
	type item struct {
		Object    string `json:"object"`
		Index     int    `json:"index"`
		Embedding any    `json:"embedding"`
	}
	data := make([]item, len(out.Vectors))
	for i, v := range out.Vectors {
		data[i] = item{Object: "embedding", Index: i, Embedding: v}
		if body.EncodingFormat == "base64" {
			data[i].Embedding = base64Floats(v)
		}
	}
	writeOK(w, map[string]any{
		"object": "list", "data": data, "model": ModelID(info),
		"usage": map[string]int{"prompt_tokens": out.Tokens, "total_tokens": out.Tokens},
	})
}

// base64Floats is OpenAI's base64 encoding: little-endian float32s.
func base64Floats(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return base64.StdEncoding.EncodeToString(b)
}

func renormalize(v []float32) []float32 {
	var ss float64
	for _, f := range v {
		ss += float64(f) * float64(f)
	}
	if ss > 0 {
		inv := float32(1 / math.Sqrt(ss))
		for i := range v {
			v[i] *= inv
		}
	}
	return v
}

// handleOllamaEmbed serves Ollama's POST /api/embed ("input": string or
// strings, truncating by default) and the older /api/embeddings
// ("prompt": one string, answering "embedding").
func (s *Server) handleOllamaEmbed(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Model    string          `json:"model"`
		Input    json.RawMessage `json:"input"`
		Prompt   *string         `json:"prompt"`
		Truncate *bool           `json:"truncate"`
	}
	if e := decodeBody(r, &body); e != nil {
		writeOllamaError(w, e)
		return
	}
	old := r.URL.Path == "/api/embeddings"
	var texts []string
	if old {
		if body.Prompt == nil {
			writeOllamaError(w, badRequest("prompt", "prompt is required"))
			return
		}
		texts = []string{*body.Prompt}
	} else {
		var e *apiError
		if texts, e = inputTexts(body.Input, "input"); e != nil {
			writeOllamaError(w, e)
			return
		}
	}
	start := time.Now()
	_, out, e := s.embed(r, body.Model, inference.EmbedRequest{Inputs: texts, Truncate: body.Truncate == nil || *body.Truncate})
	if e != nil {
		writeOllamaError(w, e)
		return
	}
	if old {
		writeOK(w, map[string]any{"embedding": out.Vectors[0]})
		return
	}
	writeOK(w, map[string]any{"model": body.Model, "embeddings": out.Vectors,
		"total_duration": time.Since(start).Nanoseconds(), "prompt_eval_count": out.Tokens})
}
