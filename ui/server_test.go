package ui

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"burrow/app/api"
	"burrow/app/apptest"
	"burrow/inference"
)

// freePort finds a port nobody listens on (for the window's server).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestServerToggle: ticking "Local API server" serves the loaded model on
// the port typed (saved in the settings), shows the address, and unticking
// stops it; a taken port is an error dialog and the box stays unticked.
func TestServerToggle(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	h.load(t)
	s := h.w.server
	if !containsText(h.w.bar.object, "Local API server") || s.addr.Visible() {
		t.Fatal("the top bar has no server switch, or shows an address while stopped")
	}

	port := freePort(t)
	typeUI(s.port, strconv.Itoa(port))
	typeUI(s.key, "k")
	if st := h.c.Settings(); st.ServerPort != port || st.ServerAPIKey != "k" {
		t.Fatalf("settings after typing: port %d key %q", st.ServerPort, st.ServerAPIKey)
	}
	tapUI(s.toggle)
	addr := h.c.ServerAddr()
	if !s.toggle.Checked || addr != "http://127.0.0.1:"+strconv.Itoa(port)+"/v1" || !s.addr.Visible() || s.addr.Text != addr {
		t.Fatalf("after ticking: checked %v, addr %q, shown %v %q", s.toggle.Checked, addr, s.addr.Visible(), s.addr.Text)
	}
	req, _ := http.NewRequest("GET", addr+"/models", nil)
	req.Header.Set("Authorization", "Bearer k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /models: %v %v", resp, err)
	}
	resp.Body.Close()
	ollamaStatus := func() int {
		req, _ := http.NewRequest("GET", strings.TrimSuffix(addr, "/v1")+"/api/tags", nil)
		req.Header.Set("Authorization", "Bearer k")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if !s.ollama.Checked || ollamaStatus() != 200 {
		t.Fatal("Ollama's API should be served by default")
	}
	tapUI(s.addr)
	if got := h.w.app.Clipboard().Content(); got != addr {
		t.Errorf("copied %q, want %q", got, addr)
	}

	tapUI(s.toggle)
	if s.toggle.Checked || h.c.ServerAddr() != "" || s.addr.Visible() {
		t.Fatal("unticking did not stop the server")
	}
	// Leaving Ollama's API out applies at the next start.
	tapUI(s.ollama)
	if !h.c.Settings().ServerNoOllama {
		t.Fatal("the Ollama choice was not saved")
	}
	tapUI(s.toggle)
	if code := ollamaStatus(); code != 404 {
		t.Errorf("/api/tags with Ollama's API left out: %d", code)
	}
	tapUI(s.toggle)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s.port.SetText(strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	tapUI(s.toggle)
	if s.toggle.Checked || h.c.ServerAddr() != "" || !strings.Contains(h.w.lastNotice, "already in use") {
		t.Errorf("taken port: checked %v, notice %q", s.toggle.Checked, h.w.lastNotice)
	}

	s.port.SetText("99999")
	if !s.problem.Visible() || h.c.Settings().ServerPort == 99999 {
		t.Error("a bad port was saved without a word")
	}
}

// TestReplyNoticeInStatsLine: the engine's notice shows under the reply.
func TestReplyNoticeInStatsLine(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	eng.Notice = "oldest turns dropped to fit the context: 2 messages"
	h := newHarness(t, eng)
	h.load(t)
	h.typeAndEnter("hello")
	waitFor(t, "the reply's stats", func() bool {
		return len(h.w.chat.views) == 2 && strings.Contains(h.w.chat.views[1].stats.Text, "Note: "+eng.Notice)
	})
}

// TestRemoteModelInTheBar: a conversation on a remote server names the
// server's model in the picker and the server next to it, and chats.
func TestRemoteModelInTheBar(t *testing.T) {
	useTempXDG(t)
	far := apptest.NewFakeEngine()
	srv := api.NewServer(far, api.ServerOptions{Port: -1, Model: func() *inference.ModelInfo {
		return &inference.ModelInfo{Name: "far-model", Path: "/m/far-model.gguf"}
	}})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop(context.Background()) })
	h := newHarness(t, apptest.NewFakeEngine())
	if err := h.c.UseRemote(srv.Addr(), "", ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the remote model", func() bool { return h.c.Model().Loaded() })
	waitFor(t, "the bar to name it", func() bool {
		return h.w.bar.pickBtn.Text == "far-model" && strings.Contains(h.w.bar.info.Text, "remote  ·  "+srv.Addr())
	})
	h.typeAndEnter("hello")
	h.c.WaitReply()
	if cv, _ := h.w.CurrentConversation(); cv.Messages[len(cv.Messages)-1].Content != strings.Join(far.Pieces, "") {
		t.Errorf("remote reply %+v", cv.Messages)
	}
}
