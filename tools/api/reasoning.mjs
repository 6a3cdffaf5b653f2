// Reads a thinking model's reply with the official openai client, whole and
// streamed: the reasoning as message.reasoning_content and
// delta.reasoning_content (DeepSeek's and LM Studio's field), the answer as
// content. Usage: node reasoning.mjs BASE_URL [API_KEY]
// Prints one JSON object: {"content", "reasoning", "stream_content",
// "stream_reasoning", "reasoning_chunks_before_content"}.
import OpenAI from "openai";

const [baseURL, apiKey = "none"] = process.argv.slice(2);
if (!baseURL) {
  console.error("usage: node reasoning.mjs BASE_URL [API_KEY]");
  process.exit(2);
}

const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120_000 });
const request = { model: "", messages: [{ role: "user", content: "Hi!" }] };

const whole = await client.chat.completions.create(request);
const message = whole.choices[0].message;

const stream = await client.chat.completions.create({ ...request, stream: true });
let streamContent = "";
let streamReasoning = "";
let ordered = true;
for await (const chunk of stream) {
  for (const choice of chunk.choices) {
    const d = choice.delta ?? {};
    if (d.reasoning_content) {
      if (streamContent !== "") ordered = false;
      streamReasoning += d.reasoning_content;
    }
    if (d.content) streamContent += d.content;
  }
}
console.log(JSON.stringify({
  content: message.content,
  reasoning: message.reasoning_content ?? null,
  stream_content: streamContent,
  stream_reasoning: streamReasoning,
  reasoning_chunks_before_content: ordered,
}));
