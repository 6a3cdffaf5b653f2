package models

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/adrg/xdg"

	"burrow/models/hubtest"
)

// env is one test's world: XDG folders in a temp dir, a fake Hub, a manager.
type env struct {
	srv *hubtest.Server
	hub *Hub
	lib *Library
	m   *Manager
	opt Options
}

func newEnv(t *testing.T, tweak ...func(*Options)) *env {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	xdg.Reload()
	srv := hubtest.New()
	t.Cleanup(srv.Close)
	e := &env{srv: srv, hub: &Hub{Endpoint: srv.URL, Client: srv.Client()}, lib: OpenLibrary()}
	e.opt = Options{
		Hub: e.hub, Library: e.lib,
		Backoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		FreeSpace: func(string) (uint64, error) { return 1 << 40, nil },
	}
	for _, f := range tweak {
		f(&e.opt)
	}
	e.m = NewManager(e.opt)
	return e
}

// restart simulates the app starting again on the same state folder.
func (e *env) restart() { e.m = NewManager(e.opt) }

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func (e *env) add(t *testing.T, repo, file string) Status {
	t.Helper()
	st, err := e.m.AddFromHub(context.Background(), repo, file, false)
	if err != nil {
		t.Fatalf("AddFromHub(%s, %s): %v", repo, file, err)
	}
	return st
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
