package models

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"burrow/internal/sysmem"
)

func TestHubFromEnvironment(t *testing.T) {
	t.Setenv("HF_ENDPOINT", "http://mirror.example/")
	t.Setenv("HF_TOKEN", "hf_abc")
	h := NewHub()
	if h.Endpoint != "http://mirror.example" || h.Token != "hf_abc" {
		t.Fatalf("%+v", h)
	}
	t.Setenv("HF_ENDPOINT", "")
	if NewHub().Endpoint != DefaultEndpoint {
		t.Fatal("default endpoint")
	}
	if u := h.ResolveURL("a/b", "Q8_0/m x.gguf"); u != "http://mirror.example/a/b/resolve/main/Q8_0/m%20x.gguf" {
		t.Fatalf("ResolveURL = %s", u)
	}
}

func TestHubSearchAndFiles(t *testing.T) {
	e := newEnv(t)
	e.srv.Add("bartowski/Llama-3.2-1B-Instruct-GGUF", "Llama-3.2-1B-Instruct-Q8_0.gguf", randomBytes(1000, 1))
	e.srv.Add("bartowski/Llama-3.2-1B-Instruct-GGUF", "Llama-3.2-1B-Instruct-Q4_K_M.gguf", randomBytes(600, 2))
	e.srv.Add("Qwen/Qwen2.5-0.5B-Instruct-GGUF", "qwen2.5-0.5b-instruct-q8_0.gguf", randomBytes(500, 3))
	res, err := e.hub.Search(context.Background(), "llama", 10)
	if err != nil || len(res) != 1 || res[0].ID != "bartowski/Llama-3.2-1B-Instruct-GGUF" {
		t.Fatalf("search: %+v %v", res, err)
	}
	files, err := e.hub.Files(context.Background(), res[0].ID)
	if err != nil || len(files) != 2 {
		t.Fatalf("files: %+v %v", files, err)
	}
	models := Models(files)
	m, err := PickQuant(models, "q8_0")
	if err != nil || m.Size != 1000 || m.SizeLabel != "1B" || len(m.Files[0].SHA256) != 64 {
		t.Fatalf("pick: %+v %v", m, err)
	}
	if _, err := PickQuant(models, "Q6_K"); err == nil || !strings.Contains(err.Error(), "Q4_K_M") {
		t.Fatalf("missing quant should list what there is: %v", err)
	}
}

func TestHubFollowsTreePagesAndSendsToken(t *testing.T) {
	var auth []string
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		if r.URL.Query().Get("cursor") == "" {
			w.Header().Set("Link", fmt.Sprintf(`<%s%s?recursive=true&cursor=2>; rel="next"`, srv.URL, r.URL.Path))
			fmt.Fprint(w, `[{"type":"file","path":"a-Q8_0.gguf","size":10,"lfs":{"oid":"`+strings.Repeat("ab", 32)+`","size":10}}]`)
			return
		}
		fmt.Fprint(w, `[{"type":"directory","path":"sub"},{"type":"file","path":"sub/b-F16.gguf","size":20}]`)
	}))
	defer srv.Close()
	h := &Hub{Endpoint: srv.URL, Token: "hf_x", Client: srv.Client()}
	files, err := h.Files(context.Background(), "o/r")
	if err != nil || len(files) != 2 || files[1].Path != "sub/b-F16.gguf" || files[1].SHA256 != "" || files[1].Quant != "F16" {
		t.Fatalf("%+v %v", files, err)
	}
	if len(auth) != 2 || auth[0] != "Bearer hf_x" {
		t.Fatalf("auth headers %q", auth)
	}
}

func TestFitVerdict(t *testing.T) {
	const gb = 1 << 30
	if fitFor(1*gb, 4*gb) != FitYes || fitFor(4*gb, 4*gb) != FitNo {
		t.Fatal("fit verdicts")
	}
	if _, err := sysmem.Available(); err != nil {
		t.Logf("available memory unknown here: %v", err)
	}
}

func TestStartersAreValidNames(t *testing.T) {
	for _, s := range Starters {
		if ValidateRepo(s.Repo) != nil || ValidateFile(s.File) != nil || ParseFileName(s.File).Quant != "Q4_K_M" {
			t.Errorf("starter %+v", s)
		}
	}
}
