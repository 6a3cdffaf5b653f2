package gguf

import (
	"bufio"
	"burrow/internal/atomicfile"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Writer builds a GGUF (version 3) file. Metadata and tensor infos are
// collected first, so every tensor's offset is planned before any data is
// written; the data is then streamed tensor by tensor in the order the
// tensors were added. Only tensors added with AddTensorData are held in
// memory; the others are produced by a callback at write time, so a
// multi-gigabyte model never has to be in memory at once.
type Writer struct {
	kvs      []KV
	kvIndex  map[string]int
	tensors  []TensorInfo
	data     [][]byte // per tensor; nil when the fill callback provides it
	tIndex   map[string]int
	dataSize int64 // planned size of the data section (before final padding)
}

// NewWriter returns an empty writer.
func NewWriter() *Writer {
	return &Writer{kvIndex: map[string]int{}, tIndex: map[string]int{}}
}

// FillFunc writes the bytes of tensor t to dst. It must write exactly t.Size
// bytes; it may write them in as many calls as it likes.
type FillFunc func(t *TensorInfo, dst io.Writer) error

// Set adds (or replaces) a metadata entry, taking its type from the Go type
// of value: uint8, int8, uint16, int16, uint32, int32, float32, bool, string,
// uint64, int64, float64, a slice of one of those, []Array, or an Array.
// A plain int is stored as int32 when it fits, else as int64.
func (w *Writer) Set(key string, value any) error {
	vt, v, err := inferValue(value)
	if err != nil {
		return fmt.Errorf("gguf: metadata %q: %w", key, err)
	}
	return w.SetKV(KV{Key: key, Type: vt, Value: v})
}

// SetKV adds (or replaces) a metadata entry with an explicit type, for
// example a KV taken from another file.
func (w *Writer) SetKV(kv KV) error {
	if err := checkValue(kv.Type, kv.Value, 0); err != nil {
		return fmt.Errorf("gguf: metadata %q: %w", kv.Key, err)
	}
	if kv.Key == "general.alignment" {
		a, ok := asUint(kv.Value)
		if !ok || a == 0 || a&(a-1) != 0 || a > 1<<20 {
			return fmt.Errorf("gguf: general.alignment %v must be a power of two", kv.Value)
		}
		if kv.Type != ValUint32 {
			return fmt.Errorf("gguf: general.alignment must be a uint32, not %s", kv.Type)
		}
		if len(w.tensors) > 0 {
			return errors.New("gguf: set general.alignment before adding tensors")
		}
	}
	if i, ok := w.kvIndex[kv.Key]; ok {
		w.kvs[i] = kv
		return nil
	}
	w.kvIndex[kv.Key] = len(w.kvs)
	w.kvs = append(w.kvs, kv)
	return nil
}

// Delete removes a metadata entry if present.
func (w *Writer) Delete(key string) {
	i, ok := w.kvIndex[key]
	if !ok {
		return
	}
	w.kvs = append(w.kvs[:i], w.kvs[i+1:]...)
	delete(w.kvIndex, key)
	for j := i; j < len(w.kvs); j++ {
		w.kvIndex[w.kvs[j].Key] = j
	}
}

// KVs returns the metadata entries in the order they will be written.
func (w *Writer) KVs() []KV { return w.kvs }

// Alignment is general.alignment if set, else 32.
func (w *Writer) Alignment() int64 {
	if i, ok := w.kvIndex["general.alignment"]; ok {
		a, _ := asUint(w.kvs[i].Value)
		return int64(a)
	}
	return defaultAlignment
}

// AddTensor plans a tensor whose data the FillFunc passed to WriteTo will
// write. Shape is in ggml order (Shape[0] is the row length).
func (w *Writer) AddTensor(name string, typ Type, shape []int64) (*TensorInfo, error) {
	return w.add(name, typ, shape, nil)
}

// AddTensorData adds a tensor whose bytes are already in memory.
func (w *Writer) AddTensorData(name string, typ Type, shape []int64, data []byte) (*TensorInfo, error) {
	if data == nil {
		data = []byte{}
	}
	return w.add(name, typ, shape, data)
}

func (w *Writer) add(name string, typ Type, shape []int64, data []byte) (*TensorInfo, error) {
	if _, dup := w.tIndex[name]; dup {
		return nil, fmt.Errorf("gguf: duplicate tensor %q", name)
	}
	if !typ.Known() {
		return nil, fmt.Errorf("gguf: tensor %q: unknown ggml type %d", name, uint32(typ))
	}
	if len(shape) == 0 || len(shape) > maxDims {
		return nil, fmt.Errorf("gguf: tensor %q: %d dimensions (1 to %d allowed)", name, len(shape), maxDims)
	}
	elems := int64(1)
	for i, d := range shape {
		if d <= 0 {
			return nil, fmt.Errorf("gguf: tensor %q: dimension %d is %d", name, i, d)
		}
		if elems > math.MaxInt64/8/d {
			return nil, fmt.Errorf("gguf: tensor %q: element count overflows", name)
		}
		elems *= d
	}
	if shape[0]%int64(typ.BlockSize()) != 0 {
		return nil, fmt.Errorf("gguf: tensor %q: row length %d is not a multiple of the %s block size %d", name, shape[0], typ, typ.BlockSize())
	}
	t := TensorInfo{Name: name, Shape: append([]int64(nil), shape...), Type: typ, Size: typ.RowSize(elems)}
	if data != nil && int64(len(data)) != t.Size {
		return nil, fmt.Errorf("gguf: tensor %q: %d bytes of data, %s %v needs %d", name, len(data), typ, shape, t.Size)
	}
	t.Offset = alignUp(w.dataSize, w.Alignment())
	w.dataSize = t.Offset + t.Size
	w.tIndex[name] = len(w.tensors)
	w.tensors = append(w.tensors, t)
	w.data = append(w.data, data)
	return &w.tensors[len(w.tensors)-1], nil
}

// Tensors returns the planned tensor infos (offsets relative to the data section).
func (w *Writer) Tensors() []TensorInfo { return w.tensors }

// WriteFile writes the file to path through a temporary file in the same
// folder, renamed into place only when everything was written.
func (w *Writer) WriteFile(path string, fill FillFunc) error {
	err := atomicfile.WriteWith(path, 0o644, func(tmp io.Writer) error {
		if _, err := w.WriteTo(tmp, fill); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	return nil
}

// WriteTo writes the whole file to out: header, metadata, tensor infos, and
// the data of each tensor (from memory, or from fill) padded to the
// alignment. It returns the number of bytes written.
func (w *Writer) WriteTo(out io.Writer, fill FillFunc) (int64, error) {
	bw := bufio.NewWriterSize(out, 256<<10)
	e := &encoder{w: bw}
	e.u32(magic)
	e.u32(3)
	e.u64(uint64(len(w.tensors)))
	e.u64(uint64(len(w.kvs)))
	for _, kv := range w.kvs {
		e.str(kv.Key)
		e.u32(uint32(kv.Type))
		e.value(kv.Type, kv.Value)
	}
	for _, t := range w.tensors {
		e.str(t.Name)
		e.u32(uint32(len(t.Shape)))
		for _, d := range t.Shape {
			e.u64(uint64(d))
		}
		e.u32(uint32(t.Type))
		e.u64(uint64(t.Offset))
	}
	// Like llama.cpp, a file without tensors ends right after the infos.
	align := w.Alignment()
	if len(w.tensors) > 0 {
		e.pad(align)
	}
	if e.err != nil {
		return e.n, e.err
	}
	dataStart := e.n
	for i := range w.tensors {
		t := &w.tensors[i]
		e.pad(align)
		if e.err != nil {
			return e.n, e.err
		}
		if got := e.n - dataStart; got != t.Offset {
			return e.n, fmt.Errorf("gguf: tensor %q: at data offset %d, planned %d", t.Name, got, t.Offset)
		}
		if w.data[i] != nil {
			e.bytes(w.data[i])
		} else {
			if fill == nil {
				return e.n, fmt.Errorf("gguf: tensor %q has no data and no fill function", t.Name)
			}
			lw := &limitedWriter{e: e, left: t.Size, name: t.Name}
			if err := fill(t, lw); err != nil {
				return e.n, fmt.Errorf("gguf: tensor %q: %w", t.Name, err)
			}
			if lw.left != 0 {
				return e.n, fmt.Errorf("gguf: tensor %q: fill wrote %d of %d bytes", t.Name, t.Size-lw.left, t.Size)
			}
		}
		if e.err != nil {
			return e.n, e.err
		}
	}
	if len(w.tensors) > 0 {
		e.pad(align)
	}
	if e.err != nil {
		return e.n, e.err
	}
	return e.n, bw.Flush()
}

// limitedWriter passes a tensor's bytes on and refuses more than its size.
type limitedWriter struct {
	e    *encoder
	left int64
	name string
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		return 0, fmt.Errorf("gguf: tensor %q: fill wrote more than the tensor's size", l.name)
	}
	l.e.bytes(p)
	if l.e.err != nil {
		return 0, l.e.err
	}
	l.left -= int64(len(p))
	return len(p), nil
}

// encoder writes little-endian values and remembers the first error.
type encoder struct {
	w       io.Writer
	n       int64
	err     error
	scratch [8]byte
}

func (e *encoder) bytes(b []byte) {
	if e.err != nil {
		return
	}
	n, err := e.w.Write(b)
	e.n += int64(n)
	e.err = err
}

func (e *encoder) u8(v uint8) { e.scratch[0] = v; e.bytes(e.scratch[:1]) }
func (e *encoder) u16(v uint16) {
	binary.LittleEndian.PutUint16(e.scratch[:], v)
	e.bytes(e.scratch[:2])
}
func (e *encoder) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.scratch[:], v)
	e.bytes(e.scratch[:4])
}
func (e *encoder) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.scratch[:], v)
	e.bytes(e.scratch[:8])
}
func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	if e.err == nil {
		n, err := io.WriteString(e.w, s)
		e.n += int64(n)
		e.err = err
	}
}

