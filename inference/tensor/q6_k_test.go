package tensor

import (
	"testing"

	"burrow/inference/gguf"
)

func TestQ6_KRoundTrip(t *testing.T) { testKQRoundTrip(t, kqQ6_K) }

func TestDotQ6_KVsF32(t *testing.T) { testKQDotVsF32(t, kqQ6_K) }

// Known answers: the Q6_K tensors llama-quantize wrote into round2's files.
func TestQ6_KRealFile(t *testing.T) {
	testKQRealFile(t, kqQ6_K, "llamakq-q6_k.gguf", gguf.TypeQ6_K, 0.95)
	testKQRealFile(t, kqQ6_K, "llamakq-q4_k_m.gguf", gguf.TypeQ6_K, 0.95)
}
