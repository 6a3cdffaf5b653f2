package remote_test

import (
	"context"
	"testing"

	"burrow/app/api"
	"burrow/app/apptest"
	"burrow/app/remote"
	"burrow/inference"
	"burrow/inference/chat"
	"burrow/inference/sample"
)

// TestRemoteEngineReasoning: a server's delta.reasoning_content comes out
// as reasoning pieces; past reasoning is not sent, the think switch is
// (chat_template_kwargs).
func TestRemoteEngineReasoning(t *testing.T) {
	gen := apptest.NewFakeGen(apptest.ThinkingPieces...)
	gen.Reasoning = apptest.ThinkTags
	srv := startBurrow(t, gen, api.ServerOptions{})
	r, _ := remote.New(srv.Addr(), "")
	loadRemote(t, r, "tiny")
	var rep inference.Reply
	for ev := range r.Generate(context.Background(), inference.GenerateRequest{
		Messages: []chat.Message{
			{Role: "user", Content: "hi"}, {Role: "assistant", Content: "Hello.", Reasoning: "Greet."}, {Role: "user", Content: "again"}},
		Params:       sample.DefaultParams(),
		TemplateVars: map[string]any{"enable_thinking": false},
	}) {
		rep.Add(ev)
	}
	if rep.Err != nil || rep.Reasoning() != "The user says hi. A short, warm greeting fits." || rep.Text() != "Hello! How can I help?" {
		t.Errorf("reasoning %q, text %q, err %v", rep.Reasoning(), rep.Text(), rep.Err)
	}
	got := gen.LastRequest()
	if got.Messages[1].Reasoning != "" || got.TemplateVars["enable_thinking"] != false {
		t.Errorf("server got messages %+v, vars %v", got.Messages, got.TemplateVars)
	}
}
