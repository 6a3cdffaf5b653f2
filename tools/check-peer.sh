#!/usr/bin/env bash
# Greedy generation by Burrow and by llama.cpp (node-llama-cpp 3.21.1) on the
# same files and prompts, both with an F32 KV cache: the token ids must be identical. Covers what the
# shared references do not: qwen2 (biases, NeoX rope), Llama-3 rope scaling,
# tied output, other head counts, synthesized presets.
set -euo pipefail
bin=$(realpath "$1") testdata=$2
here=$(cd "$(dirname "$0")" && pwd)
work=${XDG_CACHE_HOME:-$HOME/.cache}/burrow/check-peer
mkdir -p "$work"
n=32
models=("$testdata"/models/stories260K-f32.gguf "$testdata"/models/stories260K-q8_0.gguf "$testdata"/models/synth/*.gguf)
# Our own synthesized models (random weights, real shapes and tokenizer).
# std 0.5 keeps the top two logits far apart, so greedy picks are decided by
# the weights and not by rounding differences between two correct engines.
for spec in "llama tiny q8_0" "qwen2 tiny f32" "qwen2 tiny q8_0" "llama small f16" "qwen2 small q8_0"; do
  set -- $spec
  f="$work/synth-$1-$2-$3-std05.gguf"
  [ -f "$f" ] || "$bin" gguf synth --arch "$1" --preset "$2" --type "$3" --std 0.5 --seed 7 -o "$f" >/dev/null
  models+=("$f")
done
prompts=("Once upon a time" "One day, a little bird" "Tom and his mom went to the park.")
pass=0 fail=0
printf '%-40s %-36s %s\n' model prompt result
for m in "${models[@]}"; do
  for p in "${prompts[@]}"; do
    ours=$("$bin" run --model "$m" --prompt "$p" --temp 0 --max-tokens $n --threads 2 --json 2>/dev/null)
    theirs=$(node "$here/peer/peer.mjs" greedy --model "$m" --prompt "$p" --n $n --threads 2 --kv f32 2>/dev/null)
    verdict=$(python3 - "$ours" "$theirs" <<'PY'
import json, sys
o, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
a, b = o["generated_ids"], t["generated_ids"]
if o["prompt_ids"] != t["prompt_ids"]:
    print("FAIL prompt ids differ"); sys.exit()
k = len(a)
ok = a == b[:k]
print(("PASS" if ok else "FAIL") + f" {k} ids identical ({o['stop_reason']})" if ok else f"FAIL first difference at step {next(i for i in range(k) if i >= len(b) or a[i] != b[i])}")
PY
)
    printf '%-40s %-36s %s\n' "$(basename "$m")" "$p" "$verdict"
    case $verdict in PASS*) pass=$((pass+1));; *) fail=$((fail+1));; esac
  done
done
echo "check-peer: $pass passed, $fail failed"
[ "$fail" = 0 ]
