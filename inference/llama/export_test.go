package llama

// Views into a State for the external tests (package llama_test).

// AttnOutput is the last layer's attention output of the last batch.
func AttnOutput(s *State) []float32 { return s.att }

// CachedValues is layer l's F32 value cache.
func CachedValues(s *State, l int) []float32 { return s.cache.v[l] }
