// Structured output through the official openai npm client: each schema
// (a JSON array of schemas on stdin) is sent as response_format json_schema
// on chat completions and as text.format on /v1/responses, for each seed.
// Usage: node json-schema-client.mjs BASE_URL SEEDS < schemas.json
// Prints [{"schema", "seed", "chat", "chat_finish", "responses", "responses_status"}, ...].
import OpenAI from "openai";
import { readFileSync } from "node:fs";

const [baseURL, seeds = "1,2,3"] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "none", maxRetries: 0, timeout: 300_000 });
const model = process.env.BURROW_MODEL || "";
const schemas = JSON.parse(readFileSync(0, "utf8"));
const out = [];
for (const [i, schema] of schemas.entries()) {
  for (const seed of seeds.split(",").map(Number)) {
    const chat = await client.chat.completions.create({
      model, seed, temperature: 1, max_tokens: 600,
      messages: [{ role: "user", content: "Answer in JSON." }],
      response_format: { type: "json_schema", json_schema: { name: "answer", strict: true, schema } },
    });
    const resp = await client.responses.create({
      model, seed, temperature: 1, max_output_tokens: 600, input: "Answer in JSON.",
      text: { format: { type: "json_schema", name: "answer", strict: true, schema } },
    });
    out.push({
      schema: i, seed,
      chat: chat.choices[0].message.content, chat_finish: chat.choices[0].finish_reason,
      responses: resp.output_text, responses_status: resp.status,
    });
  }
}
console.log(JSON.stringify(out));
