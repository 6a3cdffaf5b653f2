package tensor

import (
	"testing"

	"burrow/inference/gguf"
)

func TestQ4_KRoundTrip(t *testing.T) { testKQRoundTrip(t, kqQ4_K) }

func TestDotQ4_KVsF32(t *testing.T) { testKQDotVsF32(t, kqQ4_K) }

// Known answers: the Q4_K tensors llama-quantize wrote into round2's files.
func TestQ4_KRealFile(t *testing.T) {
	testKQRealFile(t, kqQ4_K, "llamakq-q4_k_m.gguf", gguf.TypeQ4_K, 0.99)
}
