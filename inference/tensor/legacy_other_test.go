//go:build !amd64

package tensor

import "burrow/inference/gguf"

// lqFast: no assembly on this architecture, so the twin tests compare
// nothing but the plain kernels.
func lqFast(gguf.Type) func(w, x []byte, nb int) float32 { return nil }

func q4_0SeqFast() func(w, x []byte, nb int) float32 { return nil }
