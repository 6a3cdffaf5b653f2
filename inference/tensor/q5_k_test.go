package tensor

import (
	"testing"

	"burrow/inference/gguf"
)

func TestQ5_KRoundTrip(t *testing.T) { testKQRoundTrip(t, kqQ5_K) }

func TestDotQ5_KVsF32(t *testing.T) { testKQDotVsF32(t, kqQ5_K) }

// Known answers: the Q5_K tensors llama-quantize wrote into round2's files.
func TestQ5_KRealFile(t *testing.T) {
	testKQRealFile(t, kqQ5_K, "llamakq-q5_k_m.gguf", gguf.TypeQ5_K, 0.98)
}
