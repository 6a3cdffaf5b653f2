package app_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"burrow/app"
	"burrow/app/api"
	"burrow/app/apptest"
)

// waitModelSettled waits for a app.ChangeModel that ends a load or connection.
func modelSettled(c *app.Controller) <-chan app.ModelState {
	done := make(chan app.ModelState, 8)
	c.Subscribe(func(ch app.Change) {
		if ch.Kind == app.ChangeModel {
			if m := c.Model(); !m.Loading {
				select {
				case done <- m:
				default:
				}
			}
		}
	})
	return done
}

func waitState(t *testing.T, ch <-chan app.ModelState) app.ModelState {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(30 * time.Second): // a hang, not a timing assertion
		t.Fatal("the model never settled")
	}
	return app.ModelState{}
}

// TestControllerStartsAndStopsTheServer: the window's server answers API
// clients through the same engine as the window, with its key, and stops.
func TestControllerStartsAndStopsTheServer(t *testing.T) {
	app.UseTempXDG(t)
	eng := apptest.NewFakeEngine()
	c := app.Loaded(t, eng)
	c.SetServerStarter(api.StartLocal)
	t.Cleanup(func() { c.StopServer() })
	changes := make(chan struct{}, 4)
	c.Subscribe(func(ch app.Change) {
		if ch.Kind == app.ChangeServer {
			changes <- struct{}{}
		}
	})
	if c.ServerAddr() != "" {
		t.Fatal("a server runs before StartServer")
	}
	addr, err := c.StartServer(app.ServerConfig{Port: -1, APIKey: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	<-changes
	if !strings.HasPrefix(addr, "http://127.0.0.1:") || !strings.HasSuffix(addr, "/v1") || c.ServerAddr() != addr {
		t.Fatalf("addr %q, ServerAddr %q", addr, c.ServerAddr())
	}
	if again, err := c.StartServer(app.ServerConfig{Port: -1}); err != nil || again != addr {
		t.Errorf("starting again: %q, %v; want the running server %q", again, err, addr)
	}

	post := func(key string) (int, string) {
		req, _ := http.NewRequest("POST", addr+"/chat/completions", strings.NewReader(`{"messages":[{"role":"user","content":"hi"}],"seed":1}`))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, _ := post("wrong"); status != http.StatusUnauthorized {
		t.Errorf("wrong key: status %d", status)
	}
	status, body := post("k1")
	var got struct {
		Model   string
		Choices []struct{ Message struct{ Content string } }
	}
	if err := json.Unmarshal([]byte(body), &got); status != 200 || err != nil || len(got.Choices) != 1 {
		t.Fatalf("status %d: %s", status, body)
	}
	if want := "Once upon a time, there was a burrow."; got.Choices[0].Message.Content != want {
		t.Errorf("reply %q, want %q", got.Choices[0].Message.Content, want)
	}
	reqs := eng.Requests()
	if len(reqs) != 1 || len(reqs[0].Messages) != 1 || reqs[0].Messages[0].Content != "hi" {
		t.Errorf("the window's engine got %+v; want the API request", reqs)
	}

	if err := c.StopServer(); err != nil {
		t.Fatal(err)
	}
	<-changes
	if c.ServerAddr() != "" {
		t.Error("ServerAddr after StopServer")
	}
	if _, err := http.Get(addr + "/models"); err == nil {
		t.Error("the stopped server still answers")
	}
	if err := c.StopServer(); err != nil {
		t.Errorf("stopping twice: %v", err)
	}
}

// TestServerPortInUse: a taken port is an error that says so, and nothing
// is left running.
func TestServerPortInUse(t *testing.T) {
	app.UseTempXDG(t)
	c := app.Loaded(t, apptest.NewFakeEngine())
	c.SetServerStarter(api.StartLocal)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = c.StartServer(app.ServerConfig{Port: port})
	if err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("port in use: %v", err)
	}
	if c.ServerAddr() != "" {
		t.Error("a failed start left a server")
	}
}

// TestServerSettingsPersist: port and key are app settings.
func TestServerSettingsPersist(t *testing.T) {
	app.UseTempXDG(t)
	c := app.StartController(t, apptest.NewFakeEngine(), nil)
	if err := c.UpdateSettings(func(s *app.Settings) { s.ServerPort, s.ServerAPIKey = 4321, "secret" }); err != nil {
		t.Fatal(err)
	}
	c.Flush()
	c2 := app.StartController(t, apptest.NewFakeEngine(), nil)
	if o := c2.Settings().ServerConfig(); o.Port != 4321 || o.APIKey != "secret" {
		t.Errorf("after restart: %+v", o)
	}
}
