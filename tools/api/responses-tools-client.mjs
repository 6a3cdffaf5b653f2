// Function calling through Burrow's /v1/responses with the official openai
// npm client: a forced call (tool_choice required) whole, a named one
// streamed through the SDK's own event accumulator (responses.stream), then
// the round trip with a function_call_output item.
// Usage: node responses-tools-client.mjs BASE_URL
// Prints {"whole": {...}, "streamed": {...}, "events": [...], "after_tool": {...}}.
import OpenAI from "openai";

const [baseURL] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "none", maxRetries: 0, timeout: 300_000 });
const model = process.env.BURROW_MODEL || "";
const tools = [{
  type: "function",
  name: "get_weather",
  description: "Current weather in a city.",
  strict: true,
  parameters: {
    type: "object",
    properties: { city: { type: "string", maxLength: 12 }, unit: { enum: ["celsius", "fahrenheit"] } },
    required: ["city", "unit"],
    additionalProperties: false,
  },
}];
const input = [{ role: "user", content: "What is the weather in Paris?" }];
const base = { model, input, tools, tool_choice: "required", temperature: 0.8, max_output_tokens: 200, store: false };

const whole = await client.responses.create(base);

const stream = client.responses.stream({ ...base, tool_choice: { type: "function", name: "get_weather" } });
const events = [];
let deltas = "";
stream.on("event", (ev) => events.push(ev.type));
stream.on("response.function_call_arguments.delta", (ev) => { deltas += ev.delta; });
const streamed = await stream.finalResponse();

const call = whole.output.find((o) => o.type === "function_call");
const after = await client.responses.create({
  model, tools, temperature: 0, max_output_tokens: 20,
  input: [...input, ...whole.output,
    { type: "function_call_output", call_id: call.call_id, output: JSON.stringify({ temperature: 18, sky: "clear" }) }],
});
const pick = (r) => ({
  status: r.status,
  output_types: r.output.map((o) => o.type),
  calls: r.output.filter((o) => o.type === "function_call")
    .map((o) => ({ id: o.id, call_id: o.call_id, name: o.name, arguments: o.arguments, status: o.status, parsed: o.parsed_arguments ?? null })),
  text: r.output_text,
  input_tokens: r.usage?.input_tokens,
});
console.log(JSON.stringify({ whole: pick(whole), streamed: pick(streamed), deltas, events: [...new Set(events)], after_tool: pick(after) }));