var zeros [64]byte

func (e *encoder) pad(align int64) {
	for k := alignUp(e.n, align) - e.n; k > 0 && e.err == nil; {
		c := min(k, int64(len(zeros)))
		e.bytes(zeros[:c])
		k -= c
	}
}

func (e *encoder) value(vt ValueType, v any) {
	switch vt {
	case ValUint8:
		e.u8(v.(uint8))
	case ValInt8:
		e.u8(uint8(v.(int8)))
	case ValBool:
		if v.(bool) {
			e.u8(1)
		} else {
			e.u8(0)
		}
	case ValUint16:
		e.u16(v.(uint16))
	case ValInt16:
		e.u16(uint16(v.(int16)))
	case ValUint32:
		e.u32(v.(uint32))
	case ValInt32:
		e.u32(uint32(v.(int32)))
	case ValFloat32:
		e.u32(math.Float32bits(v.(float32)))
	case ValUint64:
		e.u64(v.(uint64))
	case ValInt64:
		e.u64(uint64(v.(int64)))
	case ValFloat64:
		e.u64(math.Float64bits(v.(float64)))
	case ValString:
		e.str(v.(string))
	case ValArray:
		e.array(v.(Array))
	}
}

func (e *encoder) array(a Array) {
	e.u32(uint32(a.Type))
	e.u64(uint64(a.Len()))
	switch vs := a.Values.(type) {
	case []string:
		for _, s := range vs {
			e.str(s)
		}
	case []Array:
		for _, x := range vs {
			e.array(x)
		}
	case []uint8:
		e.bytes(vs)
	default:
		for i := 0; i < a.Len(); i++ {
			e.value(a.Type, a.Index(i))
		}
	}
}

