#!/usr/bin/env bash
# Burrow against llama.cpp (node-llama-cpp 3.21.1) on the same Llama-3.2-1B-shaped
# files (Q8_0, then Q4_K_M), back to back, 2 threads. Prints a table per file with
# both and the ratios.
set -euo pipefail
bin=$(realpath "$1") testdata=$2
here=$(cd "$(dirname "$0")" && pwd)
threads=${THREADS:-2}
dir=${XDG_CACHE_HOME:-$HOME/.cache}/burrow/bench
mkdir -p "$dir"
# The Q8_0 file, and the same shape in llama-quantize's Q4_K_M mix (what most
# people download), both synthesized once; BENCH_MODEL runs just that file.
if [ -n "${BENCH_MODEL:-}" ]; then
  models=("$BENCH_MODEL")
else
  models=()
  for typ in q8_0 q4_k_m; do
    model=$dir/llama-3.2-1b-$typ.gguf
    if [ ! -f "$model" ]; then
      echo "bench: synthesizing $model (once)" >&2
      "$bin" gguf synth --arch llama --preset llama-3.2-1b --type "$typ" \
        --vocab-from "$testdata/vocab/ggml-vocab-llama-bpe.gguf" -o "$model.tmp" >&2
      mv "$model.tmp" "$model"
    fi
    models+=("$model")
  done
fi
echo "bench: machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for model in "${models[@]}"; do
# Read the file once so neither side pays for a cold page cache.
cat "$model" >/dev/null
ours=$("$bin" bench --model "$model" --prompt-tokens 64 --gen-tokens 32 --threads "$threads" --json)
theirs=$(node "$here/peer/peer.mjs" bench --model "$model" --prompt-tokens 64 --gen-tokens 32 --threads "$threads")
python3 - "$ours" "$theirs" "$model" <<'PY'
import json, os, sys
o, t, path = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
size = os.path.getsize(path)
print(f"model: {os.path.basename(path)} ({size/1e9:.2f} GB), threads {o['threads']}, Burrow kernels {o.get('kernels', '?')}")
print(f"{'':22}{'Burrow':>12}{'llama.cpp':>12}{'ratio':>9}")
for key, label in (("pp_tps", "prompt tok/s (pp64)"), ("tg_tps", "generate tok/s (tg32)")):
    print(f"{label:22}{o[key]:12.2f}{t[key]:12.2f}{o[key]/t[key]:8.2f}x")
print(f"{'load ms':22}{o['load_ms']:12.1f}{t['load_ms']:12.1f}")
print(f"Burrow peak RSS {o['peak_rss_bytes']/2**20:.0f} MiB (file {size/2**20:.0f} MiB); "
      f"decode reads {size/1e9*o['tg_tps']:.1f} GB/s of weights")
PY
done
