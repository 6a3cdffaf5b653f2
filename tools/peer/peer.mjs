// Drives llama.cpp (node-llama-cpp's prebuilt CPU build) as Burrow's reference
// peer. Prints exactly one JSON object on stdout.
//
//   node peer.mjs greedy --model F --prompt P [--n 64] [--threads 2] [--ctx 512] [--kv f32] [--probs K]
//   node peer.mjs bench  --model F [--prompt-tokens 64] [--gen-tokens 32] [--threads 2] [--ctx 512]
//   node peer.mjs embed  --model F --text T [--threads 2] [--ctx 512]
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

function args(argv) {
    const out = {_: []};
    for (let i = 0; i < argv.length; i++) {
        if (argv[i].startsWith("--")) out[argv[i].slice(2)] = argv[++i];
        else out._.push(argv[i]);
    }
    return out;
}

const a = args(process.argv.slice(2));
const mode = a._[0];
const threads = Number(a.threads ?? 2);
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const t0 = performance.now();
const model = await llama.loadModel({modelPath: a.model, gpuLayers: 0});
const loadMs = performance.now() - t0;
if (mode === "embed") {
    // The model's own pooling (its pooling_type), as llama.cpp's embedding
    // context uses it; the vector as llama.cpp returns it, not normalised.
    const ectx = await model.createEmbeddingContext({contextSize: Number(a.ctx ?? 512), threads});
    let ids = model.tokenize(a.text, false);
    if (model.tokens.bos != null && model.tokens.shouldPrependBosToken) ids = [model.tokens.bos, ...ids];
    const e = await ectx.getEmbeddingFor(ids);
    console.log(JSON.stringify({ids, embedding: Array.from(e.vector)}));
    await ectx.dispose();
    await model.dispose();
    process.exit(0);
}
// --kv f32 makes llama.cpp keep an F32 KV cache, like Burrow's default, so the
// two engines compare like for like; the default (f16) is llama.cpp's own.
const kv = (a.kv ?? "f16").toUpperCase();
const context = await model.createContext({
    contextSize: Number(a.ctx ?? 512), threads, batchSize: 512, flashAttention: a.flash === "true",
    experimentalKvCacheKeyType: kv, experimentalKvCacheValueType: kv,
});
const seq = context.getSequence();

if (mode === "greedy") {
    // Tokenize as llama.cpp does by default: BOS when the vocabulary asks, no special parsing.
    let ids = model.tokenize(a.prompt, false);
    if (model.tokens.bos != null && model.tokens.shouldPrependBosToken) ids = [model.tokens.bos, ...ids];
    const n = Number(a.n ?? 64);
    const gen = [];
    // --probs K adds, per generated token, the K most likely next tokens
    // and their log-probabilities (the logits less their logsumexp), from
    // the softmax of the raw logits (greedy sampling leaves them as they are).
    const k = Number(a.probs ?? 0);
    const top = [];
    if (k > 0) {
        for await (const out of seq.evaluateWithMetadata(ids, {probabilities: true}, {temperature: 0})) {
            gen.push(out.token);
            top.push([...out.probabilities.entries()].slice(0, k).map(([t, p]) => [t, Math.log(p)]));
            if (gen.length >= n) break;
        }
    } else {
        for await (const tok of seq.evaluate(ids, {temperature: 0})) {
            gen.push(tok);
            if (gen.length >= n) break;
        }
    }
    const res = {prompt_ids: ids, generated_ids: gen, text: model.detokenize(gen)};
    if (k > 0) res.top_logprobs = top;
    console.log(JSON.stringify(res));
} else if (mode === "bench") {
    const np = Number(a["prompt-tokens"] ?? 64), ng = Number(a["gen-tokens"] ?? 32);
    const prompt = Array.from({length: np}, (_, i) => 1000 + ((i * 7919) % 20000));
    const tp = performance.now();
    await seq.evaluateWithoutGeneratingNewTokens(prompt);
    const ppMs = performance.now() - tp;
    let next = 1000, count = 0;
    const tg = performance.now();
    for await (const tok of seq.evaluate([next], {temperature: 0})) {
        if (++count >= ng) break;
    }
    const tgMs = performance.now() - tg;
    console.log(JSON.stringify({
        peer: "llama.cpp (node-llama-cpp 3.21.1)", model: a.model, threads, load_ms: loadMs,
        pp_tokens: np, pp_tps: np / (ppMs / 1000), tg_tokens: ng, tg_tps: ng / (tgMs / 1000),
    }));
} else {
    console.error("usage: peer.mjs greedy|bench|embed --model F ...");
    process.exit(2);
}
await context.dispose();
await model.dispose();