// inferValue maps a Go value to its metadata type.
func inferValue(v any) (ValueType, any, error) {
	switch x := v.(type) {
	case uint8:
		return ValUint8, x, nil
	case int8:
		return ValInt8, x, nil
	case uint16:
		return ValUint16, x, nil
	case int16:
		return ValInt16, x, nil
	case uint32:
		return ValUint32, x, nil
	case int32:
		return ValInt32, x, nil
	case float32:
		return ValFloat32, x, nil
	case bool:
		return ValBool, x, nil
	case string:
		return ValString, x, nil
	case uint64:
		return ValUint64, x, nil
	case int64:
		return ValInt64, x, nil
	case float64:
		return ValFloat64, x, nil
	case int:
		if x >= math.MinInt32 && x <= math.MaxInt32 {
			return ValInt32, int32(x), nil
		}
		return ValInt64, int64(x), nil
	case Array:
		return ValArray, x, nil
	}
	if et, ok := sliceElemType(v); ok {
		return ValArray, Array{Type: et, Values: v}, nil
	}
	return 0, nil, fmt.Errorf("no gguf type for Go type %T", v)
}

func sliceElemType(v any) (ValueType, bool) {
	switch v.(type) {
	case []uint8:
		return ValUint8, true
	case []int8:
		return ValInt8, true
	case []uint16:
		return ValUint16, true
	case []int16:
		return ValInt16, true
	case []uint32:
		return ValUint32, true
	case []int32:
		return ValInt32, true
	case []float32:
		return ValFloat32, true
	case []bool:
		return ValBool, true
	case []string:
		return ValString, true
	case []uint64:
		return ValUint64, true
	case []int64:
		return ValInt64, true
	case []float64:
		return ValFloat64, true
	case []Array:
		return ValArray, true
	}
	return 0, false
}

// checkValue verifies that v is the Go value the reader would give for vt,
// so the encoder cannot write a file that lies about its types.
func checkValue(vt ValueType, v any, depth int) error {
	if vt == ValArray {
		a, ok := v.(Array)
		if !ok {
			return fmt.Errorf("array value is %T, want gguf.Array", v)
		}
		if depth >= maxArrayDepth {
			return fmt.Errorf("arrays nested deeper than %d", maxArrayDepth)
		}
		et, ok := sliceElemType(a.Values)
		if !ok || et != a.Type {
			return fmt.Errorf("array of %s holds %T", a.Type, a.Values)
		}
		if inner, ok := a.Values.([]Array); ok {
			for i, x := range inner {
				if err := checkValue(ValArray, x, depth+1); err != nil {
					return fmt.Errorf("element %d: %w", i, err)
				}
			}
		}
		return nil
	}
	got, _, err := inferValue(v)
	if err != nil {
		return err
	}
	if _, isInt := v.(int); isInt || got != vt {
		return fmt.Errorf("value %T does not match type %s", v, vt)
	}
	return nil
}
