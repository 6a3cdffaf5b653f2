// Streams one chat completion from an OpenAI-compatible server with the
// official openai client, so Burrow's wire format is checked by code nobody
// here wrote. Usage: node client.mjs BASE_URL [API_KEY]
// Prints one JSON object: {"text", "finish_reason", "usage", "chunks"}.
import OpenAI from "openai";

const [baseURL, apiKey = "none"] = process.argv.slice(2);
if (!baseURL) {
  console.error("usage: node client.mjs BASE_URL [API_KEY]");
  process.exit(2);
}

const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120_000 });

// The request the Go test repeats in-process: keep the two in step.
const stream = await client.chat.completions.create({
  model: process.env.BURROW_MODEL || "",
  messages: [{ role: "user", content: "Once upon a time" }],
  temperature: 0,
  seed: 42,
  max_tokens: 40,
  stream: true,
  stream_options: { include_usage: true },
});

let text = "";
let finishReason = null;
let usage = null;
let chunks = 0;
for await (const chunk of stream) {
  chunks++;
  if (chunk.usage) usage = chunk.usage;
  for (const choice of chunk.choices) {
    if (choice.delta?.content) text += choice.delta.content;
    if (choice.finish_reason) finishReason = choice.finish_reason;
  }
}
console.log(JSON.stringify({ text, finish_reason: finishReason, usage, chunks }));
