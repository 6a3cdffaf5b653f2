// Asks Burrow for embeddings with the official openai and ollama npm
// clients. Usage: node embed-client.mjs BASE_URL (the /v1 address)
// Prints {"openai": [[...]], "ollama": [[...]], "error": "..."} where error
// is what the openai client reports for a model that cannot embed.
import OpenAI from "openai";
import { Ollama } from "ollama";

const [baseURL] = process.argv.slice(2);
const inputs = ["Once upon a time", "The little bird sang."];
const client = new OpenAI({ baseURL, apiKey: "none", maxRetries: 0 });
const out = {};
try {
  // The client asks for base64 and decodes it itself.
  const r = await client.embeddings.create({ model: process.env.BURROW_MODEL || "", input: inputs });
  out.openai = r.data.map((d) => d.embedding);
  out.tokens = r.usage.prompt_tokens;
} catch (e) {
  out.error = `${e.status} ${e.message}`;
}
if (!out.error) {
  const ollama = new Ollama({ host: baseURL.replace(/\/v1$/, "") });
  out.ollama = (await ollama.embed({ model: process.env.BURROW_MODEL || "", input: inputs })).embeddings;
}
console.log(JSON.stringify(out));
