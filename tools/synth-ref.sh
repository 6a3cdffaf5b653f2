#!/usr/bin/env bash
# Records llama.cpp's greedy run (node-llama-cpp, F32 KV cache) on a
# synthesized model as a reference for inference/llama's peer tests:
#   [KV=f16|q8_0] [FLASH=false] [STD=0.5] tools/synth-ref.sh BIN PRESET TYPE [EXPERT_TYPE]
# writes inference/llama/testdata/peer-PRESET-TYPE[-EXPERT_TYPE][-kvf16[nf]|-kvq8_0].json with the
# synth options (the test writes the same file again), the prompt and
# generated ids, and the top 8 log-probabilities of every step. KV=f16 runs
# llama.cpp with an F16 cache and flash attention, which Burrow's
# f16-flash cache follows; KV=f16 FLASH=false without it (node-llama-cpp's
# default, Burrow's f16, suffix -kvf16nf); KV=q8_0 a Q8_0 cache with flash attention
# (llama.cpp's -ctk q8_0 -ctv q8_0 -fa on), Burrow's KVQ8_0. PROMPT replaces
# "Once upon a time" and TAG (required with it) is added to the name.
set -euo pipefail
bin=$(realpath "$1") preset=$2 typ=$3 exp=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
kv=${KV:-f32} std=${STD:-0.5}
name="peer-$preset-$typ${exp:+-$exp}${TAG:+-$TAG}${STD:+-std$STD}"
flash=false
if [ "$kv" != f32 ]; then name="$name-kv$kv" flash=${FLASH:-true}; fi
if [ "$kv" = f16 ] && [ "$flash" = false ]; then name="${name}nf"; fi
f=$(mktemp -d)/$name.gguf
"$bin" gguf synth --preset "$preset" --type "$typ" ${exp:+--expert-type "$exp"} --std "$std" --seed 7 -o "$f" >/dev/null
prompt=${PROMPT:-Once upon a time}
out=$(node "$here/peer/peer.mjs" greedy --model "$f" --prompt "$prompt" --n 32 --threads 2 --kv "$kv" --flash $flash --probs 8 2>/dev/null)
python3 - "$out" "$preset" "$typ" "$exp" "$prompt" "$kv" "${TAG:-}" "$std" "$flash" > "$here/../inference/llama/testdata/$name.json" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print(json.dumps({
    "command": ("KV=" + sys.argv[6] + " " if sys.argv[6] != "f32" else "") + ("FLASH=false " if sys.argv[6] != "f32" and sys.argv[9] == "false" else "") + ("STD=" + sys.argv[8] + " " if sys.argv[8] != "0.5" else "") + ("PROMPT=... TAG=" + sys.argv[7] + " " if sys.argv[7] else "") + "tools/synth-ref.sh bin/burrowcli " + " ".join(a for a in sys.argv[2:5] if a),
    "peer": "llama.cpp (node-llama-cpp 3.21.1), CPU, " + sys.argv[6].upper() + " KV cache, " + ("flash attention" if sys.argv[9] == "true" else "no flash attention"),
    "kv": sys.argv[6], "flash": sys.argv[9] == "true",
    "synth": {"preset": sys.argv[2], "type": sys.argv[3], "expert_type": sys.argv[4], "std": float(sys.argv[8]), "seed": 7},
    "prompt": sys.argv[5], "prompt_ids": r["prompt_ids"], "generated_ids": r["generated_ids"],
    "top_logprobs": [[[t, round(lp, 6)] for t, lp in step] for step in r["top_logprobs"]],
}, separators=(",", ":")))
PY
rm -f "$f"
echo "wrote inference/llama/testdata/$name.json"
