package api

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"burrow/app/apptest"
	"burrow/inference/synth"
	"burrow/internal/testenv"
)

// nodeClients finds tools/api with its npm packages (the official openai
// and ollama clients) installed; `npm ci` there installs them.
func nodeClients(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "tools", "api"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is not installed: the npm clients cannot run")
	}
	for _, pkg := range []string{"openai", "ollama"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("the %s npm package is missing: run `npm ci` in %s", pkg, dir)
		}
	}
	return dir
}

// runNode runs a client script against url and decodes what it prints.
func runNode(t *testing.T, script, url, model string, stdin []byte, out any, args ...string) []byte {
	t.Helper()
	dir := nodeClients(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join(dir, script), url}, args...)...)
	cmd.Env = append(os.Environ(), "BURROW_MODEL="+model)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.String())
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("node %s printed %q: %v", script, b, err)
	}
	return b
}

// TestResponsesToolsWithOpenAINpmClient: the official openai npm client on
// /v1/responses against a random-weight Qwen2.5-template model: a forced
// call whole, a named one streamed through the SDK's own accumulator (and
// its strict-tool argument parsing), and the round trip with the whole
// output and a function_call_output item sent back.
func TestResponsesToolsWithOpenAINpmClient(t *testing.T) {
	url, info := qwenToolServer(t)
	type pick struct {
		Status      string   `json:"status"`
		OutputTypes []string `json:"output_types"`
		Calls       []struct {
			ID, Name, Arguments, Status string
			CallID                      string          `json:"call_id"`
			Parsed                      json.RawMessage `json:"parsed"`
		} `json:"calls"`
		Text        string `json:"text"`
		InputTokens int    `json:"input_tokens"`
	}
	var got struct {
		Whole, Streamed pick
		Deltas          string
		Events          []string
		AfterTool       pick `json:"after_tool"`
	}
	out := runNode(t, "responses-tools-client.mjs", url+"/v1", ModelID(info), nil, &got)
	for name, p := range map[string]pick{"whole": got.Whole, "streamed": got.Streamed} {
		if p.Status != "completed" || strings.Join(p.OutputTypes, ",") != "function_call" || len(p.Calls) != 1 {
			t.Fatalf("%s: %s", name, out)
		}
		c := p.Calls[0]
		if !strings.HasPrefix(c.ID, "fc_") || !strings.HasPrefix(c.CallID, "call_") || c.Status != "completed" {
			t.Errorf("%s: call %+v", name, c)
		}
		checkWeatherArgs(t, name, c.Name, c.Arguments)
	}
	// The stream helper parses a strict tool's arguments itself.
	if parsed := got.Streamed.Calls[0].Parsed; len(parsed) == 0 || string(parsed) == "null" {
		t.Errorf("the SDK did not parse the streamed arguments: %s", out)
	}
	if got.Deltas != got.Streamed.Calls[0].Arguments {
		t.Errorf("streamed deltas %q, final %q", got.Deltas, got.Streamed.Calls[0].Arguments)
	}
	for _, ev := range []string{"response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done", "response.completed"} {
		if !strings.Contains(strings.Join(got.Events, " "), ev) {
			t.Errorf("no %s among %v", ev, got.Events)
		}
	}
	if got.AfterTool.Status == "" || got.AfterTool.InputTokens <= got.Whole.InputTokens {
		t.Errorf("after the tool's output: %s", out)
	}
	t.Logf("%s", out)
}

