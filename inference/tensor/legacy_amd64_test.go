package tensor

import "burrow/inference/gguf"

// lqFast is type t's fast dot in the fast set, nil without AVX2.
func lqFast(t gguf.Type) func(w, x []byte, nb int) float32 {
	if !haveAVX2 {
		return nil
	}
	return fastSet.rows[t].dot
}

// q4_0SeqFast is the fast set's repacked-order Q4_0 kernel, nil without one.
func q4_0SeqFast() func(w, x []byte, nb int) float32 {
	if lqFast(gguf.TypeQ4_0) == nil {
		return nil
	}
	f, _ := fastSet.rows[gguf.TypeQ4_0].ext.(func(w, x []byte, nb int) float32)
	return f
}
