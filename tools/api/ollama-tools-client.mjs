// Function calling through Burrow's Ollama API with the official ollama npm
// client: a chat with tools, whole and streamed, then the round trip with
// the model's calls and a role "tool" message back in.
// Usage: node ollama-tools-client.mjs HOST
// Prints {"whole": {...}, "streamed": {...}, "after_tool": {...}}.
import { Ollama } from "ollama";

const [host] = process.argv.slice(2);
const ollama = new Ollama({ host });
const model = process.env.BURROW_MODEL || "";
const tools = [{
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather in a city.",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
}];
const messages = [{ role: "user", content: "What is the weather in Paris?" }];
const options = { temperature: 0, seed: 7, num_predict: 40 };

const whole = await ollama.chat({ model, messages, tools, options, stream: false });

const stream = await ollama.chat({ model, messages, tools, options, stream: true });
let content = "";
const calls = [];
let last = null;
for await (const part of stream) {
  content += part.message.content;
  calls.push(...(part.message.tool_calls || []));
  if (part.done) last = part;
}

// The calls go back as Ollama sends them; the result names its function.
const call = whole.message.tool_calls?.[0] ?? { function: { name: "get_weather", arguments: { city: "Paris" } } };
const after = await ollama.chat({
  model, tools, options: { ...options, num_predict: 10 }, stream: false,
  messages: [...messages, { role: "assistant", content: "", tool_calls: [call] },
    { role: "tool", tool_name: call.function.name, content: JSON.stringify({ temperature: 18, sky: "clear" }) }],
});
const pick = (m, done) => ({
  content: m.content,
  tool_calls: (m.tool_calls || []).map((t) => ({ name: t.function.name, arguments: t.function.arguments })),
  done_reason: done?.done_reason,
});
console.log(JSON.stringify({
  whole: pick(whole.message, whole),
  streamed: { ...pick({ content, tool_calls: calls }, last) },
  after_tool: pick(after.message, after),
}));
