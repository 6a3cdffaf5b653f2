package llama

// # Adding a model family
//
// A family (a general.architecture value) is one file, arch_<name>.go,
// whose init calls register with a family value:
//
//   - name: the general.architecture string.
//   - tensors: every tensor the file holds, once, in converter order:
//     name ("blk.%d." for per-layer ones), shape from Config (the dims in
//     family.go, or the family's own), kind (Matrix, Norm, Vector),
//     optional or not, and the Model or Layer field it fills. Start from
//     the llama groups (llamaHead, llamaAttn, ...) and add your own.
//   - hparams: the keys it reads beyond the common ones, with their
//     defaults, into Config.
//   - its steps: the rope kind and the named steps of the shared pass
//     (qkSteps such as addQKVBias) it takes.
//
// Load, CheckSupported, ConfigFromGGUF, SupportedArchitectures (and so the
// "not supported yet" message), `burrow gguf synth` and its --arch help all
// read the registry, so nothing else lists the family. A step no family
// has yet is a small function in forward.go (the shared pass), and a field
// it needs goes on Layer (weights.go) or Config (config.go). Add the
// family's reference files to round2Runs in round2_test.go; a family with
// no such file gets a small synth preset (synth/presets.go), a llama.cpp
// run on it recorded into testdata/ (tools/synth-ref.sh, or the command in
// the test) and checked in peer_synth_test.go, and a line in
// tools/check-peer.sh (gemma2, gpt-oss, mistral3).
//
// Much is already Config data an hparams function sets: Window and
// SWAPattern (local layers then keep a window-sized ring of KV, see
// kvcache.go), QueryScale (queries scaled after rope, gemma), AttnSoftcap
// and FinalSoftcap (gemma2), RopeOrigCtx and RopeAttnFactor with the
// rope_factors_* tensors (phi3 LongRoPE), the Yarn* fields (YaRN rope),
// AttnTemp* (mistral3), RopeScaleSWA (gpt-oss, gemma2).
