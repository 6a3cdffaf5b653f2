package tensor

import "burrow/inference/gguf"

// lqFast is type t's fast dot in the fast set, nil without AVX2.
func lqFast(t gguf.Type) func(w, x []byte, nb int) float32 {
	if !haveAVX2 {
		return nil
	}
	return fastSet.rows[t].dot
}
