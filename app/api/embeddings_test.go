package api

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"burrow/app/apptest"
	"burrow/inference"
)

// fakeEmbedder answers embeddings with fixed unit vectors: input i gets
// the i-th axis of a 4-dimensional space.
type fakeEmbedder struct {
	*apptest.FakeGen
	err  error
	last inference.EmbedRequest
}

func (f *fakeEmbedder) Embed(ctx context.Context, req inference.EmbedRequest) (*inference.Embeddings, error) {
	f.last = req
	if f.err != nil {
		return nil, f.err
	}
	out := &inference.Embeddings{Pooling: "last"}
	for i := range req.Inputs {
		v := make([]float32, 4)
		v[i%4] = 1
		v[(i+1)%4] = 1 // not unit: dimensions must renormalise
		out.Vectors = append(out.Vectors, v)
		out.Tokens += 3
	}
	return out, nil
}

func TestEmbeddings(t *testing.T) {
	gen := &fakeEmbedder{FakeGen: apptest.NewFakeGen("x")}
	ts := newTestServer(t, gen, ServerOptions{})
	status, _, b := call(t, "POST", ts.URL+"/v1/embeddings", `{"model":"tiny","input":["a","b"]}`, nil)
	if status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	got := decode[struct {
		Object string
		Model  string
		Data   []struct {
			Object    string
			Index     int
			Embedding []float32
		}
		Usage struct{ PromptTokens, TotalTokens int } `json:"usage"`
	}](t, b)
	if got.Object != "list" || got.Model != "tiny" || len(got.Data) != 2 || got.Data[1].Index != 1 ||
		got.Data[1].Embedding[1] != 1 || got.Data[0].Object != "embedding" || !strings.Contains(string(b), `"prompt_tokens":6`) {
		t.Errorf("response %s", b)
	}
	// base64, as the openai npm client asks by default, and dimensions.
	_, _, b = call(t, "POST", ts.URL+"/v1/embeddings", `{"input":"a","encoding_format":"base64","dimensions":1}`, nil)
	b64 := decode[struct{ Data []struct{ Embedding string } }](t, b)
	raw, err := base64.StdEncoding.DecodeString(b64.Data[0].Embedding)
	if err != nil || len(raw) != 4 || math.Float32frombits(binary.LittleEndian.Uint32(raw)) != 1 {
		t.Errorf("base64 %s (%v)", b, err)
	}
	// Ollama's routes.
	_, _, b = call(t, "POST", ts.URL+"/api/embed", `{"model":"tiny","input":"a"}`, nil)
	if !strings.Contains(string(b), `"embeddings":[[1,1,0,0]]`) || !gen.last.Truncate {
		t.Errorf("/api/embed %s (truncate %v)", b, gen.last.Truncate)
	}
	_, _, b = call(t, "POST", ts.URL+"/api/embeddings", `{"prompt":"a"}`, nil)
	if !strings.Contains(string(b), `{"embedding":[1,1,0,0]}`) {
		t.Errorf("/api/embeddings %s", b)
	}
}

func TestEmbeddingsErrors(t *testing.T) {
	gen := &fakeEmbedder{FakeGen: apptest.NewFakeGen("x")}
	ts := newTestServer(t, gen, ServerOptions{})
	many := `"` + strings.Repeat(`x","`, inference.MaxEmbedInputs) + `x"`
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{}`, 400, "input is required"},
		{`{"input":[]}`, 400, "must not be empty"},
		{`{"input":[1,2,3]}`, 400, "token arrays"},
		{`{"input":[` + many + `]}`, 400, "more than the"},
		{`{"input":"a","encoding_format":"hex"}`, 400, "encoding_format"},
		{`{"input":"a","dimensions":9}`, 400, "dimensions"},
		{`{"input":"a","model":"other"}`, 404, "other"},
	} {
		status, _, b := call(t, "POST", ts.URL+"/v1/embeddings", tc.body, nil)
		if status != tc.status || !strings.Contains(string(b), tc.want) || !strings.HasPrefix(string(b), `{"error":{`) {
			t.Errorf("%.60s: %d %s", tc.body, status, b)
		}
	}
	gen.err = inference.ErrNoPooling
	status, _, b := call(t, "POST", ts.URL+"/v1/embeddings", `{"input":"a"}`, nil)
	if status != 400 || !strings.Contains(string(b), "embedding model") {
		t.Errorf("chat model: %d %s", status, b)
	}
	// An engine without embeddings (a remote server).
	ts2 := newTestServer(t, apptest.NewFakeGen("x"), ServerOptions{})
	status, _, b = call(t, "POST", ts2.URL+"/v1/embeddings", `{"input":"a"}`, nil)
	if status != 501 {
		t.Errorf("no embedder: %d %s", status, b)
	}
}
