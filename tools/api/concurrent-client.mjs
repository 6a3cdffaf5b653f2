// Runs N streamed chat completions with the official openai client, first
// one after another, then all at once, each with its own prompt and seed, so
// a test can check that concurrent clients (decoded together by the
// server's batch) get the text they get alone, and a benchmark can read the
// aggregate rate. Usage: node concurrent-client.mjs BASE_URL [N] [MAX_TOKENS] [together]
// Prints one JSON object: {"alone": [{text, tokens}], "together": [...],
// "alone_seconds", "together_seconds"}; with "together" only that part runs.
import OpenAI from "openai";

const [baseURL, nArg = "4", maxArg = "24", only = ""] = process.argv.slice(2);
if (!baseURL) {
  console.error("usage: node concurrent-client.mjs BASE_URL [N] [MAX_TOKENS] [together]");
  process.exit(2);
}
const n = Number(nArg), maxTokens = Number(maxArg);
const client = new OpenAI({ baseURL, apiKey: "none", maxRetries: 0, timeout: 600_000 });
const prompts = ["Once upon a time", "The cat", "Tell me about the sea", "Lily and Tom went"];

async function one(i) {
  const stream = await client.chat.completions.create({
    model: process.env.BURROW_MODEL || "",
    messages: [{ role: "user", content: prompts[i % prompts.length] }],
    temperature: 0.9,
    seed: 100 + i,
    max_tokens: maxTokens,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let tokens = 0;
  for await (const chunk of stream) {
    if (chunk.usage) tokens = chunk.usage.completion_tokens;
    for (const choice of chunk.choices) {
      if (choice.delta?.content) text += choice.delta.content;
    }
  }
  return { text, tokens };
}

const out = {};
if (only !== "together") {
  const t0 = performance.now();
  out.alone = [];
  for (let i = 0; i < n; i++) out.alone.push(await one(i));
  out.alone_seconds = (performance.now() - t0) / 1000;
}
const t1 = performance.now();
out.together = await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
out.together_seconds = (performance.now() - t1) / 1000;
console.log(JSON.stringify(out));
