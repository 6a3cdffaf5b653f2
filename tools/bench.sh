#!/usr/bin/env bash
# Burrow against llama.cpp (node-llama-cpp 3.21.1) on the same synthesized files,
# back to back in one run, 2 threads: Llama-3.2-1B and -3B shapes in Q8_0 and
# llama-quantize's Q4_K_M mix, each at prompts of 64, 512, 2048 and 4096 tokens
# (decode is measured right after the prompt, so it runs at that context).
# First the machine's read bandwidth; decode is also given as a fraction of it.
# BENCH_MODEL=FILE runs just that file; BENCH_SHAPES (default "1b 3b", "" for none),
# BENCH_TYPES (default "q8_0 q4_k_m") and BENCH_PROMPTS (default "64 512 2048
# 4096") pick the rows; THREADS (default 2). Each engine runs its default KV
# cache (both F16, llama.cpp's without flash attention), as a user gets
# them; BENCH_KV=f32|f16|q8_0 gives both another type (q8_0 with flash
# attention, which llama.cpp needs for a quantized V). BENCH_FAMILIES (default
# "qwen3.5-4b gemma-4-e2b", "" for none) adds the 2026 families' shapes in Q4_K_M
# (their own synthesized vocabularies) at BENCH_FAMILY_PROMPTS (default "64 512").
set -euo pipefail
bin=$(realpath "$1") testdata=$2
here=$(cd "$(dirname "$0")" && pwd)
threads=${THREADS:-2}
ourkv=${BENCH_KV:-f16} peerkv=${BENCH_KV:-f16}
flash=false # node-llama-cpp's default
if [ "$peerkv" = q8_0 ]; then flash=true; fi
dir=${XDG_CACHE_HOME:-$HOME/.cache}/burrow/bench
mkdir -p "$dir"
if [ -n "${BENCH_MODEL:-}" ]; then
  models=("$BENCH_MODEL")
else
  models=()
  for shape in ${BENCH_SHAPES-1b 3b}; do
    for typ in ${BENCH_TYPES:-q8_0 q4_k_m}; do
      model=$dir/llama-3.2-$shape-$typ.gguf
      if [ ! -f "$model" ]; then
        echo "bench: synthesizing $model (once)" >&2
        "$bin" gguf synth --arch llama --preset "llama-3.2-$shape" --type "$typ" \
          --vocab-from "$testdata/vocab/ggml-vocab-llama-bpe.gguf" -o "$model.tmp" >&2
        mv "$model.tmp" "$model"
      fi
      models+=("$model")
    done
  done
  for preset in ${BENCH_FAMILIES-qwen3.5-4b gemma-4-e2b}; do
    model=$dir/$preset-q4_k_m.gguf
    if [ ! -f "$model" ]; then
      echo "bench: synthesizing $model (once)" >&2
      "$bin" gguf synth --preset "$preset" --type q4_k_m -o "$model.tmp" >&2
      mv "$model.tmp" "$model"
    fi
    models+=("$model")
  done
fi
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|f16c|avx512f|avx512bw|avx512vl|avx512_vnni|avx_vnni)$' | tr '\n' ' ' || true)
echo "bench: machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); CPU features: ${flags:-none of AVX2/AVX-512}; load: $(cut -d' ' -f1-3 /proc/loadavg)"
first=--bandwidth
for model in "${models[@]}"; do
  # Read the file once so neither side pays for a cold page cache.
  cat "$model" >/dev/null
  prompts=${BENCH_PROMPTS:-64 512 2048 4096}
  case $(basename "$model") in llama-3.2-*) ;; *) [ -z "${BENCH_MODEL:-}" ] && prompts=${BENCH_FAMILY_PROMPTS:-64 512} ;; esac
  for np in $prompts; do
    ours=$("$bin" bench --model "$model" --prompt-tokens "$np" --gen-tokens 32 --threads "$threads" --kv-type "$ourkv" --json $first)
    theirs=$(node "$here/peer/peer.mjs" bench --model "$model" --prompt-tokens "$np" --gen-tokens 32 \
      --threads "$threads" --kv "$peerkv" --flash $flash --ctx $((np + 64)))
    first=
    [ -z "${bw:-}" ] && bw=$(echo "$ours" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("read_gbps") or "")')
    python3 - "$ours" "$theirs" "$model" "${bw:-}" "$peerkv" <<'PY'
import json, os, sys
o, t, path, bw, peerkv = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
size = os.path.getsize(path)
if o.get("read_gbps"):
    print(f"read bandwidth: {o['read_gbps']:.1f} GB/s with {o['threads']} threads (1 GiB, SIMD loads)")
print(f"model: {os.path.basename(path)} ({size/1e9:.2f} GB), threads {o['threads']}, Burrow kernels {o.get('kernels', '?')}, KV {o.get('kv_type', '?')} (llama.cpp {peerkv}), "
      f"prompt {o['pp_tokens']}, decode after {o['ctx']}")
print(f"{'':24}{'Burrow':>12}{'llama.cpp':>12}{'ratio':>9}")
for key, label in (("pp_tps", f"prompt tok/s (pp{o['pp_tokens']})"), ("tg_tps", f"decode tok/s (tg{o['tg_tokens']})")):
    print(f"{label:24}{o[key]:12.2f}{t[key]:12.2f}{o[key]/t[key]:8.2f}x")
print(f"{'load ms':24}{o['load_ms']:12.1f}{t['load_ms']:12.1f}")
line = f"Burrow peak RSS {o['peak_rss_bytes']/2**20:.0f} MiB (file {size/2**20:.0f} MiB); decode reads {size/1e9*o['tg_tps']:.1f} GB/s of the file"
if bw:
    line += f" ({100*size/1e9*o['tg_tps']/float(bw):.0f}% of the read bandwidth)"
print(line)
PY
  done
done
