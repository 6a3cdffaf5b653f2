// Function calling through Burrow's chat completions with the official
// openai npm client: a forced call (tool_choice required) whole and
// streamed, then the round trip with the tool's result.
// Usage: node tools-client.mjs BASE_URL
// Prints {"whole": {...}, "streamed": {...}, "after_tool": {...}}.
import OpenAI from "openai";

const [baseURL] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "none", maxRetries: 0, timeout: 300_000 });
const model = process.env.BURROW_MODEL || "";
const tools = [{
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather in a city.",
    parameters: {
      type: "object",
      properties: { city: { type: "string", maxLength: 12 }, unit: { enum: ["celsius", "fahrenheit"] } },
      required: ["city", "unit"],
      additionalProperties: false,
    },
  },
}];
const messages = [{ role: "user", content: "What is the weather in Paris?" }];
const base = { model, messages, tools, tool_choice: "required", temperature: 0.8, seed: 7, max_tokens: 200 };

const whole = await client.chat.completions.create(base);
const call = whole.choices[0].message.tool_calls?.[0];

// Streamed: the SDK's own accumulation of delta.tool_calls.
const stream = client.chat.completions.stream({ ...base, seed: 8 });
const done = await stream.finalChatCompletion();

const after = await client.chat.completions.create({
  model, tools, temperature: 0, seed: 1, max_tokens: 20,
  messages: [...messages, whole.choices[0].message,
    { role: "tool", tool_call_id: call.id, content: JSON.stringify({ temperature: 18, sky: "clear" }) }],
});
const pick = (c) => ({
  finish_reason: c.finish_reason,
  tool_calls: (c.message.tool_calls || []).map((t) => ({ id: t.id, type: t.type, name: t.function.name, arguments: t.function.arguments })),
  content: c.message.content,
});
console.log(JSON.stringify({ whole: pick(whole.choices[0]), streamed: pick(done.choices[0]), after_tool: pick(after.choices[0]) }));
