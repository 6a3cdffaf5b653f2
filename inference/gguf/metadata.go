package gguf

import "math"

// Lookup returns the metadata entry for key.
func (f *File) Lookup(key string) (KV, bool) {
	i, ok := f.kvIndex[key]
	if !ok {
		return KV{}, false
	}
	return f.KVs[i], true
}

// Architecture is general.architecture ("llama", "qwen2", ...), or "".
func (f *File) Architecture() string { s, _ := f.String("general.architecture"); return s }

// ArchKey prefixes a key with the architecture: ArchKey("context_length")
// is "llama.context_length" in a llama file.
func (f *File) ArchKey(suffix string) string { return f.Architecture() + "." + suffix }

// String returns a string value.
func (f *File) String(key string) (string, bool) {
	kv, ok := f.Lookup(key)
	if !ok {
		return "", false
	}
	s, ok := kv.Value.(string)
	return s, ok
}

// Uint returns an integer value of any width (not negative) as uint64.
func (f *File) Uint(key string) (uint64, bool) {
	kv, ok := f.Lookup(key)
	if !ok {
		return 0, false
	}
	return asUint(kv.Value)
}

// Int returns an integer value of any width as int64.
func (f *File) Int(key string) (int64, bool) {
	kv, ok := f.Lookup(key)
	if !ok {
		return 0, false
	}
	switch x := kv.Value.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	}
	u, ok := asUint(kv.Value)
	if !ok || u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// Float returns a float or integer value as float64.
func (f *File) Float(key string) (float64, bool) {
	kv, ok := f.Lookup(key)
	if !ok {
		return 0, false
	}
	switch x := kv.Value.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	if i, ok := f.Int(key); ok {
		return float64(i), true
	}
	return 0, false
}

// Bool returns a boolean value.
func (f *File) Bool(key string) (bool, bool) {
	kv, ok := f.Lookup(key)
	if !ok {
		return false, false
	}
	b, ok := kv.Value.(bool)
	return b, ok
}

// UintOr, IntOr, FloatOr, BoolOr and StringOr return def when key is absent
// or of another type.
func (f *File) UintOr(key string, def uint64) uint64    { return valueOr(f.Uint, key, def) }
func (f *File) IntOr(key string, def int64) int64       { return valueOr(f.Int, key, def) }
func (f *File) FloatOr(key string, def float64) float64 { return valueOr(f.Float, key, def) }
func (f *File) BoolOr(key string, def bool) bool        { return valueOr(f.Bool, key, def) }
func (f *File) StringOr(key string, def string) string  { return valueOr(f.String, key, def) }

func valueOr[T any](get func(string) (T, bool), key string, def T) T {
	if v, ok := get(key); ok {
		return v
	}
	return def
}

// Array returns an array value.
func (f *File) Array(key string) (Array, bool) {
	kv, ok := f.Lookup(key)
	if !ok {
		return Array{}, false
	}
	a, ok := kv.Value.(Array)
	return a, ok
}

// Strings returns an array of strings.
func (f *File) Strings(key string) ([]string, bool) {
	a, ok := f.Array(key)
	if !ok {
		return nil, false
	}
	s, ok := a.Values.([]string)
	return s, ok
}

// Float32s returns an array of float32 (float64 arrays are converted).
func (f *File) Float32s(key string) ([]float32, bool) {
	a, ok := f.Array(key)
	if !ok {
		return nil, false
	}
	switch v := a.Values.(type) {
	case []float32:
		return v, true
	case []float64:
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out, true
	}
	return nil, false
}

// Int32s returns an array of integers of any width as int32 (values that do
// not fit make it fail).
func (f *File) Int32s(key string) ([]int32, bool) {
	a, ok := f.Array(key)
	if !ok {
		return nil, false
	}
	if v, ok := a.Values.([]int32); ok {
		return v, true
	}
	out := make([]int32, a.Len())
	for i := range out {
		var x int64
		switch v := a.Values.(type) {
		case []uint8:
			x = int64(v[i])
		case []int8:
			x = int64(v[i])
		case []uint16:
			x = int64(v[i])
		case []int16:
			x = int64(v[i])
		case []uint32:
			x = int64(v[i])
		case []uint64:
			if v[i] > math.MaxInt32 {
				return nil, false
			}
			x = int64(v[i])
		case []int64:
			x = v[i]
		default:
			return nil, false
		}
		if x < math.MinInt32 || x > math.MaxInt32 {
			return nil, false
		}
		out[i] = int32(x)
	}
	return out, true
}

// Tensor returns the info of the named tensor.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.tensorIndex[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// TensorData is the tensor's bytes: a slice of the mapping, valid until Close.
func (f *File) TensorData(t *TensorInfo) []byte {
	start := f.Layout.DataOffset + t.Offset
	return f.data[start : start+t.Size : start+t.Size]
}

// Bytes is the whole mapped file, valid until Close.
func (f *File) Bytes() []byte { return f.data }