// TestOllamaToolsWithNpmClient: the ollama npm client reads a call in
// Ollama's shape, whole and streamed (a scripted Hermes reply), and sends
// the round trip back to a real Qwen2.5 template.
func TestOllamaToolsWithNpmClient(t *testing.T) {
	type pick struct {
		Content   string `json:"content"`
		ToolCalls []struct {
			Name      string            `json:"name"`
			Arguments map[string]string `json:"arguments"`
		} `json:"tool_calls"`
		DoneReason string `json:"done_reason"`
	}
	var got struct {
		Whole, Streamed pick
		AfterTool       pick `json:"after_tool"`
	}
	gen := apptest.NewFakeGen(append([]string{"Let me look.\n"}, hermesCall...)...)
	ts := newTestServer(t, gen, ServerOptions{Model: toolModel})
	out := runNode(t, "ollama-tools-client.mjs", ts.URL, "tiny", nil, &got)
	for name, p := range map[string]pick{"whole": got.Whole, "streamed": got.Streamed} {
		if strings.TrimSpace(p.Content) != "Let me look." || len(p.ToolCalls) != 1 || p.ToolCalls[0].Name != "get_weather" ||
			p.ToolCalls[0].Arguments["city"] != "Paris" || p.DoneReason != "stop" {
			t.Errorf("%s: %s", name, out)
		}
	}
	msgs := gen.LastRequest().Messages
	if len(msgs) != 3 || len(msgs[1].ToolCalls) != 1 || msgs[1].ToolCalls[0].Arguments != `{"city":"Paris"}` ||
		msgs[2].Role != "tool" || msgs[2].Name != "get_weather" || msgs[2].ToolCallID != msgs[1].ToolCalls[0].ID {
		t.Errorf("round trip messages %+v", msgs)
	}

	// The same client on the real template: the history renders and the
	// model answers (a random model makes no call unasked).
	url, info := qwenToolServer(t)
	out = runNode(t, "ollama-tools-client.mjs", url, ModelID(info), nil, &got)
	if got.Whole.DoneReason == "" || got.Streamed.DoneReason == "" || got.AfterTool.DoneReason == "" {
		t.Errorf("real model: %s", out)
	}
	t.Logf("%s", out)
}

// TestJSONSchemaWithOpenAINpmClient is the acceptance test through
// the official openai npm client, beside openai-go's
// (TestOpenAIGoJSONSchemaOnRandomModel): 10 schemas x 3 seeds on a
// random-weight model with Llama 3's 128k vocabulary, as response_format on
// chat completions and as text.format on /v1/responses; every reply parses
// and validates.
func TestJSONSchemaWithOpenAINpmClient(t *testing.T) {
	url, info := synthServer(t, synth.Options{Preset: "tiny", VocabFrom: testenv.Path(t, "vocab", "ggml-vocab-llama-bpe.gguf"), Std: 0.5, Seed: 3, Context: 2048})
	schemas := make([]json.RawMessage, len(clientSchemas))
	for i, s := range clientSchemas {
		schemas[i] = json.RawMessage(s)
	}
	in, _ := json.Marshal(schemas)
	var got []struct {
		Schema, Seed    int
		Chat, Responses string
		ChatFinish      string `json:"chat_finish"`
		ResponsesStatus string `json:"responses_status"`
	}
	runNode(t, "json-schema-client.mjs", url+"/v1", ModelID(info), in, &got, "1,2,3")
	if len(got) != 3*len(clientSchemas) {
		t.Fatalf("%d replies", len(got))
	}
	for _, r := range got {
		sch := compileAPISchema(t, clientSchemas[r.Schema])
		if r.ChatFinish != "stop" || r.ResponsesStatus != "completed" {
			t.Fatalf("schema %d seed %d: chat %q (%s), responses %q (%s)", r.Schema, r.Seed, r.Chat, r.ChatFinish, r.Responses, r.ResponsesStatus)
		}
		for api, text := range map[string]string{"chat": r.Chat, "responses": r.Responses} {
			if err := validate(t, sch, text); err != nil {
				t.Errorf("schema %d seed %d %s: %q: %v", r.Schema, r.Seed, api, text, err)
			}
		}
		if r.Seed == 1 {
			t.Logf("schema %d: %s | %s", r.Schema, strings.TrimSpace(r.Chat), strings.TrimSpace(r.Responses))
		}
	}
}

// TestConcurrentClientsWithOpenAINpmClient: four official openai clients
// streaming at once (their replies decoded together by the worker's batch)
// each get the text they get alone with the same seed.
func TestConcurrentClientsWithOpenAINpmClient(t *testing.T) {
	url, info := synthServer(t, synth.Options{Preset: "tiny", VocabFrom: testenv.Path(t, "vocab", "ggml-vocab-llama-bpe.gguf"), Std: 0.5, Seed: 3, Context: 512})
	type reply struct {
		Text   string `json:"text"`
		Tokens int    `json:"tokens"`
	}
	var got struct{ Alone, Together []reply }
	runNode(t, "concurrent-client.mjs", url+"/v1", ModelID(info), nil, &got, "4", "24")
	if len(got.Alone) != 4 || len(got.Together) != 4 {
		t.Fatalf("want 4 replies alone and together, got %+v", got)
	}
	for i := range got.Alone {
		if got.Together[i] != got.Alone[i] || got.Alone[i].Tokens == 0 {
			t.Errorf("client %d together: %+v, alone %+v", i, got.Together[i], got.Alone[i])
		}
		t.Logf("client %d: %d tokens %q", i, got.Together[i].Tokens, got.Together[i].Text)
	}
}
