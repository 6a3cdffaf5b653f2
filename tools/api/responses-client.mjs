// Drives Burrow's /v1/responses with the official openai npm client, whole
// and streamed. Usage: node responses-client.mjs BASE_URL [API_KEY]
// Prints {"text", "status", "usage", "stream_text", "events", "final_status"}.
import OpenAI from "openai";

const [baseURL, apiKey = "none"] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120_000 });
const model = process.env.BURROW_MODEL || "";

// The request the Go test repeats in-process: keep the two in step.
const params = { model, input: "Once upon a time", temperature: 0, seed: 42, max_output_tokens: 40 };
const whole = await client.responses.create(params);

const stream = await client.responses.create({ ...params, stream: true });
let streamText = "";
const events = [];
let finalStatus = null;
for await (const ev of stream) {
  events.push(ev.type);
  if (ev.type === "response.output_text.delta") streamText += ev.delta;
  if (ev.type === "response.completed" || ev.type === "response.incomplete") finalStatus = ev.response.status;
}
console.log(JSON.stringify({
  text: whole.output_text, status: whole.status, usage: whole.usage,
  stream_text: streamText, events: [...new Set(events)], final_status: finalStatus,
}));
