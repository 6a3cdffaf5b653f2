// Talks to Burrow's Ollama-compatible API with the official ollama npm
// client, so the wire format is checked by code nobody here wrote.
// Usage: node ollama-client.mjs HOST [API_KEY] (HOST e.g. http://127.0.0.1:1234)
// Prints one JSON object: {"version", "models", "show", "chat", "done_reason",
// "eval_count", "chunks", "generate"}.
import { Ollama } from "ollama";

const [host, apiKey] = process.argv.slice(2);
if (!host) {
  console.error("usage: node ollama-client.mjs HOST");
  process.exit(2);
}
const ollama = new Ollama({ host, headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {} });
const model = process.env.BURROW_MODEL || "";

const { version } = await ollama.version();
const { models } = await ollama.list();
const show = await ollama.show({ model: models[0].name });

// The request the Go test repeats in-process: keep the two in step.
const stream = await ollama.chat({
  model,
  messages: [{ role: "user", content: "Once upon a time" }],
  options: { temperature: 0, seed: 42, num_predict: 40 },
  stream: true,
});
let chat = "";
let chunks = 0;
let last = null;
for await (const part of stream) {
  chunks++;
  chat += part.message.content;
  if (part.done) last = part;
}
const gen = await ollama.generate({
  model,
  prompt: "Once upon a time",
  raw: true,
  options: { temperature: 0, seed: 42, num_predict: 40 },
  stream: false,
});
console.log(JSON.stringify({
  version,
  models: models.map((m) => m.name),
  show: show.details,
  chat,
  done_reason: last?.done_reason,
  eval_count: last?.eval_count,
  chunks,
  generate: gen.response,
}));
