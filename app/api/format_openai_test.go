package api

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"

	"burrow/inference"
	"burrow/inference/synth"
	"burrow/internal/testenv"
)

// Bounded schemas (every string and array has a maximum), so a random
// model's reply always ends within max_tokens.
var clientSchemas = []string{
	`{"type": "object", "properties": {"name": {"type": "string", "maxLength": 8}, "age": {"type": "integer", "minimum": 0, "maximum": 120}}, "required": ["name", "age"], "additionalProperties": false}`,
	`{"type": "object", "properties": {"ok": {"type": "boolean"}, "note": {"type": ["string", "null"], "maxLength": 5}}, "required": ["ok", "note"], "additionalProperties": false}`,
	`{"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 4}`,
	`{"type": "object", "properties": {"color": {"enum": ["red", "green", "blue"]}, "size": {"enum": [1, 2, 3]}}, "required": ["color", "size"], "additionalProperties": false}`,
	`{"type": "object", "properties": {"kind": {"const": "point"}, "x": {"type": "number"}, "y": {"type": "number"}}, "required": ["kind", "x", "y"], "additionalProperties": false}`,
	`{"anyOf": [{"type": "integer"}, {"type": "object", "properties": {"err": {"type": "string", "maxLength": 6}}, "required": ["err"], "additionalProperties": false}]}`,
	`{"$defs": {"tag": {"type": "string", "minLength": 1, "maxLength": 4}}, "type": "object", "properties": {"tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}, "maxItems": 3}}, "required": ["tags"], "additionalProperties": false}`,
	`{"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}, "c": {"type": "integer"}}, "required": ["b"], "additionalProperties": false}`,
	`{"type": "object", "properties": {"when": {"type": "string", "format": "date"}, "id": {"type": "string", "format": "uuid"}}, "required": ["when", "id"], "additionalProperties": false}`,
	`{"type": "object", "properties": {"inner": {"type": "object", "properties": {"v": {"type": "boolean"}}, "required": ["v"], "additionalProperties": false}, "list": {"type": "array", "items": {"type": "null"}, "maxItems": 2}}, "required": ["inner", "list"], "additionalProperties": false}`,
}

// The acceptance test: openai-go sends json_schema requests to a
// random-weight model with Llama 3's real 128k vocabulary, on chat
// completions and as /v1/responses' text.format; every reply parses and
// validates (10 schemas, 3 seeds each).
func TestOpenAIGoJSONSchemaOnRandomModel(t *testing.T) {
	vocab := testenv.Path(t, "vocab", "ggml-vocab-llama-bpe.gguf")
	model := filepath.Join(t.TempDir(), "synth.gguf")
	if err := synth.Write(model, synth.Options{Preset: "tiny", VocabFrom: vocab, Std: 0.5, Seed: 3, Context: 2048}); err != nil {
		t.Fatal(err)
	}
	w := inference.NewWorker()
	t.Cleanup(w.Close)
	var info *inference.ModelInfo
	for ev := range w.Load(context.Background(), model, inference.LoadOptions{ContextLength: 2048, Threads: 2}) {
		switch ev.Kind {
		case inference.EventLoaded:
			info = ev.Model
		case inference.EventError:
			t.Fatal(ev.Err)
		}
	}
	if info == nil {
		t.Fatal("no model loaded")
	}
	ts := newTestServer(t, w, ServerOptions{Model: func() *inference.ModelInfo { return info }})
	client := openai.NewClient(option.WithBaseURL(ts.URL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for i, src := range clientSchemas {
		var schema map[string]any
		if err := json.Unmarshal([]byte(src), &schema); err != nil {
			t.Fatal(err)
		}
		sch := compileAPISchema(t, src)
		for seed := int64(1); seed <= 3; seed++ {
			resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
				Model:       openai.ChatModel(info.Name),
				Messages:    []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Answer in JSON.")},
				Seed:        openai.Int(seed),
				Temperature: openai.Float(1),
				MaxTokens:   openai.Int(600),
				ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
					JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "answer", Strict: openai.Bool(true), Schema: schema},
				}},
			})
			if err != nil {
				t.Fatalf("schema %d seed %d: %v", i, seed, err)
			}
			c := resp.Choices[0]
			if c.FinishReason != "stop" {
				t.Fatalf("schema %d seed %d: finish %q after %d tokens: %q", i, seed, c.FinishReason, resp.Usage.CompletionTokens, c.Message.Content)
			}
			if err := validate(t, sch, c.Message.Content); err != nil {
				t.Fatalf("schema %d seed %d: %q: %v", i, seed, c.Message.Content, err)
			}
			if seed == 1 {
				t.Logf("schema %d (%d tokens): %s", i, resp.Usage.CompletionTokens, strings.TrimSpace(c.Message.Content))
			}
			// The same schema as /v1/responses' text.format (openai-go has
			// no seed there: it goes as an extra field).
			r, err := client.Responses.New(ctx, responses.ResponseNewParams{
				Model: info.Name, Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Answer in JSON.")},
				Temperature: openai.Float(1), MaxOutputTokens: openai.Int(600),
				Text: responses.ResponseTextConfigParam{Format: responses.ResponseFormatTextConfigParamOfJSONSchema("answer", schema)},
			}, option.WithJSONSet("seed", seed))
			if err != nil {
				t.Fatalf("responses: schema %d seed %d: %v", i, seed, err)
			}
			if r.Status != "completed" {
				t.Fatalf("responses: schema %d seed %d: %s", i, seed, r.RawJSON())
			}
			if err := validate(t, sch, r.OutputText()); err != nil {
				t.Fatalf("responses: schema %d seed %d: %q: %v", i, seed, r.OutputText(), err)
			}
		}
	}
}

func validate(t *testing.T, sch interface{ Validate(any) error }, text string) error {
	t.Helper()
	var v any
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return err
	}
	if d.More() {
		return errTrailing
	}
	return sch.Validate(v)
}

var errTrailing = jsonErr("text after the JSON value")

type jsonErr string

func (e jsonErr) Error() string { return string(e) }
