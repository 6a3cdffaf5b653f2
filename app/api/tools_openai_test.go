package api

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"

	"burrow/inference"
	"burrow/inference/gguf"
	"burrow/inference/synth"
	"burrow/internal/testenv"
)

// synthServer serves a random-weight model synthesized with opts through
// the real worker.
func synthServer(t *testing.T, opts synth.Options) (string, *inference.ModelInfo) {
	t.Helper()
	model := filepath.Join(t.TempDir(), "synth.gguf")
	if err := synth.Write(model, opts); err != nil {
		t.Fatal(err)
	}
	w := inference.NewWorker()
	t.Cleanup(w.Close)
	var info *inference.ModelInfo
	for ev := range w.Load(context.Background(), model, inference.LoadOptions{ContextLength: opts.Context, Threads: 2}) {
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
	return ts.URL, info
}

// qwenToolServer: Qwen2.5's real vocabulary and chat template (Hermes
// calls) on random weights.
func qwenToolServer(t *testing.T) (string, *inference.ModelInfo) {
	url, info := synthServer(t, synth.Options{Arch: "qwen2", Preset: "tiny", Type: gguf.TypeQ8_0, Std: 0.5, Seed: 3,
		VocabFrom: testenv.Path(t, "vocab", "ggml-vocab-qwen2.gguf"), Context: 2048})
	if info.ToolFormat == 0 {
		t.Fatal("Qwen2.5's template should have a tool format")
	}
	return url, info
}

// The tool both clients call; bounded so a random model's call ends.
var weatherParams = map[string]any{
	"type":                 "object",
	"properties":           map[string]any{"city": map[string]any{"type": "string", "maxLength": 12}, "unit": map[string]any{"enum": []any{"celsius", "fahrenheit"}}},
	"required":             []any{"city", "unit"},
	"additionalProperties": false,
}

// checkWeatherArgs: the arguments follow weatherParams.
func checkWeatherArgs(t *testing.T, what, name, args string) {
	t.Helper()
	var a struct {
		City *string `json:"city"`
		Unit string  `json:"unit"`
	}
	dec := json.NewDecoder(strings.NewReader(args))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil || name != "get_weather" || a.City == nil || utf8.RuneCountInString(*a.City) > 12 || (a.Unit != "celsius" && a.Unit != "fahrenheit") {
		t.Errorf("%s: call %s(%s) does not follow the schema (%v)", what, name, args, err)
	}
}

// TestOpenAIGoToolCalls: openai-go on chat completions and on
// /v1/responses, against a random-weight model: tool_choice required (and
// a named function) gives one well-formed call, whole and streamed, and the
// call's result goes back for the next turn.
func TestOpenAIGoToolCalls(t *testing.T) {
	url, info := qwenToolServer(t)
	client := openai.NewClient(option.WithBaseURL(url+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	model := ModelID(info)

	t.Run("chat completions", func(t *testing.T) {
		tools := []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: "get_weather", Description: openai.String("Current weather in a city."), Parameters: weatherParams, Strict: openai.Bool(true),
		})}
		user := openai.UserMessage("What is the weather in Paris?")
		params := openai.ChatCompletionNewParams{
			Model: model, Messages: []openai.ChatCompletionMessageParamUnion{user}, Tools: tools,
			ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")},
			Seed:       openai.Int(7), Temperature: openai.Float(0.8), MaxTokens: openai.Int(200),
		}
		whole, err := client.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		c := whole.Choices[0]
		if c.FinishReason != "tool_calls" || len(c.Message.ToolCalls) != 1 || c.Message.ToolCalls[0].ID == "" || c.Message.ToolCalls[0].Type != "function" {
			t.Fatalf("whole: %s", whole.RawJSON())
		}
		checkWeatherArgs(t, "whole", c.Message.ToolCalls[0].Function.Name, c.Message.ToolCalls[0].Function.Arguments)

		// Streamed, through openai-go's own accumulator of delta.tool_calls.
		params.Seed = openai.Int(8)
		params.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfFunctionToolChoice: &openai.ChatCompletionNamedToolChoiceParam{
			Function: openai.ChatCompletionNamedToolChoiceFunctionParam{Name: "get_weather"}}}
		stream := client.Chat.Completions.NewStreaming(ctx, params)
		var acc openai.ChatCompletionAccumulator
		for stream.Next() {
			acc.AddChunk(stream.Current())
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		sc := acc.Choices[0]
		if sc.FinishReason != "tool_calls" || len(sc.Message.ToolCalls) != 1 || sc.Message.ToolCalls[0].ID == "" {
			t.Fatalf("streamed: %+v", sc)
		}
		checkWeatherArgs(t, "streamed", sc.Message.ToolCalls[0].Function.Name, sc.Message.ToolCalls[0].Function.Arguments)

		// The round trip: the call and a tool message answering it.
		after, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: model, Tools: tools, Seed: openai.Int(1), Temperature: openai.Float(0), MaxTokens: openai.Int(20),
			Messages: []openai.ChatCompletionMessageParamUnion{user, c.Message.ToParam(),
				openai.ToolMessage(`{"temperature": 18, "sky": "clear"}`, c.Message.ToolCalls[0].ID)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if after.Choices[0].FinishReason == "" || after.Usage.PromptTokens <= whole.Usage.PromptTokens {
			t.Errorf("after the tool: %s", after.RawJSON())
		}
	})

	t.Run("responses", func(t *testing.T) {
		tools := []responses.ToolUnionParam{responses.ToolParamOfFunction("get_weather", weatherParams, true)}
		tools[0].OfFunction.Description = param.NewOpt("Current weather in a city.")
		user := responses.ResponseInputItemParamOfMessage("What is the weather in Paris?", responses.EasyInputMessageRoleUser)
		params := responses.ResponseNewParams{
			Model: model, Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{user}},
			Tools: tools, ToolChoice: responses.ResponseNewParamsToolChoiceUnion{OfToolChoiceMode: param.NewOpt(responses.ToolChoiceOptionsRequired)},
			Temperature: openai.Float(0.8), MaxOutputTokens: openai.Int(200), Store: openai.Bool(false),
		}
		whole, err := client.Responses.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if whole.Status != "completed" || len(whole.Output) != 1 || whole.Output[0].Type != "function_call" {
			t.Fatalf("whole: %s", whole.RawJSON())
		}
		fc := whole.Output[0].AsFunctionCall()
		if fc.CallID == "" || fc.ID == "" || fc.Status != "completed" {
			t.Errorf("whole call %s", fc.RawJSON())
		}
		checkWeatherArgs(t, "whole", fc.Name, fc.Arguments)

		// Streamed: the arguments' deltas add up to the final item's.
		params.ToolChoice = responses.ResponseNewParamsToolChoiceUnion{OfFunctionTool: &responses.ToolChoiceFunctionParam{Name: "get_weather"}}
		stream := client.Responses.NewStreaming(ctx, params)
		var deltas string
		var done *responses.Response
		var types []string
		for stream.Next() {
			ev := stream.Current()
			types = append(types, ev.Type)
			switch ev.Type {
			case "response.function_call_arguments.delta":
				deltas += ev.AsResponseFunctionCallArgumentsDelta().Delta
			case "response.completed":
				r := ev.AsResponseCompleted().Response
				done = &r
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if done == nil || len(done.Output) != 1 || done.Output[0].Type != "function_call" {
			t.Fatalf("streamed: events %v", types)
		}
		sfc := done.Output[0].AsFunctionCall()
		if sfc.Arguments != deltas {
			t.Errorf("streamed: deltas %q, item %q", deltas, sfc.Arguments)
		}
		checkWeatherArgs(t, "streamed", sfc.Name, sfc.Arguments)

		// The round trip: the call item and its function_call_output.
		output := responses.ResponseInputItemParamOfFunctionCallOutput(`{"temperature": 18, "sky": "clear"}`)
		output.OfFunctionCallOutput.CallID = param.NewOpt(fc.CallID)
		after, err := client.Responses.New(ctx, responses.ResponseNewParams{
			Model: model, Tools: tools, Temperature: openai.Float(0), MaxOutputTokens: openai.Int(20),
			Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{user,
				{OfFunctionCall: ptr(fc.ToParam())}, output}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if after.Status == "" || len(after.Output) == 0 || after.Usage.InputTokens <= whole.Usage.InputTokens {
			t.Errorf("after the tool: %s", after.RawJSON())
		}
		t.Logf("whole %s(%s); streamed %s(%s); after: %q", fc.Name, fc.Arguments, sfc.Name, sfc.Arguments, after.OutputText())
	})
}

func ptr[T any](v T) *T { return &v }
