package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"burrow/app"
	"burrow/app/api"
	"burrow/app/apptest"
	"burrow/app/remote"
)

// replyText sends text and waits for the whole reply.
func replyText(t *testing.T, c *app.Controller, id, text string) app.Message {
	t.Helper()
	if err := c.Send(id, text); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	cv, _ := c.Conversation(id)
	return cv.Messages[len(cv.Messages)-1]
}

// TestRemoteBackendAgainstBurrow: a conversation uses a model on Burrow's
// own server (another port, its own engine) through UseRemote, streaming
// piece by piece; loading a local model brings the worker back.
func TestRemoteBackendAgainstBurrow(t *testing.T) {
	app.UseTempXDG(t)
	far := apptest.NewFakeEngine()
	far.Pieces = []string{"Far", " away", ", a", " server", " wrote", " this", "."}
	srv := startBurrow(t, far, api.ServerOptions{APIKey: "remote-key"})

	local := apptest.NewFakeEngine()
	c := app.Loaded(t, local)
	settled := modelSettled(c)
	id, _ := c.NewConversation()

	// A wrong key fails clearly and keeps the local model.
	if err := c.UseRemote(srv.Addr(), "wrong", ""); err != nil {
		t.Fatal(err)
	}
	m := waitState(t, settled)
	var re *remote.Error
	if !errors.As(m.Err, &re) || re.Status != 401 || m.Remote != "" || !m.Loaded() {
		t.Fatalf("wrong key: %+v", m)
	}
	if err := c.UseRemote("ftp://nowhere", "", ""); err == nil {
		t.Error("an ftp URL was accepted")
	}

	if err := c.UseRemote(srv.Addr(), "remote-key", ""); err != nil {
		t.Fatal(err)
	}
	m = waitState(t, settled)
	if m.Err != nil || m.Remote != srv.Addr() || m.Info == nil || m.Info.Name != api.ModelID(apptest.FakeModel) {
		t.Fatalf("connected: %+v", m)
	}
	var pieces []string
	c.Subscribe(func(ch app.Change) {
		if ch.Kind == app.ChangePiece {
			pieces = append(pieces, ch.Piece)
		}
	})
	got := replyText(t, c, id, "Tell me a story")
	if want := strings.Join(far.Pieces, ""); got.Content != want || got.StopReason != "eos" || got.Err != "" {
		t.Errorf("remote reply %q (%s, err %q), want %q", got.Content, got.StopReason, got.Err, want)
	}
	if len(pieces) != len(far.Pieces) {
		t.Errorf("streamed %q, want one change per piece %q", pieces, far.Pieces)
	}
	if n := len(local.Requests()); n != 0 {
		t.Errorf("the local engine got %d requests while the remote was in use", n)
	}
	if r := far.Requests(); len(r) != 1 || r[0].Messages[len(r[0].Messages)-1].Content != "Tell me a story" {
		t.Errorf("the server's engine got %+v", r)
	}
	if s := c.Settings(); s.RemoteURL != srv.Addr() || s.RemoteAPIKey != "remote-key" || s.RemoteModel != api.ModelID(apptest.FakeModel) {
		t.Errorf("remote settings not remembered: %+v", s)
	}

	// Back to a local model: the worker answers again.
	app.WaitLoad(t, c, app.FakeGGUF(t))
	if m := c.Model(); m.Remote != "" || !m.Loaded() {
		t.Fatalf("after a local load: %+v", m)
	}
	got = replyText(t, c, id, "And another")
	if got.Content != strings.Join(local.Pieces, "") || len(far.Requests()) != 1 {
		t.Errorf("after switching back: %q, server requests %d", got.Content, len(far.Requests()))
	}
}

// TestReplyNoticeReachesTheUser: the engine's notice (template fallback,
// dropped turns) comes with app.ChangeReplyDone and stays with the message.
func TestReplyNoticeReachesTheUser(t *testing.T) {
	app.UseTempXDG(t)
	eng := apptest.NewFakeEngine()
	eng.Notice = "oldest turns dropped to fit the context: 2 messages"
	c := app.Loaded(t, eng)
	notices := make(chan string, 1)
	c.Subscribe(func(ch app.Change) {
		if ch.Kind == app.ChangeReplyDone {
			notices <- ch.Notice
		}
	})
	id, _ := c.NewConversation()
	got := replyText(t, c, id, "hello")
	if n := <-notices; n != eng.Notice || got.Notice != eng.Notice {
		t.Errorf("change notice %q, message notice %q; want %q", n, got.Notice, eng.Notice)
	}
	c.Flush()
	c2 := app.StartController(t, apptest.NewFakeEngine(), nil)
	cv, _ := c2.Conversation(id)
	if cv.Messages[len(cv.Messages)-1].Notice != eng.Notice {
		t.Error("the notice was not saved with the conversation")
	}
}

// startBurrow runs Burrow's own server on a free loopback port.
func startBurrow(t *testing.T, gen api.Generator, opts api.ServerOptions) *api.Server {
	t.Helper()
	opts.Port = -1
	if opts.Model == nil {
		opts.Model = apptest.LoadedFake
	}
	srv := api.NewServer(gen, opts)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })
	return srv
}
